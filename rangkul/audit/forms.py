from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.audit.display import ACTION_GROUPS, ACTION_LABELS, action_choices, subject_choices
from rangkul.core.widgets import IsoDateInput


class AuditFilterForm(forms.Form):
    """Filters by what the log shows: an action by name, a subject's number, who acted, when."""

    action = forms.CharField(label=_("Action"), required=False, max_length=80, widget=forms.Select)
    subject = forms.CharField(
        label=_("Membership number or subject"),
        required=False,
        max_length=200,
        help_text=_("As shown in the Subject column, e.g. a membership number."),
    )
    subject_type = forms.ChoiceField(label=_("Kind of subject"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=IsoDateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = action_choices()  # type: ignore[attr-defined]
        self.fields["subject_type"].choices = subject_choices()  # type: ignore[attr-defined]

    def clean_action(self) -> str:
        action = self.cleaned_data["action"].strip()
        if action and action not in ACTION_LABELS and action not in ACTION_GROUPS:
            # A group named without its dot ("registry") still means the whole group.
            if f"{action}." in ACTION_GROUPS:
                return f"{action}."
            raise forms.ValidationError(_("Choose an action from the list."))
        return action

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The start date must not be after the end date."))
        return cleaned
