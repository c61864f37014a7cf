"""Database-specific statements of the reminder run: PostgreSQL inserts from arrays, other databases
from multi-row VALUES; both skip rows that exist already and return the ids of the rows they added."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from rangkul.core.bulk import array_literal
from rangkul.core.periods import Period
from rangkul.outreach.models import Reminder


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
