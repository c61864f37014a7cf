"""Agents as data: recruiting by command, the agent key, deactivation after inactivity."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.services import api_key_authenticate
from rangkul.agents.models import Agent, AgentRule, AgentStatus
from rangkul.agents.services import agent_activate, agents_deactivate_inactive
from rangkul.agents.tests.conftest import new_agent
from rangkul.audit.actors import Actor
from rangkul.contributions.tests.factories import at
from rangkul.core.errors import Conflict
from rangkul.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_create_agent_prints_code_and_a_key_bound_to_the_agent(regions, roles):
    OrganisationFactory(code="koperasi-tani")
    out = io.StringIO()
    call_command("create_agent", "perisai1", "--organisation", "KOPERASI-TANI", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(summary) == {"agent_code", "key"}
    agent = Agent.objects.get(code=summary["agent_code"])
    assert agent.organisation.code == "koperasi-tani"
    assert agent.status == AgentStatus.ACTIVE
    assert agent.cash_limit_idr == AgentRule.objects.get(version="perisai-2018").default_cash_limit_idr
    assert agent.user.groups.filter(name=Role.AGENT.value).exists()
    key = api_key_authenticate(summary["key"])
    assert key is not None and key.user_id == agent.user_id and key.organisation_code == ""


def test_create_agent_refuses_an_unknown_organisation_and_a_second_agent_for_one_user(regions, roles):
    with pytest.raises(CommandError):
        call_command("create_agent", "perisai2", "--organisation", "nope", stdout=io.StringIO())
    assert not Agent.objects.exists()
    OrganisationFactory(code="koperasi-tani")
    call_command("create_agent", "perisai2", "--organisation", "koperasi-tani", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_agent", "perisai2", "--organisation", "koperasi-tani", stdout=io.StringIO())
    assert Agent.objects.count() == 1


def test_agents_without_activity_for_three_months_are_deactivated(regions, roles):
    today = dt.date(2026, 12, 6)
    stale = new_agent().agent
    recent = new_agent().agent
    Agent.objects.filter(pk=stale.pk).update(last_activity_at=at(dt.date(2026, 9, 5), 10))
    Agent.objects.filter(pk=recent.pk).update(last_activity_at=at(dt.date(2026, 9, 7), 10))
    assert agents_deactivate_inactive(today=today) == 1
    stale.refresh_from_db()
    recent.refresh_from_db()
    assert stale.status == AgentStatus.INACTIVE and stale.deactivated_at is not None
    assert recent.status == AgentStatus.ACTIVE


def test_a_deactivated_agent_may_return_only_after_six_months(regions, roles):
    agent = new_agent().agent
    Agent.objects.filter(pk=agent.pk).update(status=AgentStatus.INACTIVE, deactivated_at=at(dt.date(2026, 3, 10), 9))
    agent.refresh_from_db()
    with pytest.raises(Conflict) as excinfo:
        agent_activate(actor=Actor.system("test"), agent=agent, today=dt.date(2026, 9, 9))
    assert excinfo.value.code == "agent_may_not_return_yet"
    agent_activate(actor=Actor.system("test"), agent=agent, today=dt.date(2026, 9, 10))
    agent.refresh_from_db()
    assert agent.status == AgentStatus.ACTIVE


def test_the_inactivity_rule_is_dated_data(regions, roles):
    AgentRule.objects.create(
        version="test-2026",
        effective_from=dt.date(2026, 7, 1),
        inactive_after_months=1,
        return_after_months=2,
        default_cash_limit_idr=1_000_000,
    )
    agent = new_agent().agent
    Agent.objects.filter(pk=agent.pk).update(last_activity_at=at(dt.date(2026, 11, 1), 10))
    assert agents_deactivate_inactive(today=dt.date(2026, 12, 6)) == 1


def test_the_daily_command_deactivates_and_an_inactive_agents_page_work_is_refused(client, regions, roles):
    from rangkul.agents.sync import operation_apply
    from rangkul.agents.tests.conftest import register_op

    agent = new_agent().agent
    Agent.objects.filter(pk=agent.pk).update(last_activity_at=timezone.now() - dt.timedelta(days=120))
    out = io.StringIO()
    call_command("deactivate_inactive_agents", stdout=out)
    assert json.loads(out.getvalue()) == {"deactivated": 1}
    agent.refresh_from_db()
    result = operation_apply(agent=agent, operation=register_op())
    assert result["status"] == "rejected" and result["errors"]["code"] == "agent_inactive"
