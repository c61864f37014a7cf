from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from rangkul.core.tasks import enqueue_on_commit

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CALLS: list[int] = []


@task()
def remember(number: int) -> None:
    CALLS.append(number)


class Boom(Exception):
    pass


def _fail_after_enqueue(number: int) -> None:
    with transaction.atomic():
        enqueue_on_commit(remember, number)
        raise Boom


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_the_task_row_commits_or_rolls_back_with_the_work():
    with transaction.atomic():
        enqueue_on_commit(remember, 1)
        # Written inside the transaction, not after it: no extra commit, nothing to lose on a crash.
        assert DBTaskResult.objects.count() == 1
    assert DBTaskResult.objects.count() == 1

    with pytest.raises(Boom):
        _fail_after_enqueue(2)
    assert DBTaskResult.objects.count() == 1  # the rolled-back work queued nothing


@pytest.mark.django_db(transaction=True)
def test_with_another_backend_the_task_is_queued_after_the_commit_only():
    CALLS.clear()
    with transaction.atomic():
        enqueue_on_commit(remember, 3)
        assert CALLS == []  # the immediate backend would run it now: it must wait for the commit
    assert CALLS == [3]
    with pytest.raises(Boom):
        _fail_after_enqueue(4)
    assert CALLS == [3]
