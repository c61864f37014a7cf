"""Queueing background tasks so that they exist exactly when the work that asked for them commits."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django_tasks_db import DatabaseBackend


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` with the current transaction: it runs only if that transaction commits.

    With the database task backend (production's), the task row is written inside the
    transaction itself — a transactional outbox: the row commits with the work or not at
    all, no separate commit is spent on it, and a crash between the commit and the queueing
    cannot lose it; workers only ever see committed rows. With any other backend (the
    immediate one in tests, a broker elsewhere) the task is queued after the commit.
    Outside a transaction it is queued at once.
    """
    if isinstance(task.get_backend(), DatabaseBackend) and connection.in_atomic_block:
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
