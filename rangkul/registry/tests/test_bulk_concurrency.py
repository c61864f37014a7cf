"""A batch written with COPY and a registration of one of its NIKs at the same time, on PostgreSQL.

The unique constraint on the NIK hash is the guard: the batch's insert waits for the
other transaction, fails as a whole when it commits, and the batch falls back to
row-by-row inserts; the person is a member once and the rest of the batch registers.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.core.crypto import lookup_hash
from rangkul.core.errors import Conflict
from rangkul.regions.tests.factories import small_region_tree
from rangkul.registry.models import Worker
from rangkul.registry.services import NewWorker, occupations_load, worker_register, workers_register_many
from rangkul.registry.tests.factories import registration_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_nik_registered_while_the_batch_is_copied_gives_exactly_one_member():
    # Transactional tests empty every table afterwards, migration data included.
    small_region_tree()
    occupations_load()
    shared = registration_input()
    rows = [registration_input(), registration_input(nik=shared.nik, full_name="Orang Lain"), registration_input()]
    inserted = threading.Event()
    outcome: dict[str, object] = {}

    def register_alone() -> None:
        try:
            with transaction.atomic():
                outcome["alone"] = worker_register(
                    actor=Actor.system("portal"), data=shared, channel="portal", welcome=False
                )
                inserted.set()
                # Still uncommitted while the batch checks (sees nothing) and then inserts (waits).
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(1)")
        finally:
            inserted.set()
            connection.close()

    thread = threading.Thread(target=register_alone)
    thread.start()
    assert inserted.wait(timeout=20)
    outcomes = workers_register_many(actor=Actor.system("bulk"), rows=rows, channel="import")
    thread.join(timeout=30)

    assert isinstance(outcome["alone"], Worker)
    assert isinstance(outcomes[0], NewWorker) and isinstance(outcomes[2], NewWorker)
    assert isinstance(outcomes[1], Conflict) and outcomes[1].code == "nik_registered"
    assert Worker.objects.filter(nik_hash=lookup_hash(shared.nik)).get().pk == outcome["alone"].pk
    assert Worker.objects.count() == 3
    assert AuditEvent.objects.filter(action="registry.worker_registered", actor_label="bulk").count() == 2


def test_copied_rows_read_back_as_saved():
    small_region_tree()
    occupations_load()
    rows = [registration_input(), registration_input()]
    outcomes = workers_register_many(actor=Actor.system("bulk"), rows=rows, channel="import")
    for data, worker in zip(rows, outcomes, strict=True):
        assert isinstance(worker, NewWorker)
        stored = Worker.objects.get(pk=worker.pk)
        assert stored.nik == data.nik and stored.membership_number == worker.membership_number
        assert stored.identity_warnings == worker.identity_warnings and stored.registered_at == worker.registered_at
    # The table's sequence moved past the keys the COPY used: a later single insert does not collide.
    later = worker_register(actor=Actor.system("portal"), data=registration_input(), channel="portal", welcome=False)
    assert later.pk > max(w.pk for w in outcomes)
