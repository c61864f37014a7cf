from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.partners.models import Organisation, OrganisationKind
from rangkul.registry.models import WorkerStatus


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("Use the template: one person per row, headers in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=True)
    skip_phone_verification = forms.BooleanField(
        label=_("Our organisation has verified these mobile numbers (skip verification by SMS)"),
        required=False,
    )

    def __init__(self, *args: Any, organisation: Organisation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_organisation = organisation
        if organisation is not None:
            # A partner always imports for its own organisation.
            del self.fields["organisation"]
            if not organisation.attests_phone_verification:
                del self.fields["skip_phone_verification"]
        else:
            field = self.fields["organisation"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 — declared above
            field.queryset = Organisation.objects.order_by("name")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > settings.PARTNER_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)s MB); split it into several files.")
                % {"mb": settings.PARTNER_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def organisation_choice(self) -> Organisation:
        return self.fixed_organisation or self.cleaned_data["organisation"]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search (name, NIK or membership number)"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Record status"), required=False, choices=[("", _("All")), *WorkerStatus.choices]
    )


class OrganisationForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short, unique; also used by its API keys."))
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    region_code = forms.CharField(
        label=_("Regency / city code"), max_length=5, required=False, help_text=_("For example 33.74 (Kota Semarang).")
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    branch = forms.ModelChoiceField(
        label=_("Branch office"), queryset=BranchOffice.objects.order_by("name"), required=False
    )


class OrganisationUserForm(forms.Form):
    username = forms.CharField(label=_("Username of the person who acts for the organisation"), max_length=150)


class AttestationForm(forms.Form):
    attests = forms.BooleanField(
        label=_("The organisation verifies its members' mobile numbers itself (its imports may skip SMS verification)"),
        required=False,
    )
