"""Admin: read-only views of rules, ledger, bills and coverage.

Rules change only through new rule files (``load_contribution_rules``) and
money only through journal entries written by services, so nothing here is
editable.
"""

from __future__ import annotations

from django.contrib import admin

from rangkul.audit.admin_mixins import ReadOnlyAdminMixin
from rangkul.contributions.models import (
    Account,
    BenefitRule,
    Bill,
    BillLine,
    ContributionMonth,
    DiscountRule,
    IncomeLevel,
    JournalEntry,
    JournalLine,
    MemberStatus,
    ProgramRule,
    RuleSet,
)


class ProgramInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProgramRule
    extra = 0


class IncomeLevelInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IncomeLevel
    extra = 0


class DiscountInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DiscountRule
    extra = 0


class BenefitInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BenefitRule
    extra = 0


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("version", "effective_from", "effective_to", "is_locked", "loaded_at")
    inlines = [ProgramInline, IncomeLevelInline, DiscountInline, BenefitInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "per_member")


class JournalLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = JournalLine
    extra = 0
    raw_id_fields = ("worker",)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "reference", "memo", "created_by")
    list_filter = ("kind",)
    search_fields = ("reference",)
    inlines = [JournalLineInline]


class BillLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BillLine
    extra = 0
    raw_id_fields = ("worker",)


@admin.register(Bill)
class BillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("payment_code", "worker", "amount_idr", "status", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("payment_code", "worker__membership_number")
    raw_id_fields = ("worker",)
    inlines = [BillLineInline]


@admin.register(ContributionMonth)
class ContributionMonthAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("worker", "period", "program", "amount_idr", "discount_idr", "paid_at", "covered_from")
    search_fields = ("worker__membership_number",)
    raw_id_fields = ("worker",)


@admin.register(MemberStatus)
class MemberStatusAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("worker", "status", "since", "paid_through", "arrears_months", "next_review_on")
    list_filter = ("status",)
    search_fields = ("worker__membership_number",)
    raw_id_fields = ("worker",)
