from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from rangkul.core.api_errors import ErrorOut
from rangkul.core.errors import NotFound
from rangkul.regions.errors import RegionErrorCode
from rangkul.regions.selectors import region_children

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str


@router.get(
    "",
    response={200: list[RegionOut], 404: ErrorOut},
    auth=None,
    summary="List regions",
    description="Provinces without `parent`; with `parent`, the regions one level below it "
    "(`33` → regencies, `33.74` → districts, `33.74.01` → villages).",
)
def list_regions(request: HttpRequest, parent: str | None = None) -> list[dict[str, str]]:
    children = region_children(parent=parent)
    if children is None:
        raise NotFound(
            _("The parent region was not found."),
            code=RegionErrorCode.REGION_NOT_FOUND,
            fields={"parent": [_("Unknown region code.")]},
        )
    return list(children)
