from typing import Any

from django.contrib import admin

from rangkul.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "action", "actor_label", "subject_type", "subject_label", "request_id")
    list_filter = ("action",)
    search_fields = ("action", "subject_id", "request_id")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
