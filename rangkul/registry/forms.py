"""Back-office forms. They shape input only; every rule is enforced by the registry services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.core.errors import ApplicationError
from rangkul.core.forms import add_service_error as core_add_service_error
from rangkul.core.widgets import IsoDateInput
from rangkul.regions.forms import RegionPickerMixin
from rangkul.registry.models import Relationship, Sex, Worker
from rangkul.registry.selectors import occupation_list
from rangkul.registry.services import HeirInput, RegistrationInput

PERIOD_CHOICES = [(n, str(n)) for n in range(1, 13)]

# Service field names that a form names differently.
SERVICE_TO_FORM = {"village_code": "village", "heirs.0.full_name": "heir_full_name"}


def occupation_choices(*, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((o.code, o.name) for o in occupation_list())]


def _form_name(name: str) -> str:
    if name.startswith("heirs.0."):
        return "heir_" + name.removeprefix("heirs.0.")
    return SERVICE_TO_FORM.get(name, name)


def add_service_error(form: forms.BaseForm, error: ApplicationError, *, keep_form_errors: bool = False) -> None:
    """``core.forms.add_service_error`` with the registry forms' field names."""
    core_add_service_error(form, error, rename=_form_name, keep_form_errors=keep_form_errors)


class WorkerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("NIK, membership number, phone or name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    region = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=13,
        help_text=_("e.g. 33.74 (Kota Semarang) or 33.74.01 (a district)."),
    )
    branch = forms.ModelChoiceField(
        label=_("Branch office"),
        queryset=BranchOffice.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— all branches —"),
        to_field_name="code",
    )

    def clean_region(self) -> str:
        code = self.cleaned_data["region"].strip()
        if code and not all(part.isdigit() for part in code.split(".")):
            raise forms.ValidationError(_("A region code looks like 33.74 or 33.74.01."))
        return code


class _WorkerFields(RegionPickerMixin):
    full_name = forms.CharField(label=_("Full name (as on the KTP)"), max_length=150)
    birth_date = forms.DateField(label=_("Date of birth"), widget=IsoDateInput)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label=_("Mobile number"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"})
    )
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    address = forms.CharField(label=_("Address (street, RT/RW)"), max_length=255, required=False)
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=5, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    occupation = forms.ChoiceField(label=_("Occupation"))
    second_occupation = forms.ChoiceField(label=_("Second occupation (optional)"), required=False)
    declared_income_idr = forms.IntegerField(
        label=_("Declared monthly income (Rp)"),
        initial=1_000_000,
        min_value=0,
        max_value=10**12,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    jht = forms.BooleanField(label=_("Also save for old age (JHT)"), required=False)
    payment_period_months = forms.TypedChoiceField(
        label=_("Preferred payment period (months)"), choices=PERIOD_CHOICES, coerce=int, initial=1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_choices(blank=str(_("— choose —")))  # type: ignore[attr-defined]
        self.fields["second_occupation"].choices = occupation_choices(blank=str(_("— none —")))  # type: ignore[attr-defined]


class OfficeRegistrationForm(_WorkerFields):
    nik = forms.CharField(
        label=_("NIK (16 digits)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    branch = forms.ModelChoiceField(
        label=_("Branch office"),
        queryset=BranchOffice.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— the branch serving the village —"),
    )
    heir_full_name = forms.CharField(label=_("Heir's full name (optional)"), max_length=150, required=False)
    heir_relationship = forms.ChoiceField(
        label=_("Heir's relationship"), choices=[("", "—"), *Relationship.choices], required=False
    )
    phone_verified = forms.BooleanField(
        label=_("The worker read out the code sent to this phone"),
        required=False,
        help_text=_("Tick only when the number was verified in front of you; otherwise it is verified at first login."),
    )

    field_order = ["nik", "full_name", "birth_date", "sex", "phone", "phone_verified", "email"]

    def registration_input(self) -> RegistrationInput:
        data = self.cleaned_data
        heirs = []
        if data.get("heir_full_name") or data.get("heir_relationship"):
            heirs.append(
                HeirInput(full_name=data.get("heir_full_name", ""), relationship=data.get("heir_relationship", ""))
            )
        return RegistrationInput(
            nik=data["nik"],
            full_name=data["full_name"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            phone=data["phone"],
            village_code=data["village"],
            occupation_code=data["occupation"],
            second_occupation_code=data.get("second_occupation") or "",
            declared_income_idr=data["declared_income_idr"],
            jht=data.get("jht", False),
            payment_period_months=data["payment_period_months"],
            email=data.get("email", ""),
            address=data.get("address", ""),
            postal_code=data.get("postal_code", ""),
            heirs=heirs,
        )


# Form field → worker_update key.
EDIT_FIELD_TO_SERVICE = {
    "full_name": "full_name",
    "birth_date": "birth_date",
    "sex": "sex",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "postal_code": "postal_code",
    "occupation": "occupation_code",
    "second_occupation": "second_occupation_code",
    "declared_income_idr": "declared_income_idr",
    "jht": "jht",
    "payment_period_months": "payment_period_months",
    "village": "village_code",
}


class WorkerEditForm(_WorkerFields):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required; kept in the audit log."),
    )

    @staticmethod
    def initial_for(worker: Worker) -> dict[str, Any]:
        return {
            "full_name": worker.full_name,
            "birth_date": worker.birth_date,
            "sex": worker.sex,
            "phone": worker.phone,
            "email": worker.email,
            "address": worker.address,
            "postal_code": worker.postal_code,
            "occupation": worker.occupation.code,
            "second_occupation": worker.second_occupation.code if worker.second_occupation else "",
            "declared_income_idr": worker.declared_income_idr,
            "jht": worker.jht,
            "payment_period_months": worker.payment_period_months,
            "village": worker.village_id,
        }

    def changes(self) -> dict[str, Any]:
        changed = {}
        for name in self.changed_data:
            if name in EDIT_FIELD_TO_SERVICE:
                value = self.cleaned_data.get(name)
                changed[EDIT_FIELD_TO_SERVICE[name]] = "" if value is None else value
        return changed

    def readable_changes(self) -> dict[str, Any]:
        """The changes whose fields the form could read, for checking the rules while it has errors."""
        return {
            EDIT_FIELD_TO_SERVICE[name]: "" if self.cleaned_data[name] is None else self.cleaned_data[name]
            for name in self.changed_data
            if name in EDIT_FIELD_TO_SERVICE and name in self.cleaned_data and name not in self.errors
        }


class HeirForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    birth_date = forms.DateField(label=_("Date of birth (optional)"), required=False, widget=IsoDateInput)
    nik = forms.CharField(
        label=_("NIK (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Leave empty to keep the NIK already recorded."),
    )
    phone = forms.CharField(label=_("Mobile number (optional)"), max_length=32, required=False)

    def heir_input(self) -> HeirInput:
        data = self.cleaned_data
        return HeirInput(
            full_name=data["full_name"],
            relationship=data["relationship"],
            birth_date=data.get("birth_date"),
            nik=data.get("nik", ""),
            phone=data.get("phone", ""),
        )


class DuplicateResolveForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DuplicateMergeForm(forms.Form):
    note = forms.CharField(
        label=_("Why are these the same person?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required; kept in the audit log."),
        error_messages={"required": _("Say why the records are merged.")},
    )
    confirm = forms.BooleanField(
        label=_("I compared the facts above: these two records are the same person."),
        error_messages={"required": _("Tick the box to confirm that these records are the same person.")},
    )
