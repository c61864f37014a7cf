from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from rangkul.audit.models import AuditEvent


def audit_event_list(
    *,
    action: str = "",
    actor: str = "",
    subject_type: str = "",
    subject_id: str = "",
    subject: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit rows, newest first. ``action`` is an action or a group's prefix ("registry.").

    ``subject`` is what the log shows in its Subject column: a member's rows are labelled
    with the membership number, an heir's with "<membership number> / <relationship>".
    """
    qs = AuditEvent.objects.select_related("actor")
    if subject:
        qs = qs.filter(Q(subject_label=subject) | Q(subject_label__startswith=f"{subject} /"))
    filters: dict[str, Any] = {}
    if action:
        filters["action__startswith"] = action
    if actor:
        filters["actor_label__icontains"] = actor
    if subject_type:
        filters["subject_type"] = subject_type
    if subject_id:
        filters["subject_id"] = subject_id
    if date_from:
        filters["occurred_at__date__gte"] = date_from
    if date_to:
        filters["occurred_at__date__lte"] = date_to
    return qs.filter(**filters)


def audit_events_for(*, subject_type: str, subject_id: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").filter(subject_type=subject_type, subject_id=subject_id)
