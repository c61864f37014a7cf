"""Staff recruit agents (create_agent), and activate or deactivate them here, through the services.

An agent's areas and cash limit may still be set here: every change writes an audit row, and an
agent is never deleted (collections and commissions name them). Commission statements are posted
to the ledger and are read-only, even for a superuser.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rangkul.agents.models import Agent, AgentRule, CommissionRule, CommissionStatement
from rangkul.agents.services import agent_activate, agent_deactivate
from rangkul.audit.actors import Actor
from rangkul.audit.admin_mixins import AuditedAdminMixin, ReadOnlyAdminMixin
from rangkul.core.errors import ApplicationError


@admin.register(Agent)
class AgentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "user", "organisation", "branch", "status", "cash_limit_idr", "last_activity_at")
    list_filter = ("status", "organisation")
    search_fields = ("code", "user__username", "user__full_name")
    raw_id_fields = ("user",)
    filter_horizontal = ("districts", "villages")
    readonly_fields = ("code", "status", "created_at", "last_activity_at", "deactivated_at")
    actions = ["activate", "deactivate"]

    @admin.action(description=_("Activate the selected agents"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        for agent in queryset:
            try:
                agent_activate(actor=Actor.for_user(request.user), agent=agent)
            except ApplicationError as exc:
                self.message_user(request, f"{agent.code}: {exc.message}", level=messages.ERROR)

    @admin.action(description=_("Deactivate the selected agents"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        for agent in queryset:
            agent_deactivate(actor=Actor.for_user(request.user), agent=agent, reason="deactivated by staff")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # recruit with create_agent: the role, the code and the key come together

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: collections, commissions and signals name the agent


@admin.register(AgentRule)
class AgentRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("version", "effective_from", "inactive_after_months", "return_after_months")


@admin.register(CommissionRule)
class CommissionRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("version", "effective_from", "collection_rate", "acquisition_bonus_idr", "agent_share")


@admin.register(CommissionStatement)
class CommissionStatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Posted to the ledger: never added, edited or deleted here."""

    list_display = ("month", "agent", "collection_commission_idr", "bonus_idr", "clawback_idr", "agent_idr")
    list_filter = ("month",)
