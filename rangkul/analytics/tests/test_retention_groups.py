"""Retention by sponsorship and by field agent, and the lapse cliff after a sponsorship's last month.

Sponsorships and agents live in a layer above analytics: these tests write their rows through the
app registry (no import), as the snapshot reads them by table name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.analytics import sql
from rangkul.analytics.models import SponsorshipCliff
from rangkul.analytics.retention import lapse_funnel, sponsorship_cliffs
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.analytics.tests.test_retention import _paid
from rangkul.contributions.tests.factories import member
from rangkul.registry.models import Worker

DAY = dt.date(2026, 4, 15)


def test_the_table_names_read_by_sql_are_the_models_tables():
    assert apps.get_model("sponsorships", "Sponsorship")._meta.db_table == sql.SPONSORSHIP_TABLE
    assert apps.get_model("sponsorships", "SponsorshipMember")._meta.db_table == sql.SPONSORSHIP_MEMBER_TABLE
    assert apps.get_model("agents", "Agent")._meta.db_table == sql.AGENT_TABLE


def _sponsorship(code: str, name: str, start: dt.date, months: int, members: list[Worker]) -> None:
    organisation = apps.get_model("partners", "Organisation").objects.get_or_create(
        code="pemkot-smg", defaults={"name": "Pemerintah Kota Semarang", "kind": "local_government"}
    )[0]
    sponsorship = apps.get_model("sponsorships", "Sponsorship").objects.create(
        code=code,
        name=name,
        organisation=organisation,
        payer_kind="regional_budget",
        start_month=start,
        months=months,
        budget_idr=10_000_000,
        status="active",
    )
    for worker in members:
        apps.get_model("sponsorships", "SponsorshipMember").objects.create(
            sponsorship=sponsorship, worker=worker, committed_idr=0, enrolled_at=timezone.now()
        )


@pytest.fixture
def groups(regions):
    """APBD-1 paid October–December 2025 for A, B, C: A kept paying to April, B paid January, C stopped
    in November. CSR-2 (March–August 2026, not ended) covers D. Agent AG-1 registered E (3 months) and F."""
    a, b, c, d = (member(registered_on=dt.date(2025, 9, 20)) for _ in range(4))
    _paid(a, (2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3), (2026, 4))
    _paid(b, (2025, 10), (2025, 11), (2025, 12), (2026, 1))
    _paid(c, (2025, 10), (2025, 11))
    _paid(d, (2026, 3))
    _sponsorship("APBD-1", "Pekerja rentan Semarang", dt.date(2025, 10, 1), 3, [a, b, c])
    _sponsorship("CSR-2", "CSR pelabuhan", dt.date(2026, 3, 1), 6, [d])
    user = get_user_model().objects.create_user(username="agen1", password=PASSWORD)
    organisation = apps.get_model("partners", "Organisation").objects.get(code="pemkot-smg")
    apps.get_model("agents", "Agent").objects.create(
        code="AG-1", user=user, organisation=organisation, cash_limit_idr=1_000_000
    )
    e, f = member(channel="agent"), member(channel="agent")
    Worker.objects.filter(pk__in=[e.pk, f.pk]).update(registered_by=user)
    _paid(e, (2026, 1), (2026, 2), (2026, 3))


def test_the_funnel_by_sponsorship_and_by_agent(groups):
    snapshot = coverage_snapshot_take(day=DAY)
    rows, total = lapse_funnel(snapshot=snapshot, dimension="sponsorship")
    assert [(row.code, row.label, row.steps) for row in rows] == [
        ("APBD-1", "Pekerja rentan Semarang", [3, 3, 2, 0]),
        ("CSR-2", "CSR pelabuhan", [1, 1, 0, 0]),
    ]
    assert total.steps == [4, 4, 2, 0]
    agents, _total = lapse_funnel(snapshot=snapshot, dimension="agent")
    assert [(row.code, row.steps) for row in agents] == [("AG-1", [2, 1, 1, 0])]


def test_the_cliff_counts_who_still_pays_1_3_and_6_months_after_the_last_sponsored_month(groups):
    snapshot = coverage_snapshot_take(day=DAY)
    stored = SponsorshipCliff.objects.get(snapshot=snapshot)  # CSR-2 has not ended: no row
    assert (stored.code, stored.last_month, stored.members, stored.paying_last) == (
        "APBD-1",
        dt.date(2025, 12, 1),
        3,
        2,
    )
    assert (stored.after_1, stored.after_3, stored.after_6) == (2, 1, None)  # June 2026 is not reached
    (row,) = sponsorship_cliffs(snapshot=snapshot)
    assert row.shares == [pytest.approx(2 / 3), pytest.approx(1 / 3), None]


def test_the_retention_page_and_csv_show_the_cliff(groups, client, analyst):
    coverage_snapshot_take(day=DAY)
    client.login(username=analyst.username, password=PASSWORD)
    page = client.get(reverse("analytics:retention"), {"by": "agent"}).content.decode()
    cliff = page[page.index('data-testid="cliff"') :]
    assert "APBD-1" in cliff and "12-2025" in cliff and "67%" in cliff and "33%" in cliff
    assert "AG-1" in page[page.index('data-testid="funnel"') :]
    lines = client.get(reverse("analytics:cliff_csv")).content.decode().splitlines()
    assert (
        lines[0] == "sponsorship,name,last_month,members,paying_last_month,paying_after_1,paying_after_3,paying_after_6"
    )
    assert lines[1] == "APBD-1,Pekerja rentan Semarang,2025-12,3,2,2,1,"
