"""Demo field agent: ``demo_agent`` works for the demo cooperative, so the agent pages have a host
organisation and a portfolio to fill (``seed_demo``)."""

from __future__ import annotations

from typing import Any

from rangkul.agents.models import Agent
from rangkul.agents.services import agent_create
from rangkul.audit.actors import Actor
from rangkul.partners.models import Organisation

ACTOR = Actor.system("seed_demo")


def seed_demo_agent(*, user: Any, organisation_code: str, branch: Any) -> dict[str, int]:
    """Make ``user`` an agent of the organisation (again: nothing new)."""
    organisation = Organisation.objects.filter(code=organisation_code).first()
    if organisation is None or Agent.objects.filter(user=user).exists():
        return {"agents": 0}
    agent_create(actor=ACTOR, user=user, organisation=organisation, branch=branch)
    return {"agents": 1}
