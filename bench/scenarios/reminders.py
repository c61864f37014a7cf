"""The monthly reminder run over the whole population, against a raw scan of the member statuses."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bench.core import Context, Result, scenario
from bench.scenarios.members import ensure_population
from rangkul.contributions.selectors import due_date
from rangkul.core.bulk import collector_relaxed
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.outreach.models import Reminder
from rangkul.outreach.services import reminders_deliver_now, reminders_send

DELIVER_TASK = "rangkul.outreach.tasks.reminders_deliver"


def busiest_day(today: dt.date) -> dt.date:
    """The first "due soon" day of next month: most members are reminded on it."""
    upcoming = Period.of(today) + 1
    return due_date(upcoming) - dt.timedelta(days=settings.REMINDER_DAYS_BEFORE_DUE)


def _queued_tasks() -> list[tuple[Any, dict[str, Any]]]:
    """Delivery tasks waiting in the database queue (the development and production backend)."""
    if "Immediate" in settings.TASKS["default"]["BACKEND"]:
        return []
    return list(DBTaskResult.objects.filter(task_path=DELIVER_TASK).values_list("id", "args_kwargs"))


def _clear_reminders() -> None:
    table = Reminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}")  # noqa: S608


@scenario("monthly_reminder_run")
def monthly_reminder_run(ctx: Context) -> list[Result]:
    members = ensure_population(ctx)
    day = busiest_day(timezone.localdate())
    _clear_reminders()  # a full run: nobody reminded yet
    queued_before = {pk for pk, _args in _queued_tasks()}
    start = time.perf_counter()
    with collector_relaxed():  # as the command runs it
        outcome = reminders_send(today=day)
    elapsed = time.perf_counter() - start
    # The same day again: everybody already reminded, nobody texted twice.
    start = time.perf_counter()
    with collector_relaxed():
        rerun = reminders_send(today=day)
    rerun_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT worker_id, status, since, paid_through, pay_arrears_by FROM contributions_memberstatus "
            "ORDER BY worker_id"
        )
        scanned = len(cursor.fetchall())
    scan = time.perf_counter() - start
    details: dict[str, object] = {
        "members": members,
        **outcome,
        "seconds": round(elapsed, 2),
        "run_date": day.isoformat(),
        "batch_size": settings.REMINDER_BATCH_SIZE,
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_already_sent": rerun["already_sent"],
        "rerun_reminded": rerun["due_soon"] + rerun["missed"] + rerun["lapsed"],
    }
    # The run queues one delivery task per batch; a worker sends them later. Here they are
    # queued, not executed (tests run tasks at once, with the in-memory SMS backend).
    new_tasks = [(pk, args) for pk, args in _queued_tasks() if pk not in queued_before]
    details["delivery"] = (
        f"{len(new_tasks)} tasks queued, not executed" if new_tasks else "executed by the test backend"
    )
    if new_tasks:
        # One task's delivery through the in-memory backend, to show the sending side's rate.
        _pk, args = new_tasks[0]
        sealed = args["kwargs"]["sealed"]
        with override_settings(SMS_BACKEND="rangkul.messaging.backends.locmem.SmsBackend"):
            start = time.perf_counter()
            delivered = reminders_deliver_now(sealed=sealed)
            took = time.perf_counter() - start
        locmem.clear()
        details["delivery_one_task_msgs_per_s"] = round(delivered.sent / took) if took else 0
        # Nothing is left queued for a worker to text from the benchmark database.
        DBTaskResult.objects.filter(pk__in=[pk for pk, _args in new_tasks]).delete()
    return [
        Result(
            scenario="monthly reminder run",
            figure=outcome["members_scanned"] / elapsed if elapsed else 0.0,
            unit="members/s",
            baseline=scanned / scan if scan else 0.0,
            baseline_label="raw scan of member statuses, rows/s",
            target="1M members ≤ 60 s (≥ 16,667 members/s)",
            details=details,
        )
    ]
