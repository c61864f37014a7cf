"""Admin: reminders are read-only (the daily run writes them; deleting one would re-send it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rangkul.outreach.models import Campaign, Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("worker", "period", "kind", "channel", "created_at", "sent_at")
    list_filter = ("kind", "channel")
    raw_id_fields = ("worker",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-only: campaigns are made and approved in the back office, where maker ≠ checker is enforced."""

    list_display = ("name", "status", "channel", "scheduled_for", "created_by", "approved_by")
    list_filter = ("status", "channel")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
