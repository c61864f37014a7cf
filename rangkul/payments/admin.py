"""Admin: channels can be switched on or off; money records, which name members and carry gateway
payloads, are read-only even for a superuser (services write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rangkul.audit.admin_mixins import AuditedAdminMixin, ReadOnlyAdminMixin
from rangkul.payments.models import (
    CallbackEvent,
    Channel,
    Payment,
    PaymentException,
    Receipt,
    SettlementFile,
    SettlementLine,
)


@admin.register(Channel)
class ChannelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Switching a channel on or off moves where money may come from: each change writes an audit row."""

    list_display = ["code", "name", "kind", "auth_style", "secret_env", "is_active"]
    # Only the name and the on/off switch are operators' business; the format is data from migrations.
    readonly_fields = ["code", "kind", "auth_style", "secret_env", "callback_format", "settlement_layout"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CallbackEvent)
class CallbackEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "channel", "external_reference", "outcome", "http_status"]
    list_filter = ["channel", "outcome"]
    search_fields = ["external_reference"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["paid_at", "channel", "external_reference", "payment_code", "amount_idr", "status", "source"]
    list_filter = ["channel", "status", "source"]
    search_fields = ["external_reference", "payment_code"]
    raw_id_fields = ["bill", "worker", "settled_by"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "issued_at", "notified_at"]
    search_fields = ["number"]


@admin.register(PaymentException)
class PaymentExceptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "reason", "status", "resolution"]
    list_filter = ["reason", "status"]


@admin.register(SettlementFile)
class SettlementFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "channel", "filename", "settlement_date", "status"]


@admin.register(SettlementLine)
class SettlementLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["file", "line_number", "external_reference", "amount_idr", "outcome"]
    list_filter = ["outcome"]
