from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.contributions.models import AdjustmentKind
from rangkul.contributions.rules import RuleBook
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period

SECTOR_CHOICES = [
    ("non_transport", _("Other work (trader, farmer, fisher, ...)")),
    ("transport", _("Transport (ojek, driver, courier)")),
]
JHT_CHOICES = [("no", _("No, only JKK and JKM")), ("yes", _("Yes, add old-age savings (JHT)"))]


class SimulatorForm(forms.Form):
    declared_income_idr = forms.TypedChoiceField(label=_("Monthly income you declare"), coerce=int)
    sector = forms.ChoiceField(label=_("Your work"), choices=SECTOR_CHOICES, initial="non_transport")
    jht = forms.ChoiceField(
        label=_("Old-age savings (JHT)"),
        choices=JHT_CHOICES,
        initial="no",
        widget=forms.RadioSelect(attrs={"style": "width:auto"}),
    )
    month = forms.CharField(
        label=_("First month to pay"),
        max_length=7,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("Year and month, for example 2026-05."),
    )

    def __init__(self, *args: Any, rules: RuleBook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["declared_income_idr"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101  (narrowing for the type checker)
        field.choices = [(income, format_rupiah(income)) for income, _jkk in rules.income_levels]
        field.initial = rules.lowest_income_idr
        self.fields["month"].initial = str(Period.of(timezone.localdate()))

    def clean_month(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(_("Write the month as YYYY-MM, for example 2026-05.")) from exc

    def clean_jht(self) -> bool:
        return bool(self.cleaned_data["jht"] == "yes")


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdjustmentKind.choices)
    amount_idr = forms.IntegerField(label=_("Amount (Rp)"), min_value=1, max_value=10**11)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class AdjustmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
