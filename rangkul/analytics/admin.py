from django.contrib import admin

from rangkul.analytics.models import CoverageSnapshot


@admin.register(CoverageSnapshot)
class CoverageSnapshotAdmin(admin.ModelAdmin):
    list_display = ["day", "members", "taken_at", "seconds"]
    readonly_fields = ["day", "members", "taken_at", "seconds"]
