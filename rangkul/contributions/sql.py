"""The database mechanics of the set-based status review and of bulk payments behind one interface.

``review_sql()`` gives the implementation for the project's database, chosen once:
PostgreSQL (typed parameters, a batch's members as one array, the plain members moved
and counted in one statement, a group payment's lines posted in one statement) or the
portable one (plain placeholders, one statement per group of outcomes or per table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol

from django.db import connection

from rangkul.core.bulk import array_literal
from rangkul.core.periods import Period


@dataclass(frozen=True)
class EntryFixed:
    """What every journal entry of one ``entries_insert`` shares (timestamps as the database takes them)."""

    occurred_at: Any
    kind: str
    created_by_id: int | None
    created_at: Any


class PostedLine(NamedTuple):
    """A bill line a share's entry pays: ``covered_from`` is ``None`` for a line paid before (its money is credit)."""

    line_id: int
    entry_id: int
    worker_id: int
    period: Any  # the month's first day
    program: str
    amount_idr: int
    discount_idr: int
    covered_from: Any


@dataclass(frozen=True)
class ShareTables:
    """The tables ``shares_post`` writes: bill lines, paid months (coverage) and journal lines."""

    bill_lines: str
    months: str
    journal_lines: str


# A journal line written as it is: (entry id, account id, worker id, debit, credit).
PlainLine = tuple[int, int, int, int, int]


# Builds the review's UPDATE … FROM for some steps: (SQL, parameters); with ``counted`` the
# derived table also carries each step's ``changed`` (0 or 1).
UpdateFor = Callable[[Sequence[Any], bool], tuple[str, list[Any]]]


class ReviewSql(Protocol):
    def placeholders(self) -> tuple[str, str, str]:
        """The parameter placeholders of a derived table's text, date and integer columns."""
        ...

    def ids_in(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """``column`` is one of ``ids`` (sorted), as a condition and its parameters."""
        ...

    def steps_update(self, cursor: Any, *, steps: Sequence[Any], update_for: UpdateFor) -> tuple[int, int]:
        """Run the review's update for ``steps``: ``(members moved, members whose status changed)``."""
        ...

    def lines_settle(self, cursor: Any, *, table: str, pairs: Sequence[tuple[int, int]], settled_at: Any) -> None:
        """Mark bill lines paid: each ``(line id, entry id)`` pair's line by that entry, at ``settled_at``."""
        ...

    def local_day(self, column: str, zone: str) -> tuple[str, list[Any]]:
        """A timestamp column as its day in ``zone`` (the portable one leaves the timestamp to the caller)."""
        ...

    def texts_in(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values``, as a condition and its parameters."""
        ...

    def for_update(self) -> str:
        """The clause locking the rows a SELECT reads (none where the database locks otherwise)."""
        ...

    def keys_set(self, cursor: Any, *, table: str, column: str, pairs: Sequence[tuple[int, int]]) -> None:
        """Set ``column`` of each ``(row id, value)`` pair's row to its value."""
        ...

    def entries_insert(
        self, cursor: Any, *, table: str, fixed: EntryFixed, rows: Sequence[tuple[str, str]]
    ) -> dict[str, int]:
        """Journal entries, one per ``(reference, memo)``, each unless one of its kind and reference
        exists: the new ones' ids by reference (a reference posted before is left out)."""
        ...

    def shares_post(
        self,
        cursor: Any,
        *,
        tables: ShareTables,
        lines: Sequence[PostedLine],
        debits: Sequence[PlainLine],
        credits: Sequence[PlainLine],
        accounts: dict[str, int],
        paid_at: Any,
        payer_kind: str,
    ) -> None:
        """Post the lines of shares' entries: each bill line settled by its entry; each newly paid one
        (``covered_from`` set) a paid month and, when not free, a credit of its program's account
        (``accounts``); ``debits`` and ``credits`` (the member's credit) as they are."""
        ...

    def changes_insert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], recorded_at: Any) -> None:
        """Record status changes, each row ``(worker_id, status, since)``, unless recorded before."""
        ...

    def statuses_upsert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], updated_at: Any) -> None:
        """Store members' statuses: each row ``(worker_id, *STATUS_COLUMNS)`` inserted, or written over
        the member's stored row (the member's key never changes, so nothing else need be checked)."""
        ...


# A member's stored status columns (``MemberStatus``), in the order ``statuses_upsert`` takes them.
STATUS_COLUMNS = ("status", "since", "paid_through", "arrears_months", "pay_arrears_by", "next_review_on")
_EXCLUDED = ", ".join(f"{column} = EXCLUDED.{column}" for column in (*STATUS_COLUMNS, "updated_at"))


def _within(column: str) -> str:
    # The key range first: it lets the planner read the batch through the primary key.
    return f"{column} BETWEEN %s AND %s AND "


class _PostgreSQL:
    def placeholders(self) -> tuple[str, str, str]:
        return "%s::varchar", "%s::date", "%s::integer"

    def ids_in(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        return f"{_within(column)}{column} = ANY(%s::bigint[])", [ids[0], ids[-1], array_literal(ids)]

    def steps_update(self, cursor: Any, *, steps: Sequence[Any], update_for: UpdateFor) -> tuple[int, int]:
        if not steps:
            return 0, 0
        # One statement, counting the members whose status changed as it goes.
        update, params = update_for(steps, True)
        cursor.execute(
            f"WITH moved AS ({update} RETURNING k.changed) SELECT count(*), COALESCE(sum(changed), 0) FROM moved",  # noqa: S608
            params,
        )
        moved, moved_changed = cursor.fetchone()
        return int(moved), int(moved_changed)

    def lines_settle(self, cursor: Any, *, table: str, pairs: Sequence[tuple[int, int]], settled_at: Any) -> None:
        if not pairs:
            return
        # One statement for the whole chunk: the pairs as two arrays.
        cursor.execute(
            f"UPDATE {table} AS l SET settled_at = %s, settled_entry_id = p.entry "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS p(line, entry) WHERE l.id = p.line",
            [settled_at, array_literal([line for line, _entry in pairs]), array_literal([e for _line, e in pairs])],
        )

    def local_day(self, column: str, zone: str) -> tuple[str, list[Any]]:
        return f"(({column}) AT TIME ZONE %s)::date", [zone]

    def texts_in(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s::varchar[])", [array_literal(values)]

    def for_update(self) -> str:
        return " FOR UPDATE"

    def keys_set(self, cursor: Any, *, table: str, column: str, pairs: Sequence[tuple[int, int]]) -> None:
        if not pairs:
            return
        cursor.execute(
            f"UPDATE {table} AS t SET {column} = p.value "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS p(key, value) WHERE t.id = p.key",
            [array_literal([key for key, _value in pairs]), array_literal([value for _key, value in pairs])],
        )

    def entries_insert(
        self, cursor: Any, *, table: str, fixed: EntryFixed, rows: Sequence[tuple[str, str]]
    ) -> dict[str, int]:
        if not rows:
            return {}
        # One statement: the rows as arrays, the unique (kind, reference) deciding what is new.
        cursor.execute(
            f"INSERT INTO {table} (occurred_at, kind, reference, memo, created_by_id, created_at) "  # noqa: S608
            "SELECT %s, %s, r.reference, r.memo, %s, %s "
            "FROM unnest(%s::varchar[], %s::varchar[]) AS r(reference, memo) "
            "ON CONFLICT (kind, reference) DO NOTHING RETURNING reference, id",
            [
                fixed.occurred_at,
                fixed.kind,
                fixed.created_by_id,
                fixed.created_at,
                array_literal([reference for reference, _memo in rows]),
                array_literal([memo for _reference, memo in rows]),
            ],
        )
        return dict(cursor.fetchall())

    def statuses_upsert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], updated_at: Any) -> None:
        if not rows:
            return
        # One statement: each column as an array; a stored row is updated in place.
        cursor.execute(
            f"INSERT INTO {table} (worker_id, {', '.join(STATUS_COLUMNS)}, updated_at) "  # noqa: S608
            "SELECT r.*, %s FROM unnest(%s::bigint[], %s::varchar[], %s::date[], %s::date[], %s::integer[], "
            "%s::date[], %s::date[]) AS r "
            f"ON CONFLICT (worker_id) DO UPDATE SET {_EXCLUDED}",
            [updated_at, *(array_literal(column) for column in zip(*rows, strict=True))],
        )

    def shares_post(
        self,
        cursor: Any,
        *,
        tables: ShareTables,
        lines: Sequence[PostedLine],
        debits: Sequence[PlainLine],
        credits: Sequence[PlainLine],
        accounts: dict[str, int],
        paid_at: Any,
        payer_kind: str,
    ) -> None:
        if not lines:
            return
        # One statement: the bill lines are settled and return what the paid months and the
        # credits are written from, so only each line's key, entry and cover start are sent.
        plain = ("entry", "account", "worker", "debit", "credit")
        cursor.execute(
            f"""WITH p AS (
                SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) AS p(line, entry, covered_from)
            ),
            settled AS (
                UPDATE {tables.bill_lines} AS l SET settled_at = %s, settled_entry_id = p.entry FROM p
                WHERE l.id = p.line
                RETURNING l.worker_id, l.period, l.program, l.amount_idr, l.discount_idr, p.entry, p.covered_from
            ),
            months AS (
                INSERT INTO {tables.months}
                    (worker_id, period, program, amount_idr, discount_idr, paid_at, covered_from, entry_id, payer_kind)
                SELECT worker_id, period, program, amount_idr, discount_idr, %s, covered_from, entry, %s
                FROM settled WHERE covered_from IS NOT NULL
            )
            INSERT INTO {tables.journal_lines} (entry_id, account_id, worker_id, period, program, debit_idr, credit_idr)
            SELECT d.entry, d.account, d.worker, NULL, '', d.debit, d.credit
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS d({", ".join(plain)})
            UNION ALL
            SELECT s.entry, a.account, s.worker_id, s.period, s.program, 0, s.amount_idr
            FROM settled AS s JOIN unnest(%s::varchar[], %s::bigint[]) AS a(program, account) ON a.program = s.program
            WHERE s.covered_from IS NOT NULL AND s.amount_idr > 0
            UNION ALL
            SELECT c.entry, c.account, c.worker, NULL, '', c.debit, c.credit
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS c({", ".join(plain)})
            """,  # noqa: S608
            [
                array_literal([line.line_id for line in lines]),
                array_literal([line.entry_id for line in lines]),
                array_literal([line.covered_from for line in lines]),
                paid_at,
                paid_at,
                payer_kind,
                *_columns(debits, 5),
                array_literal(list(accounts)),
                array_literal(list(accounts.values())),
                *_columns(credits, 5),
            ],
        )

    def changes_insert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], recorded_at: Any) -> None:
        if not rows:
            return
        cursor.execute(
            f"INSERT INTO {table} (worker_id, status, since, recorded_at) "  # noqa: S608
            "SELECT r.*, %s FROM unnest(%s::bigint[], %s::varchar[], %s::date[]) AS r ON CONFLICT DO NOTHING",
            [recorded_at, *(array_literal(column) for column in zip(*rows, strict=True))],
        )


class _Portable:
    def placeholders(self) -> tuple[str, str, str]:
        return "%s", "%s", "%s"

    def ids_in(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        return f"{_within(column)}{column} IN ({', '.join(['%s'] * len(ids))})", [ids[0], ids[-1], *ids]

    def steps_update(self, cursor: Any, *, steps: Sequence[Any], update_for: UpdateFor) -> tuple[int, int]:
        reviewed = changed = 0
        for group in ([s for s in steps if s.changed], [s for s in steps if not s.changed]):
            if not group:
                continue
            update, params = update_for(group, False)
            cursor.execute(update, params)
            reviewed += cursor.rowcount
            if group[0].changed:
                changed += cursor.rowcount
        return reviewed, changed

    def lines_settle(self, cursor: Any, *, table: str, pairs: Sequence[tuple[int, int]], settled_at: Any) -> None:
        # One statement per entry (a member's share): SQLite has no arrays to join against.
        by_entry: dict[int, list[int]] = {}
        for line, entry in pairs:
            by_entry.setdefault(entry, []).append(line)
        for entry, lines in by_entry.items():
            cursor.execute(
                f"UPDATE {table} SET settled_at = %s, settled_entry_id = %s "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(lines))})",
                [settled_at, entry, *lines],
            )

    def local_day(self, column: str, zone: str) -> tuple[str, list[Any]]:
        return column, []

    def texts_in(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)

    def for_update(self) -> str:
        return ""  # SQLite: the transaction holds the database's write lock

    def keys_set(self, cursor: Any, *, table: str, column: str, pairs: Sequence[tuple[int, int]]) -> None:
        by_value: dict[int, list[int]] = {}
        for key, value in pairs:
            by_value.setdefault(value, []).append(key)
        for value, keys in by_value.items():
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE id IN ({', '.join(['%s'] * len(keys))})",  # noqa: S608
                [value, *keys],
            )

    def entries_insert(
        self, cursor: Any, *, table: str, fixed: EntryFixed, rows: Sequence[tuple[str, str]]
    ) -> dict[str, int]:
        if not rows:
            return {}
        references = [reference for reference, _memo in rows]
        condition, params = self.texts_in("reference", references)
        query = f"SELECT reference FROM {table} WHERE kind = %s AND {condition}"  # noqa: S608
        cursor.execute(query, [fixed.kind, *params])
        posted = {reference for (reference,) in cursor.fetchall()}
        new = [(reference, memo) for reference, memo in rows if reference not in posted]
        if not new:
            return {}
        cursor.executemany(
            f"INSERT INTO {table} (occurred_at, kind, reference, memo, created_by_id, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(fixed.occurred_at, fixed.kind, r, m, fixed.created_by_id, fixed.created_at) for r, m in new],
        )
        condition, params = self.texts_in("reference", [reference for reference, _memo in new])
        cursor.execute(f"SELECT reference, id FROM {table} WHERE kind = %s AND {condition}", [fixed.kind, *params])  # noqa: S608
        return dict(cursor.fetchall())

    def shares_post(
        self,
        cursor: Any,
        *,
        tables: ShareTables,
        lines: Sequence[PostedLine],
        debits: Sequence[PlainLine],
        credits: Sequence[PlainLine],
        accounts: dict[str, int],
        paid_at: Any,
        payer_kind: str,
    ) -> None:
        if not lines:
            return
        self.lines_settle(
            cursor, table=tables.bill_lines, pairs=[(line.line_id, line.entry_id) for line in lines], settled_at=paid_at
        )
        fresh = [line for line in lines if line.covered_from is not None]
        kind, at = payer_kind, paid_at
        cursor.executemany(
            f"INSERT INTO {tables.months} (worker_id, period, program, amount_idr, discount_idr, paid_at, "  # noqa: S608
            "covered_from, entry_id, payer_kind) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (m.worker_id, m.period, m.program, m.amount_idr, m.discount_idr, at, m.covered_from, m.entry_id, kind)
                for m in fresh
            ],
        )
        journal = [(e, account, worker, None, "", debit, credit) for e, account, worker, debit, credit in debits]
        journal += [
            (m.entry_id, accounts[m.program], m.worker_id, m.period, m.program, 0, m.amount_idr)
            for m in fresh
            if m.amount_idr > 0
        ]
        journal += [(e, account, worker, None, "", debit, credit) for e, account, worker, debit, credit in credits]
        cursor.executemany(
            f"INSERT INTO {tables.journal_lines} (entry_id, account_id, worker_id, period, program, debit_idr, "  # noqa: S608
            "credit_idr) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            journal,
        )

    def changes_insert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], recorded_at: Any) -> None:
        cursor.executemany(
            f"INSERT INTO {table} (worker_id, status, since, recorded_at) VALUES (%s, %s, %s, %s) "  # noqa: S608
            "ON CONFLICT DO NOTHING",
            [(*row, recorded_at) for row in rows],
        )

    def statuses_upsert(self, cursor: Any, *, table: str, rows: Sequence[tuple[Any, ...]], updated_at: Any) -> None:
        columns = ("worker_id", *STATUS_COLUMNS, "updated_at")
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
            f"ON CONFLICT (worker_id) DO UPDATE SET {_EXCLUDED}",
            [(*row, updated_at) for row in rows],
        )


def fetch_rows(query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """A query's rows as the cursor returns them (plain tuples, no model objects)."""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def as_day(value: Any) -> dt.date:
    """A date column as the cursor returns it (a date; ISO text on SQLite) as a date."""
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def month_reader() -> Callable[[Any], Period]:
    """A month column's value as the cursor returns it (a date; ISO text on SQLite) as its ``Period``,
    each distinct value converted once (a chunk's rows repeat a few months many times)."""
    months: dict[Any, Period] = {}

    def month(value: Any) -> Period:
        found = months.get(value)
        if found is None:
            found = months[value] = Period.of(as_day(value))
        return found

    return month


def _columns(rows: Sequence[tuple[int, ...]], width: int) -> list[str]:
    """Each of the ``width`` columns of ``rows`` as one array literal (empty arrays for no rows)."""
    if not rows:
        return ["{}"] * width
    return [array_literal(column) for column in zip(*rows, strict=True)]


@cache
def review_sql() -> ReviewSql:
    """The implementation for the default database's vendor (read once per process)."""
    return _PostgreSQL() if connection.vendor == "postgresql" else _Portable()


def first_paid_rows(
    table: str, worker_ids: Sequence[int], *, programs: Sequence[str], chunk: int
) -> Iterator[tuple[Any, Any, Any, Any]]:
    """``(worker_id, period, program, first paid_at)`` per paid member-month and program of ``table``
    among ``programs``, as the cursor returns them (plain rows, no model conversion), the members
    sent ``chunk`` at a time."""
    among = ", ".join(["%s"] * len(programs))
    with connection.cursor() as cursor:
        for start in range(0, len(worker_ids), chunk):
            in_ids, params = review_sql().ids_in("worker_id", worker_ids[start : start + chunk])
            cursor.execute(
                f"SELECT worker_id, period, program, MIN(paid_at) FROM {table} "  # noqa: S608
                f"WHERE {in_ids} AND program IN ({among}) GROUP BY worker_id, period, program",
                [*params, *programs],
            )
            yield from cursor.fetchall()


def protected_rows(
    table: str, worker_ids: Sequence[int], *, programs: Sequence[str], chunk: int, zone: str
) -> Iterator[tuple[Any, Any, Any]]:
    """``(worker_id, period, day)`` per member-month of ``table`` (one row per member, month and
    program) in which every one of ``programs`` is paid, ``day`` being when the last of them was
    paid: its day in ``zone`` on PostgreSQL (a date), the timestamp itself on the portable path
    (for the caller to convert). One row per protected month instead of one per program, the
    members sent ``chunk`` at a time."""
    among = ", ".join(["%s"] * len(programs))
    # ``table`` holds one row per member, month and program (its unique constraint): a program's
    # row is its first payment, so one grouping by month is enough.
    day, day_params = review_sql().local_day("MAX(paid_at)", zone)
    with connection.cursor() as cursor:
        for start in range(0, len(worker_ids), chunk):
            in_ids, params = review_sql().ids_in("worker_id", worker_ids[start : start + chunk])
            cursor.execute(
                f"SELECT worker_id, period, {day} FROM {table} "  # noqa: S608
                f"WHERE {in_ids} AND program IN ({among}) GROUP BY worker_id, period HAVING COUNT(*) = %s",
                [*day_params, *params, *programs, len(programs)],
            )
            yield from cursor.fetchall()
