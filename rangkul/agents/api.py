"""The agent's sync endpoint (``POST /api/v1/agent/sync``), authenticated by the agent's own key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic.config import JsonDict

from rangkul.accounts.api_auth import api_key_auth, session_auth
from rangkul.agents.errors import AgentErrorCode
from rangkul.agents.models import Agent
from rangkul.agents.selectors import agent_for_api_key, agent_for_user
from rangkul.agents.sync import LOCATION_ACCURACY_MAX_M, MAX_OPERATIONS, agent_sync
from rangkul.core.api_errors import ErrorOut
from rangkul.core.errors import PermissionDenied

router = Router(tags=["agents"])


_LOCATION: JsonDict = {
    "type": "object",
    "description": (
        "Where the phone was when the work was recorded, only if the agent allowed the app to ask. "
        "Optional: without it, or when unusable (out of range, accuracy coarser than "
        f"{LOCATION_ACCURACY_MAX_M} m), the operation is applied all the same and no position is kept. "
        "Kept only as a ~100 m grid cell, for supervisors' fraud signals."
    ),
    "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude, degrees."},
        "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude, degrees."},
        "accuracy": {
            "type": "number",
            "minimum": 0,
            "maximum": LOCATION_ACCURACY_MAX_M,
            "description": "Radius of the fix, metres (optional).",
        },
    },
    "required": ["lat", "lon"],
}
_OPERATION: JsonDict = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "maxLength": 64, "description": "Client-generated; once per agent."},
        "kind": {"type": "string", "enum": ["register", "collect"]},
        "recorded_at": {"type": "string", "format": "date-time", "description": "With its time zone."},
        "data": {
            "type": "object",
            "description": (
                "register: nik, full_name, birth_date, sex, phone, village_code, occupation, "
                "declared_income_idr, jht, address?; collect: membership_number or registration "
                "(the id of an earlier register operation), months (1-12), amount_idr, first_month? (YYYY-MM)."
            ),
        },
        "device": {"type": "string", "maxLength": 64, "description": "The app's random id of the phone (optional)."},
        "location": _LOCATION,
    },
    "required": ["id", "kind", "recorded_at", "data"],
}


class SyncIn(Schema):
    # Taken as sent: an unusable operation gets its own "rejected" result instead of failing the
    # batch (``agent_sync``); its shape is documented here for the OpenAPI schema.
    operations: list[Any] = Field(..., json_schema_extra={"items": _OPERATION, "maxItems": MAX_OPERATIONS})


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
