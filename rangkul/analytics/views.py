from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rangkul.analytics.charts import heat_map, line_chart
from rangkul.analytics.forms import CoverageFilterForm, RateFilterForm, RetentionFilterForm
from rangkul.analytics.maps import legend, map_areas, province_map
from rangkul.analytics.models import CoverageSnapshot
from rangkul.analytics.rates import coverage_national, coverage_rate_series, coverage_rates
from rangkul.analytics.retention import CLIFF_AFTER, lapse_funnel, retention_cohorts, sponsorship_cliffs
from rangkul.analytics.selectors import (
    STATUSES,
    coverage_by_area,
    coverage_by_occupation,
    snapshot_get,
    snapshot_latest,
    snapshot_list,
)
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.contributions.models import MemberStatusValue
from rangkul.core.htmx import render_page_or_fragment
from rangkul.core.spreadsheets import safe_csv_writer
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
    writer = safe_csv_writer(response)
    writer.writerow([_("Code"), _("Area"), *STATUSES, _("Total"), _("Active share")])
    for row in [*areas, total]:
        writer.writerow([row.code, row.name or _("Total"), *row.cells, row.total, f"{row.active_share:.4f}"])
    return response


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_POST
def coverage_snapshot(request: HttpRequest) -> HttpResponse:
    snapshot = coverage_snapshot_take(actor=Actor.for_user(request.user))
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


def _rate_selection(request: HttpRequest) -> tuple[RateFilterForm, str]:
    form = RateFilterForm(request.GET or None)
    province = (form.cleaned_data["province"] or "") if form.is_bound and form.is_valid() else ""
    return form, province


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_rate_series_csv(request: HttpRequest) -> HttpResponse:
    _form, province = _rate_selection(request)
    release = workforce_release_current()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tingkat-cakupan-{province or "ID"}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(["month", "snapshot_day", "members_active", "workforce_informal", "coverage_rate", "release"])
    for point in coverage_rate_series(code=province or "ID", release=release):
        rate = "" if point.rate_percent is None else f"{point.rate_percent / 100:.6f}"
        writer.writerow(
            [
                point.month.strftime("%Y-%m"),
                point.day.isoformat(),
                point.members_active,
                "" if point.workforce_informal is None else point.workforce_informal,
                rate,
                release.version if release is not None else "",
            ]
        )
    return response


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_rate_page(request: HttpRequest) -> HttpResponse:
    form, province = _rate_selection(request)
    snapshot = snapshot_latest()
    release = workforce_release_current()
    context: dict[str, object] = {"form": form, "snapshot": snapshot, "release": release, "province": province}
    if province:
        context["province_name"] = dict(form.fields["province"].choices).get(province, province)  # type: ignore[attr-defined]
    if snapshot is not None:
        series = coverage_rate_series(code=province or "ID", release=release)
        with_rate = any(point.rate_percent is not None for point in series)
        context.update(
            series=series,
            series_svg=line_chart(
                points=[
                    (point.month.strftime("%m-%Y"), point.rate_percent if with_rate else point.members_active)
                    for point in series
                ],
                unit="%" if with_rate else "",
                title=_("Coverage rate by month") if with_rate else _("Active members by month"),
            ),
            series_is_rate=with_rate,
            rows=coverage_rates(
                snapshot=snapshot, level="regency" if province else "province", parent=province, release=release
            ),
            national=coverage_national(snapshot=snapshot, release=release),
        )
        if not province:
            areas = map_areas(context["rows"])  # type: ignore[arg-type]
            context.update(
                map_areas=areas,
                map_legend=legend(),
                map_svg=province_map(
                    areas=areas,
                    title=_("Coverage rate by province"),
                    description=_(
                        "Map of Indonesia's provinces, each coloured by its coverage rate; the same numbers "
                        "are in the table after the map. Choose a province to see its regencies."
                    ),
                    href=lambda code: f"?province={code}",
                ),
            )
    return render(request, "analytics/rates.html", context)


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def coverage_map_csv(request: HttpRequest) -> HttpResponse:
    snapshot = snapshot_latest()
    if snapshot is None:
        messages.error(request, _("No coverage snapshot has been taken yet."))
        return redirect("analytics:rates")
    release = workforce_release_current()
    areas = map_areas(coverage_rates(snapshot=snapshot, level="province", release=release))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="peta-cakupan-{snapshot.day.isoformat()}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(["code", "codes", "name", "members_active", "workforce_informal", "coverage_rate", "colour"])
    for area in areas:
        rate = "" if area.rate_percent is None else f"{area.rate_percent / 100:.6f}"
        workforce = "" if area.workforce_informal is None else area.workforce_informal
        writer.writerow([area.code, " ".join(area.codes), area.name, area.members_active, workforce, rate, area.colour])
    return response


MONTHS_SINCE = 13  # registration month and the twelve after it


def _retention_context(request: HttpRequest) -> dict[str, object]:
    form = RetentionFilterForm(request.GET or None)
    by = (form.cleaned_data["by"] or "channel") if form.is_bound and form.is_valid() else "channel"
    snapshot = snapshot_latest()
    context: dict[str, object] = {"form": form, "snapshot": snapshot, "by": by, "months": range(MONTHS_SINCE)}
    if snapshot is not None:
        cohorts = retention_cohorts(snapshot=snapshot)
        funnel, total = lapse_funnel(snapshot=snapshot, dimension=by)
        context.update(
            heatmap_svg=heat_map(
                rows=[(row.cohort.strftime("%m-%y"), row.shares(MONTHS_SINCE)) for row in cohorts],
                columns=[str(since) for since in range(MONTHS_SINCE)],
                title=_("Share of each cohort still paying, by months since registration"),
            ),
            cohorts=[(row, row.shares(MONTHS_SINCE)) for row in cohorts],
            funnel=funnel,
            funnel_total=total,
            cliffs=sponsorship_cliffs(snapshot=snapshot),
            cliff_after=CLIFF_AFTER,
        )
    return context


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def retention_page(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/retention.html", _retention_context(request))


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def retention_csv(request: HttpRequest) -> HttpResponse:
    context = _retention_context(request)
    snapshot = context["snapshot"]
    if snapshot is None:
        messages.error(request, _("No coverage snapshot has been taken yet."))
        return redirect("analytics:retention")
    assert isinstance(snapshot, CoverageSnapshot)  # noqa: S101 (checked above)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="retensi-{snapshot.day.isoformat()}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(["cohort", "members", *(f"month_{since}" for since in range(MONTHS_SINCE))])
    for row, shares in context["cohorts"]:  # type: ignore[attr-defined]
        writer.writerow([row.cohort.strftime("%Y-%m"), row.members, *("" if s is None else f"{s:.4f}" for s in shares)])
    return response


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def funnel_csv(request: HttpRequest) -> HttpResponse:
    context = _retention_context(request)
    snapshot = context["snapshot"]
    if snapshot is None:
        messages.error(request, _("No coverage snapshot has been taken yet."))
        return redirect("analytics:retention")
    assert isinstance(snapshot, CoverageSnapshot)  # noqa: S101 (checked above)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="corong-{context["by"]}-{snapshot.day.isoformat()}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow([context["by"], "name", "registered", "paid_once", "paid_3", "paid_12"])
    for row in [*context["funnel"], context["funnel_total"]]:  # type: ignore[misc]
        writer.writerow([row.code, row.label, *row.steps])
    return response


@login_required
@permission_required("accounts.view_analytics", raise_exception=True)
@require_GET
def cliff_csv(request: HttpRequest) -> HttpResponse:
    snapshot = snapshot_latest()
    if snapshot is None:
        messages.error(request, _("No coverage snapshot has been taken yet."))
        return redirect("analytics:retention")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="jurang-sponsor-{snapshot.day.isoformat()}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(
        [
            "sponsorship",
            "name",
            "last_month",
            "members",
            "paying_last_month",
            *(f"paying_after_{k}" for k in CLIFF_AFTER),
        ]
    )
    for row in sponsorship_cliffs(snapshot=snapshot):
        writer.writerow(
            [
                row.code,
                row.name,
                row.last_month.strftime("%Y-%m"),
                row.members,
                row.paying_last,
                *("" if n is None else n for n in row.after),
            ]
        )
    return response
