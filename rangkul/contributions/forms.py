from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.contributions.models import AdjustmentKind
from rangkul.contributions.rules import RuleBook
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period

# Month names as people write them, Indonesian and English, full or short ("Desember 2026", "des 2026").
_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "ags", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "december", "des", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_TEXT = re.compile(r"^\s*([a-z]+)\.?\s+(\d{4})\s*$", re.IGNORECASE)
_MONTH_NUMBERS = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")


def month_parse(text: str) -> Period | None:
    """``2026-12``, ``12/2026``, ``Desember 2026`` or ``des 2026`` → the period; ``None`` otherwise."""
    value = (text or "").strip()
    try:
        return Period.parse(value)
    except ValueError:
        pass
    named = _MONTH_TEXT.match(value)
    numbered = _MONTH_NUMBERS.match(value)
    if named and named.group(1).lower() in _MONTH_NAMES:
        month, year = _MONTH_NAMES[named.group(1).lower()], int(named.group(2))
    elif numbered and 1 <= int(numbered.group(1)) <= 12:
        month, year = int(numbered.group(1)), int(numbered.group(2))
    else:
        return None
    return Period.parse(f"{year:04d}-{month:02d}")


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
        max_length=20,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("Year and month, for example 2026-05 or Mei 2026."),
    )

    def __init__(self, *args: Any, rules: RuleBook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["declared_income_idr"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101  (narrowing for the type checker)
        field.choices = [(income, format_rupiah(income)) for income, _jkk in rules.income_levels]
        field.initial = rules.lowest_income_idr
        self.fields["month"].initial = str(Period.of(timezone.localdate()))

    def clean_month(self) -> Period:
        period = month_parse(self.cleaned_data["month"])
        if period is None:
            raise forms.ValidationError(_("Write the month as YYYY-MM, for example 2026-05."))
        return period

    def clean_jht(self) -> bool:
        return bool(self.cleaned_data["jht"] == "yes")


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdjustmentKind.choices)
    amount_idr = forms.IntegerField(label=_("Amount (Rp)"), min_value=1, max_value=10**11)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class AdjustmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
