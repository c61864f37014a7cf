"""The audit log is append-only: admin shows it, never adds, changes or deletes a row."""

from django.contrib import admin

from rangkul.audit.admin_mixins import ReadOnlyAdminMixin
from rangkul.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "action", "actor_label", "subject_type", "subject_label", "request_id")
    list_filter = ("action",)
    search_fields = ("action", "subject_id", "request_id")
