"""Fast name search at millions of rows on PostgreSQL: a trigram GIN index.

``name_normalized`` is stored case-folded and searched with ``LIKE '%…%'``,
which pg_trgm's ``gin_trgm_ops`` serves. SQLite has no equivalent and does
without (the demo and tests are small).
"""

from typing import Any

from django.db import migrations

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
    "CREATE INDEX IF NOT EXISTS registry_worker_name_trgm ON registry_worker USING gin (name_normalized gin_trgm_ops);",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS registry_worker_name_trgm;"]


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_UP:
            schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_seed_occupations")]

    operations = [migrations.RunPython(forwards, backwards)]
