from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.regions.selectors import region_children
from rangkul.registry.selectors import occupation_list


class CoverageFilterForm(forms.Form):
    """Which slice of the latest (or a chosen) snapshot to show. Every field is optional."""

    day = forms.ChoiceField(label=_("Snapshot"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    occupation = forms.ChoiceField(label=_("Occupation"), required=False)

    def __init__(self, *args: Any, days: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = [(row["code"], row["name"]) for row in region_children(parent=None) or []]
        occupations = [(o.code, o.name) for o in occupation_list(active_only=False)]
        self._set_choices("day", [(day, day) for day in days])
        self._set_choices("province", [("", str(_("All provinces"))), *provinces])
        self._set_choices("occupation", [("", str(_("All occupations"))), *occupations])

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = choices


class RateFilterForm(forms.Form):
    """All provinces, or the regencies of one province."""

    province = forms.ChoiceField(label=_("Province"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = [(row["code"], row["name"]) for row in region_children(parent=None) or []]
        field = self.fields["province"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", str(_("All provinces"))), *provinces]


class RetentionFilterForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Lapse funnel by"),
        required=False,
        choices=[
            ("channel", _("Registration channel")),
            ("partner", _("Partner")),
            ("occupation", _("Occupation")),
            ("sponsorship", _("Sponsorship")),
            ("agent", _("Field agent")),
        ],
    )
