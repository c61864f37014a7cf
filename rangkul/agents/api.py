"""The agent's sync endpoint (``POST /api/v1/agent/sync``), authenticated by the agent's own key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from rangkul.accounts.api_auth import api_key_auth, session_auth
from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent
from rangkul.agents.selectors import agent_for_api_key, agent_for_user
from rangkul.agents.sync import agent_sync
from rangkul.core.api_errors import ErrorOut
from rangkul.core.errors import PermissionDenied

router = Router(tags=["agents"])


class SyncIn(Schema):
    operations: list[Any]


class SyncOut(Schema):
    results: list[dict[str, Any]]


def _agent(request: HttpRequest) -> Agent:
    api_key = getattr(request, "api_key", None)
    # The agent's key (scripts, other apps) or the agent's own session (the offline queue in the pages).
    agent = agent_for_api_key(api_key) if api_key is not None else agent_for_user(request.user)
    if agent is None:
        raise PermissionDenied(_("This key does not belong to a field agent."), code=AgentErrorCode.NOT_AN_AGENT)
    return agent


@router.post(
    "/sync",
    auth=[api_key_auth, session_auth],
    response={200: SyncOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    url_name="agent_sync",
    summary="Send operations recorded on the agent's phone; each is applied once",
)
def sync(request: HttpRequest, data: SyncIn) -> dict[str, Any]:
    return {"results": agent_sync(agent=_agent(request), operations=data.operations)}
