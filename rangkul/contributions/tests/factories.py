from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.contributions.rules import rules_load
from rangkul.registry.models import Occupation, Worker
from rangkul.registry.services import worker_register
from rangkul.registry.tests.factories import registration_input, worker_create


def member(*, registered_on: dt.date = dt.date(2026, 1, 5), organisation_code: str = "", **overrides: Any) -> Worker:
    """A registered worker (needs the ``regions`` fixture), registered on a chosen day."""
    if organisation_code:
        # Through the registration service, so the organisation is stored as the registry keeps it.
        worker = worker_register(
            actor=Actor.system("test"),
            data=registration_input(**overrides),
            channel="api",
            organisation_code=organisation_code,
        )
    else:
        worker = worker_create(**overrides)
    registered_at = timezone.make_aware(dt.datetime.combine(registered_on, dt.time(9, 0)))
    Worker.objects.filter(pk=worker.pk).update(registered_at=registered_at)
    worker.refresh_from_db()
    return worker


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def ensure_reference_data() -> None:
    """Rule rows and the occupations these tests use, for transactional tests (which start emptied)."""
    rules_load()
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    Occupation.objects.get_or_create(code="ojek_online", defaults={"name": "Ojek online", "sector": "transport"})
