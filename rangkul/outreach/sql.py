"""Database-specific statements of outreach.

The reminder run: PostgreSQL inserts from arrays, other databases from multi-row VALUES; both
skip rows that exist already and return the ids of the rows they added.

A campaign's approval: one ``INSERT … SELECT`` over the segment's query, drawing the control
group and scheduling each member in SQL (``rangkul.outreach.audience`` defines both in Python).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

from rangkul.core.bulk import array_literal
from rangkul.core.periods import Period
from rangkul.outreach.audience import PRIME, SHIFT, RankKey, control_size
from rangkul.outreach.models import CampaignRecipient, RecipientState, Reminder
from rangkul.outreach.quiet_hours import zone_fallback, zone_provinces


def reminders_insert(
    rows: list[tuple[int, Period, str]], *, channel: str, now: dt.datetime
) -> dict[tuple[int, str], int]:
    """Insert what is not there yet; returns (member, kind) → id of the rows this call inserted.

    ON CONFLICT DO NOTHING on the unique (worker, period, kind): a row inserted by an earlier
    run, or by a concurrent run that committed first, is left alone and not returned.
    """
    table = Reminder._meta.db_table
    inserted: dict[tuple[int, str], int] = {}
    returning = "ON CONFLICT (worker_id, period, kind) DO NOTHING RETURNING id, worker_id, kind"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (worker_id, period, kind, channel, created_at) "  # noqa: S608
                "SELECT w, p, k, %s, %s FROM unnest(%s::bigint[], %s::date[], %s::varchar[]) AS t(w, p, k) "
                f"{returning}",
                [
                    channel,
                    now,
                    array_literal([r[0] for r in rows]),
                    array_literal([r[1].first_day for r in rows]),
                    array_literal([r[2] for r in rows]),
                ],
            )
            inserted.update({(worker_id, kind): pk for pk, worker_id, kind in cursor.fetchall()})
            return inserted
        # SQLite (3.35+ for RETURNING): multi-row VALUES, under its 999-parameter limit.
        for start in range(0, len(rows), 150):
            chunk = rows[start : start + 150]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for worker_id, period, kind in chunk:
                params += [worker_id, period.first_day, kind, channel, now]
            cursor.execute(
                f"INSERT INTO {table} (worker_id, period, kind, channel, created_at) VALUES {values} {returning}",  # noqa: S608
                params,
            )
            inserted.update({(worker_id, kind): pk for pk, worker_id, kind in cursor.fetchall()})
    return inserted


def _xor(left: str, right: str) -> str:
    if connection.vendor == "postgresql":
        return f"({left} # {right})"
    # SQLite has no xor operator: a ^ b = (a | b) − (a & b).
    return f"(({left} | {right}) - ({left} & {right}))"


def _rank_sql(column: str, key: RankKey) -> str:
    """``audience.control_rank`` in SQL; the key's integers are ours, never user input."""
    # "%%" is the modulo operator once the driver has put the parameters in.
    y = f"(({int(key.a)} * ({column} %% {PRIME}) + {int(key.b)}) %% {PRIME})"
    mixed = _xor(y, f"({y} / {2**SHIFT})")  # y >> SHIFT for y ≥ 0, in both dialects
    return f"(({int(key.c)} * {mixed} + {int(key.d)}) %% {PRIME})"


def _send_after_sql(column: str, times: dict[str, dt.datetime]) -> tuple[str, list[Any]]:
    """A CASE over the member's province choosing its zone's send time (one value when all agree)."""
    adapt = connection.ops.adapt_datetimefield_value
    distinct = sorted(set(times.values()))
    if len(distinct) == 1:
        return "%s", [adapt(distinct[0])]
    province = f"substr({column}, 1, 2)"
    first = f"substr({column}, 1, 1)"
    listed = zone_provinces()
    whens: list[str] = []
    params: list[Any] = []
    for zone, when in times.items():
        codes = sorted(code for code, name in listed.items() if name == zone)
        if codes:
            whens.append(f"WHEN {province} IN ({', '.join(['%s'] * len(codes))}) THEN %s")
            params += [*codes, adapt(when)]
    for digit in "0123456789":
        zone = zone_fallback(digit)
        whens.append(f"WHEN {first} = %s THEN %s")
        params += [digit, adapt(times[zone])]
    return f"CASE {' '.join(whens)} ELSE %s END", [*params, adapt(times["WIB"])]


def campaign_recipients_insert(
    *,
    campaign_id: int,
    members_sql: str,
    members_params: Sequence[Any],
    percent: int,
    seed: int,
    send_after: dict[str, dt.datetime],
    split: bool = False,
) -> tuple[int, int]:
    """Freeze a campaign's audience in one statement; returns (audience, control).

    ``members_sql`` selects ``id, village_id`` of the segment's members. Each is ranked by
    ``control_rank``; the lowest ``control_size(n, percent)`` ranks (ties by id) form the control
    group. The size is worked out in SQL from the count the same statement sees, with Python's
    round-half-to-even, so a member registering meanwhile cannot make it disagree. With ``split``
    the message group alternates between versions "a" and "b" in rank order (a random halving).
    """
    table = CampaignRecipient._meta.db_table
    when_sql, when_params = _send_after_sql("seg.village_id", send_after)
    rank = _rank_sql("seg.id", RankKey.from_seed(seed))
    # size = round(n × p / 100), half to even: q + 1 when the rest is over 50, or exactly 50 with q odd.
    q, r = f"((n * {int(percent)}) / 100)", f"((n * {int(percent)}) %% 100)"
    size = f"({q} + CASE WHEN {r} > 50 OR ({r} = 50 AND {q} %% 2 = 1) THEN 1 ELSE 0 END)"
    variant = f"CASE WHEN rn <= {size} THEN '' WHEN (rn - {size}) %% 2 = 1 THEN 'a' ELSE 'b' END" if split else "''"
    sql = (
        # The CTE names the segment's columns, whatever aliases the ORM gave them; it sits inside the
        # INSERT so that the driver reports the rows inserted.
        f"INSERT INTO {table} (campaign_id, worker_id, is_control, state, variant, send_after) "  # noqa: S608
        f"WITH seg (id, village_id) AS ({members_sql}) "
        f"SELECT {int(campaign_id)}, id, rn <= {size}, "
        f"CASE WHEN rn <= {size} THEN %s ELSE %s END, {variant}, send_after "
        f"FROM (SELECT seg.id AS id, {when_sql} AS send_after, "
        f"ROW_NUMBER() OVER (ORDER BY {rank}, seg.id) AS rn, COUNT(*) OVER () AS n "
        "FROM seg) AS ranked "
        # Written in member order: the primary key and the unique (campaign, worker) index then grow
        # at their right edge instead of taking a million random insertions.
        "ORDER BY id"
    )
    params = [*members_params, RecipientState.CONTROL, RecipientState.PENDING, *when_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The draw sorts the whole audience once: room for it in memory, for this transaction only.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(sql, params)
        audience = cursor.rowcount
    return audience, control_size(audience, percent)
