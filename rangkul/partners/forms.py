from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rangkul.partners.models import Organisation
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
