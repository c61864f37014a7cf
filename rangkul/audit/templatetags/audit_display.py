"""``{% load audit_display %}``: audit rows in words for the audit log and a member's history."""

from __future__ import annotations

from django import template

from rangkul.audit import display
from rangkul.audit.models import AuditEvent

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return display.action_label(action)


@register.filter
def subject_kind(subject_type: str) -> str:
    return display.subject_label(subject_type)


@register.filter
def audit_changes(event: AuditEvent) -> list[display.Change]:
    return display.changes(event.before, event.after)
