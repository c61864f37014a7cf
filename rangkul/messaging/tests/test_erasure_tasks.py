"""An erasure empties the texts waiting in delivery tasks for the number, found by its keyed hash."""

from __future__ import annotations

import json

import pytest
from django_tasks_db.models import DBTaskResult

from rangkul.messaging.erasure import SMS_TASK_PATH, messages_erase_number
from rangkul.messaging.services import sms_queue, sms_unseal

MEMBER = "+6281233334444"
OTHER = "+6281255556666"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db
def test_a_text_waiting_in_a_task_loses_its_number_and_body_and_is_never_sent(
    database_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms_queue(to=MEMBER, body="Rahmawati, kode Anda 123456", purpose="otp")
        sms_queue(to=OTHER, body="Untuk orang lain", purpose="otp")
    tasks = list(DBTaskResult.objects.filter(task_path=SMS_TASK_PATH).order_by("enqueued_at", "id"))
    assert len(tasks) == 2
    assert MEMBER not in json.dumps(tasks[0].args_kwargs)  # only a keyed hash of the number, in clear

    erased = messages_erase_number(phone=MEMBER, keep_number=False)

    assert erased["django_tasks_db.dbtaskresult"] == {"rows": 1, "fields": ["args_kwargs"]}
    texts = [
        sms_unseal(t.args_kwargs["kwargs"]["sealed"]) for t in DBTaskResult.objects.filter(task_path=SMS_TASK_PATH)
    ]
    assert {"to": "", "body": "", "purpose": "erased"} in texts
    assert {"to": OTHER, "body": "Untuk orang lain", "purpose": "otp"} in texts
    assert not any("Rahmawati" in t["body"] or t["to"] == MEMBER for t in texts)


@pytest.mark.django_db
def test_an_erased_task_sends_nothing(database_tasks, django_capture_on_commit_callbacks, monkeypatch):
    from rangkul.messaging import tasks

    sent: list[str] = []
    monkeypatch.setattr(tasks, "sms_send_now", lambda **kw: sent.append(kw["to"]))
    with django_capture_on_commit_callbacks(execute=True):
        sms_queue(to=MEMBER, body="kode 123456", purpose="otp")
    messages_erase_number(phone=MEMBER, keep_number=False)
    [task] = DBTaskResult.objects.filter(task_path=SMS_TASK_PATH)
    tasks.sms_deliver.call(**task.args_kwargs["kwargs"])
    assert sent == []
