"""Public open-data pages and downloads (no login): the same rows as ``GET /api/v1/open/coverage``."""

from __future__ import annotations

import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from rangkul.analytics.parquet import OPEN_COVERAGE_COLUMNS, parquet_bytes
from rangkul.analytics.rates import OpenCoverage, open_coverage
from rangkul.analytics.suppression import SMALL_CELL
from rangkul.core.errors import ValidationFailed
from rangkul.core.spreadsheets import safe_csv_writer, safe_row
from rangkul.regions.selectors import region_names

FIELDS = ["code", "name", "members_active", "workforce_informal", "coverage_rate", "as_of", "workforce_release"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(request: HttpRequest) -> tuple[OpenCoverage | None, ValidationFailed | None, str, str]:
    level = request.GET.get("level") or ("regency" if request.GET.get("parent") else "province")
    parent = request.GET.get("parent", "")
    try:
        return open_coverage(level=level, parent=parent), None, level, parent
    except ValidationFailed as exc:
        return None, exc, level, parent


def _records(data: OpenCoverage) -> list[list[object]]:
    version = data.release.version if data.release is not None else ""
    return [[*(row[key] for key in FIELDS[:-1]), version] for row in data.open_rows()]


def _filename(data: OpenCoverage, level: str, parent: str, extension: str) -> str:
    day = data.snapshot.day.isoformat() if data.snapshot is not None else "kosong"
    area = f"{level}-{parent}" if parent else level
    return f"cakupan-{area}-{day}.{extension}"


def _refused(error: ValidationFailed) -> HttpResponse:
    return HttpResponse(str(error.message), status=400, content_type="text/plain; charset=utf-8")


@require_GET
def open_data_page(request: HttpRequest) -> HttpResponse:
    data, error, level, parent = _read(request)
    context = {
        "data": data,
        "error": error,
        "level": level,
        "parent": parent,
        "parent_name": region_names(level="province").get(parent, "") if parent else "",
        "rows": [
            {**row, "percent": None if row["coverage_rate"] is None else float(row["coverage_rate"]) * 100}  # type: ignore[arg-type]
            for row in (data.open_rows() if data is not None else [])
        ],
        "small_cell": SMALL_CELL,
        "query": request.GET.urlencode(),
    }
    return render(request, "analytics/open_data.html", context, status=400 if error else 200)


@require_GET
def open_data_csv(request: HttpRequest) -> HttpResponse:
    data, error, level, parent = _read(request)
    if data is None:
        assert error is not None  # noqa: S101 (one or the other)
        return _refused(error)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(data, level, parent, "csv")}"'
    writer = safe_csv_writer(response)
    writer.writerow(FIELDS)
    writer.writerows(["" if value is None else value for value in record] for record in _records(data))
    return response


@require_GET
def open_data_xlsx(request: HttpRequest) -> HttpResponse:
    data, error, level, parent = _read(request)
    if data is None:
        assert error is not None  # noqa: S101 (one or the other)
        return _refused(error)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Coverage"))
    sheet.append(FIELDS)
    for record in _records(data):
        sheet.append(safe_row(record))
    stream = io.BytesIO()
    book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(data, level, parent, "xlsx")}"'
    return response


@require_GET
def open_data_parquet(request: HttpRequest) -> HttpResponse:
    data, error, level, parent = _read(request)
    if data is None:
        assert error is not None  # noqa: S101 (one or the other)
        return _refused(error)
    body = parquet_bytes(columns=OPEN_COVERAGE_COLUMNS, records=_records(data))
    response = HttpResponse(body, content_type="application/vnd.apache.parquet")
    response["Content-Disposition"] = f'attachment; filename="{_filename(data, level, parent, "parquet")}"'
    return response
