"""Admin for operators' data fixes only; the NIK columns are never shown or editable here.

Members, their heirs and possible duplicates are personal data: admin shows them read-only, and
every change goes through the registry services (validated, deduplicated and audited).
"""

from __future__ import annotations

from django.contrib import admin

from rangkul.audit.admin_mixins import ReadOnlyAdminMixin
from rangkul.registry.models import ErasureRequest, Heir, Occupation, PossibleDuplicate, Worker


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "sector", "is_active")
    list_filter = ("sector", "is_active")
    search_fields = ("code", "name", "name_en")


class HeirInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Heir
    fields = ("full_name", "relationship", "birth_date", "phone")
    extra = 0


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("membership_number", "full_name", "village", "occupation", "channel", "status", "registered_at")
    list_filter = ("channel", "status", "sex", "jht")
    search_fields = ("membership_number",)
    exclude = ("nik_sealed", "nik_hash", "name_normalized")
    readonly_fields = ("membership_number", "registered_at", "registered_by", "merged_into", "status")
    raw_id_fields = ("village", "branch")
    inlines = [HeirInline]


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("worker", "other", "reason", "status", "created_at")
    list_filter = ("reason", "status")
    raw_id_fields = ("worker", "other", "resolved_by")


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Recorded and confirmed with ``anonymise_worker`` by two administrators; shown here only."""

    list_display = ("worker", "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("worker", "requested_by", "decided_by")
