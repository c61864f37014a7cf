from django.contrib import admin

from rangkul.partners.models import ImportJob, Membership, Organisation, OrganisationUser


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "attests_phone_verification")
    search_fields = ("code", "name")
    list_filter = ("kind",)


@admin.register(OrganisationUser)
class OrganisationUserAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("organisation", "worker", "joined_at")
    raw_id_fields = ("worker", "source_import")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "organisation", "original_name", "status", "processed", "imported", "rejected", "duplicates")
    list_filter = ("status",)
    readonly_fields = ("file_sha256", "last_committed_row")
