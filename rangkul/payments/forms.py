from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.payments.models import Channel, Resolution


class PaymentCodeForm(forms.Form):
    payment_code = forms.CharField(
        label=_("Payment code"),
        max_length=24,
        help_text=_("The 16-digit code on your bill."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_payment_code(self) -> str:
        code = self.cleaned_data["payment_code"].replace(" ", "").strip()
        if not code.isdigit():
            raise forms.ValidationError(_("A payment code has digits only."))
        return code


class SandboxPayForm(PaymentCodeForm):
    place = forms.ChoiceField(
        label=_("Pay at"),
        choices=[("minimarket", _("Minimarket (Indomaret, Alfamart)")), ("bank", _("Bank (teller, ATM, mobile)"))],
        widget=forms.RadioSelect,
        initial="minimarket",
    )


class ProposeForm(forms.Form):
    action = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices, widget=forms.RadioSelect)
    membership_number = forms.CharField(label=_("Membership number (to assign)"), max_length=11, required=False)
    note = forms.CharField(label=_("Reason"), max_length=255, required=False)


class SettlementUploadForm(forms.Form):
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none(), to_field_name="code")
    file = forms.FileField(label=_("Settlement file (CSV)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(is_active=True)  # type: ignore[attr-defined]
