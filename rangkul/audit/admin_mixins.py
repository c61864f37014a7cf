"""Django admin for personal data: read-only, or every change written to the audit log.

Admin is for operators' data fixes. Where a model holds personal data (a NIK, a phone, a name, a
birth date) the services are the way to change it, since they validate, detect duplicates and audit;
such models are registered with ``ReadOnlyAdminMixin``. The few admins that must still change data
(staff accounts) use ``AuditedAdminMixin``: each addition, change (including a password set) and
deletion appends an audit row in the admin's own transaction, with the changed fields' old and new
values masked as every audit row is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record

# Stored on the request between save_model and log_change: the changed fields' values before.
_BEFORE_ATTRIBUTE = "_rangkul_admin_before"


class ReadOnlyAdminMixin:
    """Operators may look, never add, change or delete (the services own every write)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _field_values(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field (a password pair) has no model field
            values[name] = "(changed)"
            continue
        if field.many_to_many:
            values[name] = sorted(str(item) for item in getattr(obj, name).all()) if obj.pk else []
        else:
            value = getattr(obj, getattr(field, "attname", name), None)
            values[name] = value if isinstance(value, (str, int, bool)) or value is None else str(value)
    return values


class AuditedAdminMixin:
    """Every write through this admin leaves an audit row (``admin.<model>_added|changed|deleted``)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and obj.pk is not None:
            changed = [name for name in form.changed_data if name not in {"password"}]
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                setattr(request, _BEFORE_ATTRIBUTE, (changed, _field_values(stored, changed)))
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        audit_record(
            actor=Actor.for_user(request.user),
            action=f"admin.{obj._meta.model_name}_added",
            subject=obj,
            after={"fields": _message_fields(message)},
        )
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        changed, before = getattr(request, _BEFORE_ATTRIBUTE, ([], {}))
        if hasattr(request, _BEFORE_ATTRIBUTE):
            delattr(request, _BEFORE_ATTRIBUTE)
        fields = changed or _message_fields(message)
        audit_record(
            actor=Actor.for_user(request.user),
            action=f"admin.{obj._meta.model_name}_changed",
            subject=obj,
            before=before or None,
            after=_field_values(obj, changed) if changed else {"fields": fields},
        )
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            audit_record(
                actor=Actor.for_user(request.user), action=f"admin.{obj._meta.model_name}_deleted", subject=obj
            )
        return super().log_deletions(request, queryset)  # type: ignore[misc]


def _message_fields(message: Any) -> list[str]:
    """The field names Django's admin change message lists (``[{"changed": {"fields": [...]}}]``)."""
    names: list[str] = []
    if isinstance(message, list):
        for part in message:
            for detail in part.values() if isinstance(part, dict) else ():
                if isinstance(detail, dict):
                    names.extend(str(name) for name in detail.get("fields", []))
    elif message:
        names.append(str(message))
    return names
