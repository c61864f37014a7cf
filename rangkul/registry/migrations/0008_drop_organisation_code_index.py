"""No index on the registering organisation's code: one entry fewer to write for every member.

Partners read their members one at a time, by membership number, whose unique index finds the
row; the organisation code only confirms that the row is theirs. Nothing else filters on it.

Only the index is dropped. Letting Django alter the field would rebuild the whole worker table
on SQLite (copy every row, recreate every index); ``DROP INDEX`` is enough on both databases.
"""

from typing import Any

from django.db import migrations, models

TABLE = "registry_worker"
COLUMN = "registered_by_organisation"


def _index_name(schema_editor: Any) -> str:
    # The name Django gave the index of ``db_index=True`` (the same on every database).
    return schema_editor._create_index_name(TABLE, [COLUMN], suffix="")


def forwards(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(_index_name(schema_editor))}")


def backwards(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(_index_name(schema_editor))} ON {quote(TABLE)} ({quote(COLUMN)})")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_one_pattern_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="worker",
                    name="registered_by_organisation",
                    field=models.CharField(blank=True, max_length=40),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
