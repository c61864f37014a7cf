"""Audit rows written under the old NIK mask (which showed the serial) are re-masked by a migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from rangkul.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

migration = importlib.import_module("rangkul.audit.migrations.0006_remask_old_nik_masks")
append_only = importlib.import_module("rangkul.audit.migrations.0002_append_only")
NEW = "3374 •••• •••• ••••"


class _Editor:
    """What the migration uses of a schema editor, inside the test's transaction."""

    connection = connection

    @staticmethod
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _triggers():
    """The test database runs without the append-only triggers (conftest); these tests put them back
    inside their own transaction, as in production, which the rollback then removes."""
    append_only.forwards(None, _Editor())


def _old_row(**fields) -> AuditEvent:
    event = AuditEvent(action="registry.worker_registered", actor_label="system", **fields)
    event.save(force_insert=True)  # the log takes inserts; only updates are refused
    return event


def test_old_masks_lose_their_serial_and_nothing_else_changes():
    old = _old_row(
        subject_label="12345678903",
        before={"nik": "3374 •••• •••• 0001", "phone": "+62812••••7890", "full_name": "Siti"},
        after={"heirs": [{"heir_nik": "3374 •••• •••• 0042", "relationship": "spouse"}], "count": 2},
        reason="Gabung dengan 3171 •••• •••• 9876",
    )
    current = _old_row(before={"nik": NEW}, after={"reference": "INV 2026 0001"})
    unrelated = _old_row(after={"amount_idr": 150000})

    migration.forwards(apps, _Editor())

    old.refresh_from_db()
    assert old.before == {"nik": NEW, "phone": "+62812••••7890", "full_name": "Siti"}
    assert old.after == {"heirs": [{"heir_nik": NEW, "relationship": "spouse"}], "count": 2}
    assert old.reason == "Gabung dengan 3171 •••• •••• ••••"
    for event in (current, unrelated):
        before, after = event.before, event.after
        event.refresh_from_db()
        assert (event.before, event.after) == (before, after)


def test_the_log_is_append_only_again_after_the_migration():
    event = _old_row(before={"nik": "3374 •••• •••• 0001"})
    migration.forwards(apps, _Editor())
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    event.refresh_from_db()
    assert event.reason == ""


def test_the_migration_reaches_every_chunk(monkeypatch):
    monkeypatch.setattr(migration, "CHUNK", 2)
    events = [_old_row(before={"nik": f"3374 •••• •••• 000{n}"}) for n in range(5)]
    migration.forwards(apps, _Editor())
    assert [AuditEvent.objects.get(pk=e.pk).before for e in events] == [{"nik": NEW}] * 5
