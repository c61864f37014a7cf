"""Fewer indexes to maintain on every new member (PostgreSQL), and organisation codes folded.

Django gives every indexed or unique text column of PostgreSQL a second, ``varchar_pattern_ops``
index for ``LIKE 'prefix%'``. Nothing searches the NIK lookup hash, the membership number or
the registering organisation by prefix (exact matches use the unique or plain index), yet each
of those indexes is written on every registration and import row — the one on the hash alone
is as large as the unique index itself (≈ 120 MB per million members). ``village_id`` and
``phone`` keep theirs: region scoping and phone search do use prefixes.

Organisation codes are stored case-folded by registration; rows from before that are folded
here, so partners' scopes can match codes exactly (an index probe) instead of ``iexact``.
"""

from typing import Any

from django.db import migrations
from django.db.models.functions import Lower

TABLE = "registry_worker"
COLUMNS = ["nik_hash", "membership_number", "registered_by_organisation"]


def _like_index(schema_editor: Any, column: str) -> str:
    return schema_editor._create_index_name(TABLE, [column], suffix="_like")


def forwards(apps: Any, schema_editor: Any) -> None:
    worker = apps.get_model("registry", "Worker")
    worker.objects.using(schema_editor.connection.alias).exclude(
        registered_by_organisation=Lower("registered_by_organisation")
    ).update(registered_by_organisation=Lower("registered_by_organisation"))
    if schema_editor.connection.vendor == "postgresql":
        for column in COLUMNS:
            schema_editor.execute(
                f"DROP INDEX IF EXISTS {schema_editor.quote_name(_like_index(schema_editor, column))}"
            )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for column in COLUMNS:
            name = schema_editor.quote_name(_like_index(schema_editor, column))
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({schema_editor.quote_name(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_worker_recent_index")]

    operations = [migrations.RunPython(forwards, backwards)]
