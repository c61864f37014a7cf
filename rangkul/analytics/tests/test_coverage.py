from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from rangkul.analytics.models import CoverageCount, CoverageSnapshot
from rangkul.analytics.selectors import coverage_by_area, coverage_by_occupation, coverage_by_province_occupation
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import MemberStatus
from rangkul.registry import services as registry_services
from rangkul.registry.tests.factories import worker_create

DAY = dt.date(2026, 11, 24)


def _status(worker, status: str) -> None:
    MemberStatus.objects.create(worker=worker, status=status, since=DAY)


@pytest.fixture
def members(regions):
    """Semarang (33.74): 2 active traders, 1 trader in arrears, 1 ojek never paid;
    Kab. Semarang (33.22): 1 ended farmer; and a merged duplicate, which is no member."""
    made = {
        "a1": worker_create(village_code="33.74.01.1001"),
        "a2": worker_create(village_code="33.74.02.1001"),
        "arrears": worker_create(village_code="33.74.01.1002"),
        "new": worker_create(village_code="33.74.01.1001", occupation_code="ojek_online"),
        "ended": worker_create(village_code="33.22.01.2001", occupation_code="petani"),
    }
    _status(made["a1"], "active")
    _status(made["a2"], "active")
    _status(made["arrears"], "in_arrears")
    _status(made["ended"], "ended")
    merged = worker_create(village_code="33.74.01.1001")
    _status(merged, "active")
    type(merged).objects.filter(pk=merged.pk).update(status="merged", merged_into=made["a1"])
    return made


def _counts(snapshot: CoverageSnapshot) -> set[tuple[str, str, str, int]]:
    return set(snapshot.counts.values_list("regency_code", "occupation_code", "status", "members"))


def test_a_snapshot_counts_every_member_once_by_regency_occupation_and_status(members):
    snapshot = coverage_snapshot_take(day=DAY)
    assert snapshot.members == 5  # the merged record is not a member
    assert _counts(snapshot) == {
        ("33.74", "pedagang", "active", 2),
        ("33.74", "pedagang", "in_arrears", 1),
        ("33.74", "ojek_online", "registered", 1),  # no status row yet: registered, not yet paid
        ("33.22", "petani", "ended", 1),
    }


def test_taking_the_same_day_again_replaces_it_and_other_days_are_kept(members):
    coverage_snapshot_take(day=DAY - dt.timedelta(days=1))
    coverage_snapshot_take(day=DAY)
    MemberStatus.objects.filter(worker=members["new"]).delete()
    _status(members["new"], "active")
    again = coverage_snapshot_take(day=DAY)
    assert CoverageSnapshot.objects.count() == 2
    assert ("33.74", "ojek_online", "active", 1) in _counts(again)
    assert not CoverageCount.objects.filter(snapshot=again, status="registered").exists()
    yesterday = CoverageSnapshot.objects.get(day=DAY - dt.timedelta(days=1))
    assert ("33.74", "ojek_online", "registered", 1) in _counts(yesterday)


def test_rollups_by_province_regency_and_occupation(members):
    snapshot = coverage_snapshot_take(day=DAY)
    areas, total = coverage_by_area(snapshot=snapshot)
    by_code = {row.code: row for row in areas}
    assert set(by_code) == {"33"}
    assert by_code["33"].name == "JAWA TENGAH"
    assert by_code["33"].counts == {"registered": 1, "active": 2, "in_arrears": 1, "ended": 1}
    assert total.total == 5 and total.active_share == pytest.approx(2 / 5)

    regencies, total = coverage_by_area(snapshot=snapshot, province="33", occupation="pedagang")
    assert [(row.code, row.total) for row in regencies] == [("33.74", 3)]
    assert total.counts["active"] == 2

    occupations = {row.code: row.counts for row in coverage_by_occupation(snapshot=snapshot)}
    assert occupations["petani"]["ended"] == 1 and occupations["ojek_online"]["registered"] == 1
    assert coverage_by_province_occupation(snapshot=snapshot, status="active") == {("33", "pedagang"): 2}


def test_the_dashboard_reads_a_fixed_number_of_statements_whatever_the_members(members, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    url = reverse("analytics:coverage")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(3):
        worker_create(village_code="33.22.01.2001", occupation_code="petani")
    coverage_snapshot_take(day=DAY)
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)


def test_the_dashboard_shows_counts_without_personal_data(members, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:coverage")).content.decode()
    assert "Cakupan" in page and "JAWA TENGAH" in page
    assert "Per provinsi" in page and "Per pekerjaan" in page
    for worker in members.values():
        assert worker.full_name not in page and worker.membership_number not in page
        assert worker.nik[-6:] not in page
    regency_page = client.get(reverse("analytics:coverage"), {"province": "33"}).content.decode()
    assert "Per kabupaten/kota" in regency_page and "KOTA SEMARANG" in regency_page


def test_the_dashboard_says_when_no_snapshot_exists_and_can_take_one(members, client, analyst):
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:coverage")).content.decode()
    assert "Belum ada potret cakupan" in page
    response = client.post(reverse("analytics:snapshot"), follow=True)
    assert response.status_code == 200
    snapshot = CoverageSnapshot.objects.get()
    assert snapshot.members == 5
    assert "5 peserta" in response.content.decode()
    event = AuditEvent.objects.get(action="analytics.coverage_snapshot_taken")
    assert event.actor == analyst and event.subject_id == str(snapshot.pk)
    assert event.after == {"day": snapshot.day.isoformat(), "members": 5, "groups": 4}
    assert "JAWA TENGAH" in response.content.decode()


def test_an_unknown_filter_value_is_a_form_error_not_a_crash(members, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    response = client.get(reverse("analytics:coverage"), {"province": "99", "day": "kemarin"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Masukkan pilihan yang valid. 99 bukan salah satu" in page
    assert "Masukkan pilihan yang valid. kemarin bukan salah satu" in page


def test_csv_export(members, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    response = client.get(reverse("analytics:coverage_csv"), {"province": "33"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cakupan-2026-11-24.csv"'
    lines = response.content.decode().splitlines()
    assert lines[1].startswith("33.22,KAB. SEMARANG,0,0,0,1,1,")
    assert lines[2].startswith("33.74,KOTA SEMARANG,1,2,1,0,4,0.5000")
    assert lines[-1].startswith(",Jumlah,1,2,1,1,5,0.4000")


def test_only_analytics_roles_see_coverage(members, client, branch_officer, partner_admin):
    for user in (branch_officer, partner_admin):
        client.login(username=user.username, password=PASSWORD)
        assert client.get(reverse("analytics:coverage")).status_code == 403
        assert client.post(reverse("analytics:snapshot")).status_code == 403
        assert client.get(reverse("analytics:coverage_csv")).status_code == 403
    client.logout()
    assert client.get(reverse("analytics:coverage")).status_code == 302


def test_command_prints_its_summary_and_refuses_a_bad_date(members):
    out = StringIO()
    call_command("take_coverage_snapshot", "--date", "2026-11-01", stdout=out)
    assert json.loads(out.getvalue()) == {
        "day": "2026-11-01",
        "members": 5,
        "groups": 4,
        "seconds": pytest.approx(CoverageSnapshot.objects.get().seconds),
    }
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("take_coverage_snapshot", "--date", "24/11/2026")


def test_a_merge_after_the_snapshot_shows_in_the_next_one(members, branch_officer):
    first = coverage_snapshot_take(day=DAY)
    duplicate = worker_create(
        village_code="33.74.01.1001",
        full_name=members["a1"].full_name,
        birth_date=members["a1"].birth_date,
    )
    second = coverage_snapshot_take(day=DAY + dt.timedelta(days=1))
    assert second.members == first.members + 1
    pending = duplicate.possible_duplicates.get()
    registry_services.duplicate_merge(actor=Actor.for_user(branch_officer), duplicate=pending, note="Orang yang sama")
    third = coverage_snapshot_take(day=DAY + dt.timedelta(days=2))
    assert third.members == first.members
