"""Admin for partners: personal data is shown, never changed here.

Memberships (with the name the partner supplied), the users who act for an organisation and import
jobs are read-only, even for a superuser: the back office's services check, audit and tell the
member. An organisation's own details (its contact person among them) may still be corrected here,
and every addition and change writes an audit row; the phone-verification attestation is changed
only through its service, and an organisation is never deleted (its memberships would go with it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rangkul.audit.admin_mixins import AuditedAdminMixin, ReadOnlyAdminMixin
from rangkul.partners.models import ImportJob, Membership, Organisation, OrganisationUser


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "attests_phone_verification")
    search_fields = ("code", "name")
    list_filter = ("kind",)
    readonly_fields = ("attests_phone_verification", "attested_by", "attested_at", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrganisationUser)
class OrganisationUserAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "organisation", "created_at")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("organisation", "worker", "consent", "joined_at")
    list_filter = ("consent",)
    raw_id_fields = ("worker", "source_import")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "organisation", "original_name", "status", "processed", "imported", "rejected", "duplicates")
    list_filter = ("status",)
