"""How long the place of an agent's work is kept.

A synced operation is the agent's record of work and its exactly-once key, so it is never deleted;
the ~100 m cell it carries is personal data about the agent and serves only the fraud signals.
``operation_locations_purge`` blanks the cell once it is older than ``AGENT_LOCATION_RETENTION_DAYS``
and older than the longest look-back any signal rule has, so no signal loses what it reads.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from rangkul.agents.models import FraudRule, SyncOperation


def location_keep_days() -> int:
    longest = FraudRule.objects.aggregate(days=Max("window_days"))["days"] or 0
    return max(settings.AGENT_LOCATION_RETENTION_DAYS, longest)


def operation_locations_purge(*, now: dt.datetime | None = None) -> int:
    """Blank the cells of operations received before the cut-off; returns how many were blanked."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=location_keep_days())
    return SyncOperation.objects.filter(received_at__lt=cutoff).exclude(location="").update(location="")
