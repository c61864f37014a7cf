"""The chained region picker: province → regency → district → village.

Plain selects that work with JavaScript off (a refresh button reloads the
next level's choices); with htmx, changing a select re-renders the picker in
place. Any form adds it with ``RegionPickerMixin`` and renders
``regions/_picker.html``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rangkul.regions.models import Village
from rangkul.regions.selectors import region_children

REFRESH_FIELD = "_region_refresh"
LEVEL_FIELDS = ("province", "regency", "district", "village")


def _choices(parent: str | None, placeholder: str) -> list[tuple[str, str]]:
    """Choices below ``parent`` ("" → provinces); only the placeholder when parent is None."""
    children = region_children(parent=parent) if parent is not None else None
    rows = [(row["code"], row["name"]) for row in children] if children is not None else []
    return [("", placeholder), *rows]


class RegionPickerMixin(forms.Form):
    province = forms.ChoiceField(label=_("Province"), required=False)
    regency = forms.ChoiceField(label=_("Regency / city"), required=False)
    district = forms.ChoiceField(label=_("District (kecamatan)"), required=False)
    village = forms.ChoiceField(label=_("Village (desa / kelurahan)"), required=False)

    region_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        selected = self._selected()
        if not self.is_bound:
            # An edit form's initial value is the village; the levels above it must show as chosen too.
            self.initial = {**self.initial, **{name: selected[name] for name in LEVEL_FIELDS if selected[name]}}
        placeholders = {
            "province": _("— choose a province —"),
            "regency": _("— choose a regency / city —"),
            "district": _("— choose a district —"),
            "village": _("— choose a village —"),
        }
        parent: str | None = ""  # "" lists provinces; None means "nothing chosen above"
        for name in LEVEL_FIELDS:
            choices = _choices(parent, str(placeholders[name]))
            field = self.fields[name]
            field.choices = choices  # type: ignore[attr-defined]
            field.widget.attrs.setdefault("data-region-level", name)
            known = {code for code, _label in choices if code}
            parent = selected[name] if selected[name] in known else None

    def _selected(self) -> dict[str, str]:
        source = self.data if self.is_bound else self.initial
        values = {
            name: str(source.get(self.add_prefix(name) if self.is_bound else name) or "").strip()
            for name in LEVEL_FIELDS
        }
        # A village code alone is enough to rebuild the whole chain (e.g. editing a record).
        village = values["village"]
        if village and len(village) == 13:
            values.update(province=village[:2], regency=village[:5], district=village[:8])
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = cleaned.get("village") or ""
        if not code:
            if self.region_required:
                self.add_error("village", _("Choose the village (desa / kelurahan)."))
            return cleaned
        village = Village.objects.select_related("district__regency__province").filter(code=code).first()
        if village is None:
            self.add_error("village", _("This village is not in the region list."))
            return cleaned
        cleaned["village_obj"] = village
        return cleaned


class RegionBrowseForm(RegionPickerMixin):
    """The public "find your region code" page, a working example of the picker."""

    region_required = False
