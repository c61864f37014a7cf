from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from rangkul.accounts.models import ApiKey, BranchOffice, User
from rangkul.accounts.totp import totp_disable
from rangkul.audit.actors import Actor
from rangkul.audit.admin_mixins import AuditedAdminMixin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    """Staff accounts are kept here: every addition, change and deletion writes an audit row."""

    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Rangkul", {"fields": ("full_name", "branch", "failed_login_count", "locked_until")}),
    )
    list_display = ("username", "full_name", "branch", "is_staff", "is_active")
    list_select_related = ("branch",)
    actions = ["reset_totp"]

    @admin.action(description="Reset two-step login (the user sets up the app again at next login)")
    def reset_totp(self, request: Any, queryset: Any) -> None:
        for user in queryset:
            totp_disable(
                actor=Actor.for_user(request.user), user=user, reason="Reset from the admin after a lost phone"
            )


# A role's permissions decide who sees members' personal data: each change to a group is audited.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, BaseGroupAdmin):
    pass


@admin.register(BranchOffice)
class BranchOfficeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "regency", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("regency",)


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "organisation_code", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # keys are created with `manage.py create_api_key` so the secret is shown once
