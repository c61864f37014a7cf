"""Set-based SQL for the coverage snapshot: each member's distinct paid months are counted once.

``paid_months()`` counts them in two temporary tables; the readings below run inside it. The queries
are plain SQL (sub-selects in FROM, LEFT JOIN, GROUP BY, CASE) that SQLite and
PostgreSQL both run; the member side is compiled by the ORM, so the month of registration is
truncated in Asia/Jakarta exactly as ``TruncMonth`` does it everywhere else. The only vendor
statements are PostgreSQL's: the session's sort memory raised for the snapshot's transaction, and
the temporary tables analysed so that the planner knows their size.

Sponsorships and agents sit in a layer above analytics, so their rows are read here by table
name (``SPONSORSHIP_TABLES``, ``AGENT_TABLE``); a test keeps the names equal to the models'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import TruncMonth

from rangkul.contributions.models import ContributionMonth
from rangkul.core.periods import Period
from rangkul.registry.models import Worker, WorkerStatus

SPONSORSHIP_TABLE = "sponsorships_sponsorship"
SPONSORSHIP_MEMBER_TABLE = "sponsorships_sponsorshipmember"
AGENT_TABLE = "agents_agent"
# Sorting and hashing 18 M paid months in memory instead of in temporary files (PostgreSQL only).
SNAPSHOT_WORK_MEM = "256MB"


class FunnelGroup(NamedTuple):
    channel: str
    partner: str
    occupation: str
    registered: int
    paid_once: int
    paid_3: int
    paid_12: int


class FunnelByGroup(NamedTuple):
    code: str
    label: str
    registered: int
    paid_once: int
    paid_3: int
    paid_12: int


class SponsorshipPaying(NamedTuple):
    code: str
    name: str
    start_month: dt.date
    months: int
    members: int
    paying: dict[Period, int]  # contribution month → members of the sponsorship who paid for it


def snapshot_session_tune() -> None:
    """Give the snapshot's transaction room to sort in memory (``SET LOCAL`` ends with the transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{SNAPSHOT_WORK_MEM}'")


def _compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _members() -> tuple[str, tuple[Any, ...]]:
    """Member records (merged duplicates left out) with the columns the groupings need, aliased."""
    return _compiled(
        Worker.objects.filter(status=WorkerStatus.ACTIVE)
        .order_by()
        .annotate(
            m_id=F("pk"),
            m_channel=F("channel"),
            m_partner=F("registered_by_organisation"),
            m_occupation=F("occupation__code"),
            m_user=F("registered_by_id"),
            m_cohort=TruncMonth("registered_at"),
        )
        .values("m_id", "m_channel", "m_partner", "m_occupation", "m_user", "m_cohort")
    )


def _paid_months() -> tuple[str, tuple[Any, ...]]:
    """Each (member, contribution month) with at least one program paid, once."""
    return _compiled(ContributionMonth.objects.order_by().values("worker_id", "period").distinct())


PAID = "analytics_snapshot_paid"  # (worker_id, period): each paid month of each member, once
MONTHS = "analytics_snapshot_months"  # (worker_id, months): how many distinct months each member paid


@contextmanager
def paid_months() -> Iterator[None]:
    """The paid months counted once, in two temporary tables that the readings below share.

    One pass over the contribution months (tens of millions of rows) instead of one per reading;
    temporary tables belong to this connection alone and are dropped on the way out.
    """
    paid, params = _paid_months()
    with connection.cursor() as cursor:
        for table in (PAID, MONTHS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        _follow_the_unique_index(cursor, on=True)
        cursor.execute(f"CREATE TEMPORARY TABLE {PAID} AS {paid}", params)
        _follow_the_unique_index(cursor, on=False)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {MONTHS} AS "  # noqa: S608 (a constant table name)
            f"SELECT worker_id, COUNT(*) AS months FROM {PAID} GROUP BY worker_id"
        )
        _analyze(cursor, PAID, MONTHS)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in (PAID, MONTHS):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _follow_the_unique_index(cursor: Any, *, on: bool) -> None:
    """Group the paid months in the order of their unique (worker, month, program) index, streaming.

    Measured at 18.7 M paid months (``docs/benchmarks.md``): 11 s read in index order against 35–40 s
    hashing 8 M (member, month) groups, which the planner prefers when the table's pages are not yet
    marked all-visible. Local to the snapshot's transaction; reset right after the one statement.
    """
    if connection.vendor != "postgresql":
        return
    for setting in ("enable_hashagg", "enable_sort"):
        cursor.execute(f"SET LOCAL {setting} = off" if on else f"RESET {setting}")


def _analyze(cursor: Any, *tables: str) -> None:
    """Autovacuum never analyses temporary tables: without statistics PostgreSQL sorts where it should hash."""
    if connection.vendor == "postgresql":
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


_STEPS = (
    "COUNT(*), "
    "SUM(CASE WHEN p.months >= 1 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN p.months >= 3 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN p.months >= 12 THEN 1 ELSE 0 END)"
)


def _fetch(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _steps(row: tuple[Any, ...]) -> tuple[int, int, int, int]:
    return int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)


def funnel_groups() -> list[FunnelGroup]:
    """Members by registration channel, registering partner and occupation, with how many paid at least
    one, three and twelve distinct contribution months: one grouped pass over the paid months."""
    members, member_params = _members()
    rows = _fetch(
        f"SELECT m.m_channel, m.m_partner, m.m_occupation, {_STEPS} "  # noqa: S608 (compiled subqueries)
        f"FROM ({members}) m LEFT JOIN {MONTHS} p ON p.worker_id = m.m_id "
        "GROUP BY m.m_channel, m.m_partner, m.m_occupation",
        member_params,
    )
    return [FunnelGroup(row[0], row[1] or "", row[2], *_steps(row[3:])) for row in rows]


def _as_date(value: Any) -> dt.date:
    """A month from the database: a datetime/date (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return dt.date.fromisoformat(str(value)[:10]).replace(day=1)


def cohort_paying() -> list[tuple[dt.date, Period, int]]:
    """(month of registration, contribution month, members of that cohort who paid for that month)."""
    members, member_params = _members()
    rows = _fetch(
        f"SELECT m.m_cohort, d.period, COUNT(*) FROM {PAID} d "  # noqa: S608 (compiled subqueries)
        f"JOIN ({members}) m ON m.m_id = d.worker_id GROUP BY m.m_cohort, d.period",
        member_params,
    )
    return [(_as_date(cohort), Period.of(_as_date(period)), int(count)) for cohort, period, count in rows]


def funnel_by_sponsorship() -> list[FunnelByGroup]:
    """The funnel of each sponsorship's members (a member counts once per sponsorship)."""
    members, member_params = _members()
    rows = _fetch(
        f"SELECT s.code, s.name, {_STEPS} "  # noqa: S608 (table names are constants)
        f"FROM (SELECT DISTINCT sponsorship_id, worker_id FROM {SPONSORSHIP_MEMBER_TABLE}) sm "
        f"JOIN {SPONSORSHIP_TABLE} s ON s.id = sm.sponsorship_id "
        f"JOIN ({members}) m ON m.m_id = sm.worker_id "
        f"LEFT JOIN {MONTHS} p ON p.worker_id = m.m_id GROUP BY s.code, s.name",
        member_params,
    )
    return [FunnelByGroup(row[0], row[1], *_steps(row[2:])) for row in rows]


def funnel_by_agent() -> list[FunnelByGroup]:
    """The funnel of the members each field agent registered."""
    members, member_params = _members()
    rows = _fetch(
        f"SELECT a.code, a.code, {_STEPS} "  # noqa: S608 (table names are constants)
        f"FROM ({members}) m JOIN {AGENT_TABLE} a ON a.user_id = m.m_user "
        f"LEFT JOIN {MONTHS} p ON p.worker_id = m.m_id GROUP BY a.code",
        member_params,
    )
    return [FunnelByGroup(row[0], row[1], *_steps(row[2:])) for row in rows]


def sponsorship_paying() -> list[SponsorshipPaying]:
    """Each sponsorship with its members and, per contribution month, how many of them paid for it."""
    members, member_params = _members()
    sponsorships = {
        row[0]: SponsorshipPaying(row[1], row[2], _as_date(row[3]), int(row[4]), int(row[5]), {})
        for row in _fetch(
            f"SELECT s.id, s.code, s.name, s.start_month, s.months, COUNT(DISTINCT m.m_id) "  # noqa: S608
            f"FROM {SPONSORSHIP_TABLE} s JOIN {SPONSORSHIP_MEMBER_TABLE} sm ON sm.sponsorship_id = s.id "
            f"JOIN ({members}) m ON m.m_id = sm.worker_id GROUP BY s.id, s.code, s.name, s.start_month, s.months",
            member_params,
        )
    }
    for sponsorship_id, period, count in _fetch(
        f"SELECT sm.sponsorship_id, d.period, COUNT(DISTINCT d.worker_id) "  # noqa: S608
        f"FROM {SPONSORSHIP_MEMBER_TABLE} sm JOIN {PAID} d ON d.worker_id = sm.worker_id "
        f"JOIN ({members}) m ON m.m_id = sm.worker_id GROUP BY sm.sponsorship_id, d.period",
        member_params,
    ):
        if sponsorship_id in sponsorships:
            sponsorships[sponsorship_id].paying[Period.of(_as_date(period))] = int(count)
    return sorted(sponsorships.values(), key=lambda row: row.code)
