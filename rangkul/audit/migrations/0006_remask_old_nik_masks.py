"""Re-mask NIKs in audit rows written under the old mask, which showed the serial.

Until the mask changed, ``mask_nik`` wrote ``3374 •••• •••• 0001``: the last four digits are the
serial, the one part of a NIK that its holder's district and birth date do not give away. Rows
written then still hold it. This migration rewrites every such value (in ``before``, ``after``, the
subject label and the reason) as today's mask, ``3374 •••• •••• ••••``, and touches nothing else.

The audit log is append-only: triggers refuse UPDATE and DELETE (migration 0002, ADR 0004). This
migration is the one sanctioned exception: it lifts the UPDATE trigger for its own transaction and
puts it back before it ends, so no application code can ever rewrite the log.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models
from django.db.models.functions import Cast

BULLETS = "••••"
# Old mask: regency prefix, two masked groups, then the four serial digits.
OLD_MASK = re.compile(r"\b(\d{4}) •••• •••• \d{4}\b")
NEW_MASK = rf"\1 {BULLETS} {BULLETS} {BULLETS}"
CHUNK = 2000

POSTGRES_LIFT = "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update;"
POSTGRES_RESTORE = "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_update;"
SQLITE_LIFT = "DROP TRIGGER IF EXISTS audit_auditevent_no_update;"
SQLITE_RESTORE = """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;"""


def remask(value: Any) -> Any:
    """``value`` with every old NIK mask in its text replaced by today's; anything else unchanged."""
    if isinstance(value, str):
        return OLD_MASK.sub(NEW_MASK, value) if BULLETS in value else value
    if isinstance(value, dict):
        return {key: remask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [remask(item) for item in value]
    return value


def _candidates(model: Any) -> Any:
    """Rows that may hold a mask: any text field with the bullets (JSON may store them escaped)."""
    query = models.Q()
    for needle in (BULLETS, "\\u2022\\u2022\\u2022\\u2022"):
        query |= models.Q(before_text__contains=needle) | models.Q(after_text__contains=needle)
    query |= models.Q(subject_label__contains=BULLETS) | models.Q(reason__contains=BULLETS)
    return (
        model.objects.annotate(before_text=Cast("before", models.TextField()), after_text=Cast("after", models.TextField()))
        .filter(query)
        .order_by("pk")
        .only("pk", "before", "after", "subject_label", "reason")
    )


def remask_rows(model: Any) -> int:
    """Rewrite the old masks of every candidate row; returns how many rows changed."""
    changed = 0
    last_pk = 0
    while True:
        rows = list(_candidates(model).filter(pk__gt=last_pk)[:CHUNK])
        if not rows:
            return changed
        for row in rows:
            fields = {name: remask(getattr(row, name)) for name in ("before", "after", "subject_label", "reason")}
            if any(fields[name] != getattr(row, name) for name in fields):
                model.objects.filter(pk=row.pk).update(**fields)
                changed += 1
        last_pk = rows[-1].pk


def forwards(apps: Any, schema_editor: Any) -> None:
    # The migration runs in one transaction (both databases have transactional DDL): if anything
    # fails, the trigger was never lifted.
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_LIFT)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_LIFT)
    remask_rows(apps.get_model("audit", "AuditEvent"))
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_RESTORE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_RESTORE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_index_subject_label")]

    # Nothing to undo: the serial digits are gone, which is the point.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
