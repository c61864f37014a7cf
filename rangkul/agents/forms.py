from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.registry.forms import occupation_choices
from rangkul.registry.models import Sex

MONTH_CHOICES = [(n, str(n)) for n in range(1, 13)]


def new_operation_id() -> str:
    """Each form carries its own operation id: submitting it twice applies it once."""
    return f"web-{uuid.uuid4()}"


class AgentRegisterForm(forms.Form):
    operation_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    nik = forms.CharField(
        label=_("NIK (16 digits)"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    full_name = forms.CharField(label=_("Full name (as on the KTP)"), max_length=150)
    birth_date = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("Mobile number"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"})
    )
    village_code = forms.CharField(
        label=_("Village code"), max_length=13, help_text=_("e.g. 33.74.01.1001"), widget=forms.TextInput()
    )
    occupation = forms.ChoiceField(label=_("Occupation"))
    declared_income_idr = forms.IntegerField(
        label=_("Declared monthly income (Rp)"),
        initial=1_000_000,
        min_value=0,
        max_value=10**12,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    jht = forms.BooleanField(label=_("Also save for old age (JHT)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_choices(blank=str(_("— choose —")))  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("operation_id", new_operation_id())

    def operation_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("operation_id")
        data["birth_date"] = data["birth_date"].isoformat()
        return data


class LookupForm(forms.Form):
    q = forms.CharField(label=_("Membership number or name"), max_length=100, required=False)


class QuoteForm(forms.Form):
    months = forms.TypedChoiceField(label=_("Months to pay"), choices=MONTH_CHOICES, coerce=int, initial=1)


class CollectForm(forms.Form):
    operation_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    months = forms.TypedChoiceField(widget=forms.HiddenInput, choices=MONTH_CHOICES, coerce=int)
    amount_idr = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    first_month = forms.CharField(widget=forms.HiddenInput, max_length=7)


class ReceiptReportForm(forms.Form):
    """A member (or the branch office for them) reports cash paid to an agent without a receipt."""

    agent_code = forms.CharField(label=_("Agent code (if you know it)"), max_length=12, required=False)
    paid_on = forms.DateField(label=_("Day you paid"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount_idr = forms.IntegerField(
        label=_("Amount paid (Rp)"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("What happened"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StaffReceiptReportForm(ReceiptReportForm):
    membership_number = forms.CharField(label=_("Membership number"), max_length=20)
    receipt_number = forms.CharField(label=_("Receipt number (if any)"), max_length=20, required=False)

    field_order = ["membership_number", "agent_code", "receipt_number", "paid_on", "amount_idr", "note"]
