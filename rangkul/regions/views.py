from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rangkul.core.htmx import render_page_or_fragment
from rangkul.regions.forms import RegionBrowseForm, RegionPickerMixin


@require_GET
def picker(request: HttpRequest) -> HttpResponse:
    """The picker fragment for the values in the query string (htmx swaps it in place)."""
    form = RegionPickerMixin(request.GET, prefix=request.GET.get("prefix") or None)
    return render(request, "regions/_picker.html", {"form": form})


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    form = RegionBrowseForm(request.GET or None)
    village = None
    if form.is_bound and form.is_valid():
        village = form.cleaned_data.get("village_obj")
    return render_page_or_fragment(
        request,
        page="regions/browse.html",
        fragment="regions/_browse_result.html",
        context={"form": form, "village": village},
    )
