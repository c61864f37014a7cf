from __future__ import annotations

from django.db.models import QuerySet

from rangkul.regions.models import (
    District,
    Province,
    Regency,
    Village,
    WorkforceDefinition,
    WorkforceFigure,
    WorkforceRelease,
)

# Length of a code at each level, and the model that holds it.
_BY_LENGTH: dict[int, type[Province | Regency | District | Village]] = {
    2: Province,
    5: Regency,
    8: District,
    13: Village,
}
_CHILD_OF: dict[int, tuple[type[Regency | District | Village], str]] = {
    2: (Regency, "province_id"),
    5: (District, "regency_id"),
    8: (Village, "district_id"),
}


def region_children(*, parent: str | None) -> QuerySet | None:
    """Provinces without a parent; otherwise the next level down. None for an unknown parent."""
    if not parent:
        return Province.objects.order_by("code").values("code", "name")
    parent = parent.strip()
    if len(parent) not in _CHILD_OF:
        return None
    parent_model = _BY_LENGTH[len(parent)]
    if not parent_model.objects.filter(code=parent).exists():
        return None
    model, field = _CHILD_OF[len(parent)]
    return model.objects.filter(**{field: parent}).order_by("code").values("code", "name")


def village_get(code: str) -> Village | None:
    return Village.objects.select_related("district__regency__province").filter(code=code.strip()).first()


def district_exists(code: str) -> bool:
    return District.objects.filter(code=code).exists()


def province_exists(code: str) -> bool:
    return Province.objects.filter(code=code).exists()


def regency_exists(code: str) -> bool:
    return Regency.objects.filter(code=code).exists()


def regency_in_province_exists(code: str, province_code: str) -> bool:
    """A regency of that province, in one statement (the regency's key implies its province's row)."""
    return Regency.objects.filter(code=code, province_id=province_code).exists()


def village_names(*, regency_code: str | None = None) -> list[tuple[str, str, str, str]]:
    """(code, village, district, regency) names, of one regency or of the whole country, in one query."""
    villages = Village.objects.all()
    if regency_code:
        villages = villages.filter(district__regency_id=regency_code)
    return list(villages.order_by("code").values_list("code", "name", "district__name", "district__regency__name"))


def workforce_release_current() -> WorkforceRelease | None:
    return WorkforceRelease.objects.filter(is_current=True).first()


def workforce_figures(
    *, release: WorkforceRelease | None, level: str, definition: str = WorkforceDefinition.BPS_INFORMAL
) -> dict[str, WorkforceFigure]:
    """The latest figure (by reference month) per area code of ``level`` in ``release``; empty without a release."""
    if release is None:
        return {}
    latest: dict[str, WorkforceFigure] = {}
    for figure in WorkforceFigure.objects.filter(release=release, level=level, definition=definition).order_by(
        "code", "-reference_month"
    ):
        latest.setdefault(figure.code, figure)
    return latest


def region_names(*, level: str, parent: str = "") -> dict[str, str]:
    """Code → name of every province, or of every regency (of ``parent`` when given)."""
    if level == "province":
        return dict(Province.objects.order_by("code").values_list("code", "name"))
    regencies = Regency.objects.order_by("code")
    if parent:
        regencies = regencies.filter(province_id=parent)
    return dict(regencies.values_list("code", "name"))
