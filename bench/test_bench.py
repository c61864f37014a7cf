"""Every scenario runs at the tiny size so the benchmarks never rot. No timing is asserted."""

from __future__ import annotations

import json

import pytest

from bench.core import REGISTRY, Context, Result, write_report
from bench.scenarios import analytics, http_baseline, members, payments  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_scenario_runs_at_tiny_size(name, regions, tmp_path):
    ctx = Context(size_name="tiny", members=50, server_mode="thread", seconds=5)
    results = REGISTRY[name](ctx)
    assert results, "a scenario reports at least one figure"
    for result in results:
        assert isinstance(result, Result)
        assert result.figure >= 0
        assert result.baseline > 0, "every figure has a baseline measured in the same run"
        statuses = result.details.get("statuses", {})
        assert set(statuses) <= {200, 201}, f"error answers: {statuses} {result.details.get('failures')}"
        assert result.details.get("errors", 0) == 0
        assert result.details.get("double_counts", 0) == 0
        assert result.details.get("ledger_balanced", True)
        if "bills" in result.details:
            assert result.details["payments_recorded"] == result.details["bills"] > 0
        if "snapshot_members" in result.details:
            assert result.details["snapshot_members"] == ctx.members  # every member counted once
        if "matched" in result.details:
            # Every line reconciled to the outcome the generated file was built to give.
            assert result.details["as_expected"] and result.details["lines"] > 0, result.details
    md_path, json_path = write_report(results, ctx=ctx, database="test", out_dir=tmp_path)
    assert "ratio" in md_path.read_text()
    assert json.loads(json_path.read_text())["results"][0]["ratio"] >= 0


def test_monthly_reminder_run_scans_everyone_and_reminds_on_the_busiest_day(regions):
    ctx = Context(size_name="tiny", members=50, server_mode="thread", seconds=5)
    [result] = REGISTRY["monthly_reminder_run"](ctx)
    details = result.details
    assert details["members_scanned"] > 0 and details["already_sent"] == 0
    assert details["due_soon"] > 0, "regular payers have next month unpaid on its first 'due soon' day"
    reminded = details["due_soon"] + details["missed"] + details["lapsed"]
    assert details["rerun_reminded"] == 0 and details["rerun_already_sent"] == reminded


def test_bulk_import_imports_every_generated_row_and_the_library_slice(regions):
    ctx = Context(size_name="tiny", members=50, server_mode="thread", seconds=5)
    ours, floor, library = REGISTRY["bulk_import"](ctx)
    assert ours.details["imported"] == ours.details["rows"] == 200 and ours.details["rejected"] == 0
    assert library.details["import_export_rows"] == 100  # other people, all written by django-import-export
    assert ours.figure > 0 and ours.baseline > 0 and library.baseline > 0
    assert floor.baseline > 0 and floor.details["floor_sessions"] == 1  # in the test's own transaction scope


def test_campaign_approval_freezes_the_counted_audience_with_its_control_group(regions):
    ctx = Context(size_name="tiny", members=50, server_mode="thread", seconds=5)
    [result] = REGISTRY["campaign_approval"](ctx)
    details = result.details
    assert details["audience"] == details["segment_count"] > 0
    assert details["control"] == round(details["audience"] * 10 / 100)
    assert details["to_send"] == details["audience"] - details["control"]
    assert details["dispatch_slice"] > 0  # the next morning the slice is handed over
