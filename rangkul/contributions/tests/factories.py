from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import worker_create


def member(*, registered_on: dt.date = dt.date(2026, 1, 5), organisation_code: str = "", **overrides: Any) -> Worker:
    """A registered worker (needs the ``regions`` fixture), registered on a chosen day."""
    worker = worker_create(**overrides)
    registered_at = timezone.make_aware(dt.datetime.combine(registered_on, dt.time(9, 0)))
    Worker.objects.filter(pk=worker.pk).update(
        registered_at=registered_at, registered_by_organisation=organisation_code
    )
    worker.refresh_from_db()
    return worker


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
