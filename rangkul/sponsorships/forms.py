from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.core.errors import ApplicationError
from rangkul.core.forms import add_service_error
from rangkul.registry.models import programs_for
from rangkul.sponsorships.models import PayerKind, Sponsorship
from rangkul.sponsorships.services import SponsorshipInput


class SponsorshipForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("For example APBD-SMG-2026."))
    name = forms.CharField(label=_("Name"), max_length=200)
    payer_kind = forms.ChoiceField(label=_("Who pays"), choices=PayerKind.choices)
    start_month = forms.CharField(label=_("First month (YYYY-MM)"), max_length=7)
    months = forms.IntegerField(label=_("Number of months"), min_value=1, max_value=60)
    budget_idr = forms.IntegerField(label=_("Budget (Rp)"), min_value=1)
    jht = forms.BooleanField(label=_("Also pay old-age savings (JHT)"), required=False)
    document_reference = forms.CharField(
        label=_("Document reference"), max_length=200, required=False, help_text=_("The decree or agreement.")
    )
    cohort_region_code = forms.CharField(
        label=_("Region (code)"), max_length=13, required=False, help_text=_("For example 33.74; empty: any.")
    )
    cohort_occupations = forms.CharField(
        label=_("Occupations (codes, comma-separated)"), max_length=500, required=False
    )
    cohort_min_age = forms.IntegerField(label=_("Minimum age"), min_value=0, max_value=120, required=False)
    cohort_max_age = forms.IntegerField(label=_("Maximum age"), min_value=0, max_value=120, required=False)
    cohort_welfare_list = forms.BooleanField(label=_("Only members on the welfare list"), required=False)

    def __init__(self, *args: Any, payer_kinds: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if payer_kinds is not None:
            self.fields["payer_kind"].choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in PayerKind.choices if value in payer_kinds
            ]

    def to_input(self) -> SponsorshipInput:
        data = self.cleaned_data
        return SponsorshipInput(
            code=data["code"],
            name=data["name"],
            payer_kind=data["payer_kind"],
            start_month=data["start_month"],
            months=data["months"],
            budget_idr=data["budget_idr"],
            programs=programs_for(jht=data["jht"]),
            document_reference=data["document_reference"],
            cohort_region_code=data["cohort_region_code"],
            cohort_occupations=[o.strip() for o in data["cohort_occupations"].split(",") if o.strip()],
            cohort_min_age=data["cohort_min_age"],
            cohort_max_age=data["cohort_max_age"],
            cohort_welfare_list=data["cohort_welfare_list"],
        )


class EnrolForm(forms.Form):
    workers = forms.MultipleChoiceField(label=_("Members"), widget=forms.CheckboxSelectMultiple)
    welfare_attested = forms.BooleanField(label=_("I confirm these members are on the welfare list"), required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], welfare: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workers"].choices = choices  # type: ignore[attr-defined]
        if not welfare:
            del self.fields["welfare_attested"]


class EnrolImportForm(forms.Form):
    job = forms.ChoiceField(label=_("Imported file"))
    welfare_attested = forms.BooleanField(label=_("I confirm these members are on the welfare list"), required=False)

    def __init__(self, *args: Any, jobs: list[tuple[str, str]], welfare: bool, **kwargs: Any) -> None:
        kwargs["prefix"] = "import"
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = jobs  # type: ignore[attr-defined]
        if not welfare:
            del self.fields["welfare_attested"]


class BillForm(forms.Form):
    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args: Any, sponsorship: Sponsorship, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(str(p), str(p)) for p in sponsorship.periods]  # type: ignore[attr-defined]


def add_service_errors(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's field errors on the form's fields (the rest above the form): ``core.forms``' one way."""
    add_service_error(form, error)


class TransferRecordForm(forms.Form):
    """A payments officer records a treasurer's transfer against a group bill."""

    payment_code = forms.CharField(
        label=_("Payment code of the group bill"), max_length=40, help_text=_("As printed on the sponsor's bill.")
    )
    amount_idr = forms.IntegerField(label=_("Amount transferred (Rp)"), min_value=1)
    reference = forms.CharField(
        label=_("Transfer reference"), max_length=80, help_text=_("The SP2D number or the bank's reference.")
    )
    transferred_on = forms.DateField(
        label=_("Date of the transfer"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("YYYY-MM-DD")
    )


class TransferDecisionForm(forms.Form):
    """A second officer approves a recorded transfer, or rejects it with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason (when rejecting)"), max_length=255, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the transfer is rejected."))
        return data
