from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from rangkul.accounts.models import User
from rangkul.accounts.tests.factories import UserFactory
from rangkul.agents.models import Agent
from rangkul.agents.services import agent_create, agent_key_create
from rangkul.audit.actors import Actor
from rangkul.partners.models import Organisation
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.registry.tests.factories import _letters, make_nik

SYNC_URL = "/api/v1/agent/sync"
_ops = itertools.count(1)
_people = itertools.count(1)


@dataclass
class AgentWithKey:
    agent: Agent
    key: str


def new_agent(*, cash_limit_idr: int | None = None, username: str | None = None) -> AgentWithKey:
    organisation = cast(Organisation, OrganisationFactory(code="koperasi-tani"))
    user = cast(User, UserFactory(username=username or f"agent{next(_people)}"))
    agent = agent_create(
        actor=Actor.system("test"), user=user, organisation=organisation, cash_limit_idr=cash_limit_idr
    )
    return AgentWithKey(agent=agent, key=agent_key_create(actor=Actor.system("test"), agent=agent))


@pytest.fixture
def field_agent(regions, roles) -> AgentWithKey:
    return new_agent()


def op_id() -> str:
    return f"op-{next(_ops):06d}"


def register_op(*, op: str | None = None, recorded_at: dt.datetime | None = None, **data: Any) -> dict[str, Any]:
    serial = next(_people) + 5000
    values: dict[str, Any] = {
        "nik": make_nik(serial=serial),
        "full_name": f"Sari {_letters(serial)}",
        "birth_date": "1990-05-17",
        "sex": "M",
        "phone": f"+62813{4000000 + serial:07d}",
        "village_code": "33.74.01.1001",
        "occupation": "pedagang",
        "declared_income_idr": 1_000_000,
        "jht": False,
    }
    values.update(data)
    return {
        "id": op or op_id(),
        "kind": "register",
        "recorded_at": (recorded_at or timezone.now()).isoformat(),
        "data": values,
    }


def collect_op(
    membership_number: str, *, amount_idr: int, months: int = 1, op: str | None = None, **extra: Any
) -> dict[str, Any]:
    recorded_at = extra.pop("recorded_at", None) or timezone.now()
    return {
        "id": op or op_id(),
        "kind": "collect",
        "recorded_at": recorded_at.isoformat(),
        "data": {"membership_number": membership_number, "months": months, "amount_idr": amount_idr, **extra},
    }


def sync(client: Client, key: str, operations: list[Any]) -> Any:
    return client.post(
        SYNC_URL,
        data=json.dumps({"operations": operations}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
