from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rangkul.analytics.forms import CoverageFilterForm, RateFilterForm
from rangkul.analytics.rates import coverage_national, coverage_rate_series, coverage_rates
from rangkul.analytics.selectors import (
    STATUSES,
    coverage_by_area,
    coverage_by_occupation,
    snapshot_get,
    snapshot_latest,
    snapshot_list,
)
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.contributions.models import MemberStatusValue
from rangkul.core.htmx import render_page_or_fragment
from rangkul.regions.selectors import workforce_release_current


def _selection(request: HttpRequest) -> tuple[CoverageFilterForm, dict[str, str]]:
    days = [s.day.isoformat() for s in snapshot_list()]
    form = CoverageFilterForm(request.GET or None, days=days)
    chosen = {"day": "", "province": "", "occupation": ""}
    if form.is_bound and form.is_valid():
        chosen.update({k: v or "" for k, v in form.cleaned_data.items()})
    return form, chosen


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_dashboard(request: HttpRequest) -> HttpResponse:
    form, chosen = _selection(request)
    snapshot = snapshot_get(day=chosen["day"]) if chosen["day"] else snapshot_latest()
    context: dict[str, object] = {
        "form": form,
        "snapshot": snapshot,
        "statuses": [(value, label) for value, label in MemberStatusValue.choices],
        "query": request.GET.urlencode(),
        "release": workforce_release_current(),
    }
    if snapshot is not None:
        areas, total = coverage_by_area(snapshot=snapshot, province=chosen["province"], occupation=chosen["occupation"])
        context.update(
            areas=areas,
            total=total,
            occupations=coverage_by_occupation(snapshot=snapshot, province=chosen["province"]),
            by_regency=bool(chosen["province"]),
        )
    return render_page_or_fragment(
        request, page="analytics/coverage.html", fragment="analytics/_coverage.html", context=context
    )


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_csv(request: HttpRequest) -> HttpResponse:
    _form, chosen = _selection(request)
    snapshot = snapshot_get(day=chosen["day"]) if chosen["day"] else snapshot_latest()
    if snapshot is None:
        messages.error(request, _("No coverage snapshot has been taken yet."))
        return redirect("analytics:coverage")
    areas, total = coverage_by_area(snapshot=snapshot, province=chosen["province"], occupation=chosen["occupation"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cakupan-{snapshot.day.isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("Code"), _("Area"), *STATUSES, _("Total"), _("Active share")])
    for row in [*areas, total]:
        writer.writerow([row.code, row.name or _("Total"), *row.cells, row.total, f"{row.active_share:.4f}"])
    return response


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_POST
def coverage_snapshot(request: HttpRequest) -> HttpResponse:
    snapshot = coverage_snapshot_take(actor=request.user)
    messages.success(
        request,
        _("Coverage snapshot for %(day)s taken: %(members)s members in %(seconds)s s.")
        % {
            "day": snapshot.day.strftime("%d-%m-%Y"),
            "members": number_format(snapshot.members, force_grouping=True),
            "seconds": f"{snapshot.seconds:.1f}",
        },
    )
    return redirect("analytics:coverage")


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_rate_page(request: HttpRequest) -> HttpResponse:
    form = RateFilterForm(request.GET or None)
    province = form.cleaned_data["province"] or "" if form.is_bound and form.is_valid() else ""
    snapshot = snapshot_latest()
    release = workforce_release_current()
    context: dict[str, object] = {"form": form, "snapshot": snapshot, "release": release, "province": province}
    if province:
        context["province_name"] = dict(form.fields["province"].choices).get(province, province)  # type: ignore[attr-defined]
    if snapshot is not None:
        context.update(
            rows=coverage_rates(
                snapshot=snapshot, level="regency" if province else "province", parent=province, release=release
            ),
            national=coverage_national(snapshot=snapshot, release=release),
            series=coverage_rate_series(code=province or "ID", release=release),
        )
    return render(request, "analytics/rates.html", context)
