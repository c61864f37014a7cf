"""The database mechanics of settlement reconciliation behind one interface.

``settlement_sql()`` gives the implementation for the project's database, chosen once:
PostgreSQL (array parameters joined to the indexes, keys drawn from the sequence, a
transaction-level advisory lock per channel) or the portable one (plain ORM reads and
``executemany``; SQLite serialises writers by itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

from django.db import connection

from rangkul.core.bulk import array_literal, keys_draw
from rangkul.payments.models import Payment, ReceiptCounter, SettlementLine

# The namespace of the channels' advisory locks (the lock's second key is the channel's id).
_LOCK_NAMESPACE = 7320

# A recorded payment as matching reads it: (external reference, id, amount, settling line id).
PaymentRow = tuple[str, int, int, int | None]


class SettlementSql(Protocol):
    def payments_by_reference(self, *, channel_id: int, references: set[str]) -> list[PaymentRow]:
        """The channel's payments with one of ``references``."""
        ...

    def line_ids(self, count: int) -> list[int]:
        """``count`` new settlement line ids, drawn before the lines are written."""
        ...

    def payments_settle(self, settled: Sequence[tuple[int, int]]) -> None:
        """Set each ``(payment id, line id)`` pair's payment as settled by that line."""
        ...

    def channel_lock(self, channel_id: int) -> None:
        """Hold the channel's reconciliation lock until the end of the transaction."""
        ...


class _PostgreSQL:
    def payments_by_reference(self, *, channel_id: int, references: set[str]) -> list[PaymentRow]:
        # One array parameter rather than thousands of placeholders, joined to the unique index.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.external_reference, p.id, p.amount_idr, p.settled_by_id "  # noqa: S608
                f"FROM unnest(%s::varchar[]) AS r(reference) JOIN {Payment._meta.db_table} AS p "
                "ON p.channel_id = %s AND p.external_reference = r.reference",
                [array_literal(references), channel_id],
            )
            return cursor.fetchall()

    def line_ids(self, count: int) -> list[int]:
        return keys_draw(SettlementLine, count)

    def payments_settle(self, settled: Sequence[tuple[int, int]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Payment._meta.db_table} AS p SET settled_by_id = v.line "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(payment, line) WHERE p.id = v.payment",
                [array_literal([payment for payment, _line in settled]), array_literal([line for _p, line in settled])],
            )

    def channel_lock(self, channel_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, channel_id])


class _Portable:
    def payments_by_reference(self, *, channel_id: int, references: set[str]) -> list[PaymentRow]:
        return list(
            Payment.objects.filter(channel_id=channel_id, external_reference__in=references).values_list(
                "external_reference", "pk", "amount_idr", "settled_by_id"
            )
        )

    def line_ids(self, count: int) -> list[int]:
        # Writers are serialised (SQLite's IMMEDIATE transactions), so the next ids are free.
        table = SettlementLine._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
            top = max(top, cursor.fetchone()[0])
        return list(range(top + 1, top + 1 + count))

    def payments_settle(self, settled: Sequence[tuple[int, int]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE "{Payment._meta.db_table}" SET "settled_by_id" = %s WHERE "id" = %s',  # noqa: S608
                [(line, payment) for payment, line in settled],
            )

    def channel_lock(self, channel_id: int) -> None:
        return  # SQLite serialises writers by itself


@cache
def settlement_sql() -> SettlementSql:
    """The implementation for the default database's vendor (read once per process)."""
    return _PostgreSQL() if connection.vendor == "postgresql" else _Portable()


def receipt_counter_next(year: int) -> int | None:
    """Add one to the year's receipt counter and return the new number in one statement (the row
    stays locked until the transaction ends); None when the year has no counter yet.
    ``UPDATE … RETURNING`` reads the same on PostgreSQL and SQLite 3.35+."""
    table = connection.ops.quote_name(ReceiptCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} SET "last_number" = "last_number" + 1 WHERE "year" = %s RETURNING "last_number"',  # noqa: S608
            [year],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def receipt_counter_take(year: int, count: int) -> int | None:
    """``receipt_counter_next`` for ``count`` numbers at once: the last of them (the others are the
    ``count - 1`` before it); None when the year has no counter yet."""
    table = connection.ops.quote_name(ReceiptCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} SET "last_number" = "last_number" + %s WHERE "year" = %s RETURNING "last_number"',  # noqa: S608
            [count, year],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None
