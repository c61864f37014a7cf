"""The agent sync's one vendor-specific statement: the results of a run's operations stored at once.

PostgreSQL: one ``UPDATE … FROM (VALUES …)``; elsewhere one ``UPDATE`` per operation through
``executemany``. Both write the same rows (Django's ``bulk_update`` builds a ``CASE`` per row,
which costs more than the run's own work at a few hundred operations).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from rangkul.agents.models import SyncOperation


def operation_results_store(rows: Sequence[SyncOperation]) -> None:
    """Store each operation's ``result`` (the rows are saved already)."""
    if not rows:
        return
    table = connection.ops.quote_name(SyncOperation._meta.db_table)
    values = [(json.dumps(row.result, cls=DjangoJSONEncoder), row.pk) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'UPDATE {table} AS o SET "result" = v.result::jsonb FROM (VALUES '  # noqa: S608
                + ", ".join(["(%s, %s::bigint)"] * len(values))
                + ') AS v(result, id) WHERE o."id" = v.id',
                [value for pair in values for value in pair],
            )
        else:
            cursor.executemany(f'UPDATE {table} SET "result" = %s WHERE "id" = %s', values)  # noqa: S608
