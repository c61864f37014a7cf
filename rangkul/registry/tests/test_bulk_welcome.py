"""A registered batch gets its welcome messages from one task, queued with the batch's transaction."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from rangkul.audit.actors import Actor
from rangkul.core.crypto import unseal
from rangkul.messaging.backends import SmsDeliveryError, locmem
from rangkul.messaging.backends.locmem import clear as clear_outbox
from rangkul.messaging.backends.locmem import outbox
from rangkul.registry import tasks as registry_tasks
from rangkul.registry.models import Worker
from rangkul.registry.services import NewWorker, occupations_load, workers_register_many
from rangkul.registry.services import bulk as bulk_services
from rangkul.registry.tests.factories import registration_input

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
TASK_PATH = "rangkul.registry.tasks.workers_send_welcome"


def _welcomes() -> list[locmem.SmsMessage]:
    return [message for message in outbox if message.purpose == "welcome"]


@pytest.mark.django_db
def test_one_task_per_batch_carries_every_welcome_sealed(regions, monkeypatch, django_capture_on_commit_callbacks):
    queued: list[dict] = []

    class FakeTask:
        @staticmethod
        def get_backend():
            return None

        @staticmethod
        def enqueue(**kwargs):
            queued.append(kwargs)

    monkeypatch.setattr(bulk_services, "workers_send_welcome", FakeTask)
    rows = [registration_input(), registration_input(nik="1"), registration_input(), registration_input()]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = workers_register_many(actor=Actor.system("test"), rows=rows, channel="import", welcome=True)
    workers = [o for o in outcomes if isinstance(o, NewWorker)]
    assert len(workers) == 3
    [arguments] = queued  # one task for the batch, not one per member
    assert arguments["count"] == 3
    for worker in workers:  # the task table holds neither numbers nor texts in clear
        assert worker.phone not in arguments["sealed"] and worker.membership_number not in arguments["sealed"]
    messages = json.loads(unseal(arguments["sealed"], purpose="sms"))
    assert messages == [[w.phone, registry_tasks.welcome_text(w)] for w in workers]
    assert all(w.membership_number in text for w, (_to, text) in zip(workers, messages, strict=True))


@pytest.mark.django_db
def test_the_batch_task_sends_each_welcome_in_indonesian(regions, django_capture_on_commit_callbacks):
    clear_outbox()
    rows = [registration_input(), registration_input(phone="bukan nomor"), registration_input()]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = workers_register_many(actor=Actor.system("test"), rows=rows, channel="import", welcome=True)
    workers = [o for o in outcomes if isinstance(o, NewWorker)]
    assert sorted((m.to, m.body) for m in _welcomes()) == sorted(
        (
            w.phone,
            f"Selamat datang di Rangkul. Nomor kepesertaan Anda {w.membership_number}. "
            "Anda terlindungi setelah iuran pertama dibayar.",
        )
        for w in workers
    )


@pytest.mark.django_db
def test_no_welcome_when_not_asked_or_nobody_registered(regions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        workers_register_many(actor=Actor.system("test"), rows=[registration_input()], channel="import")
        workers_register_many(
            actor=Actor.system("test"), rows=[registration_input(nik="1")], channel="import", welcome=True
        )
    assert callbacks == []


@pytest.mark.django_db
def test_a_refused_number_does_not_stop_the_others(regions, monkeypatch):
    clear_outbox()
    workers = [Worker(phone=f"+6281230000{i:02d}", membership_number=f"1000000{i:04d}") for i in range(3)]
    refused = workers[1].phone

    class Flaky:
        def send_sms(self, *, to, body, purpose):
            if to == refused:
                raise SmsDeliveryError("refused")
            locmem.SmsBackend().send_sms(to=to, body=body, purpose=purpose)

    monkeypatch.setattr(registry_tasks, "sms_backend_get", lambda: Flaky())
    result = registry_tasks.workers_send_welcome.call(sealed=registry_tasks.welcomes_seal(workers), count=3)
    assert result == {"sent": 2, "failed": 1}
    assert sorted(m.to for m in _welcomes()) == sorted([workers[0].phone, workers[2].phone])


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_with_database_tasks_a_rolled_back_batch_leaves_no_task(regions):
    occupations_load()  # transactional tests empty every table, migration data included
    clear_outbox()
    with transaction.atomic():
        workers_register_many(
            actor=Actor.system("test"),
            rows=[registration_input(), registration_input()],
            channel="import",
            welcome=True,
        )
        transaction.set_rollback(True)
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()
    assert Worker.objects.count() == 0

    def crash_before_commit() -> None:
        with transaction.atomic():
            workers_register_many(
                actor=Actor.system("test"), rows=[registration_input()], channel="import", welcome=True
            )
            raise RuntimeError("crash before the batch commits")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()

    with transaction.atomic():
        workers_register_many(
            actor=Actor.system("test"),
            rows=[registration_input(), registration_input()],
            channel="import",
            welcome=True,
        )
    [task] = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert task.args_kwargs["kwargs"]["count"] == 2
    assert Worker.objects.count() == 2
    assert _welcomes() == []  # queued for a task worker, not sent here
