"""Admin: reminders and campaigns are read-only, even for a superuser.

Reminders name members and their numbers, and the daily run writes them (deleting one would
re-send it); campaigns are made and approved in the back office, where maker ≠ checker is enforced.
"""

from __future__ import annotations

from django.contrib import admin

from rangkul.audit.admin_mixins import ReadOnlyAdminMixin
from rangkul.outreach.models import Campaign, Reminder


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("worker", "period", "kind", "channel", "created_at", "sent_at")
    list_filter = ("kind", "channel")
    raw_id_fields = ("worker",)
    date_hierarchy = "created_at"


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "status", "channel", "scheduled_for", "created_by", "approved_by")
    list_filter = ("status", "channel")
    date_hierarchy = "created_at"
