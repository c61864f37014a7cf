"""Asking a gateway what it knows about a transaction (its status-check API), per channel.

A callback's signature vouches only for the fields the gateway signs (Midtrans: order id,
status code and gross amount). Before the first "paid" notice of a transaction moves money,
and before a reversal notice opens a review, the channel's status check is asked for the
transaction as the gateway itself holds it; the answer is read with the same channel rules
as the callback and must agree with it.

The adapter for each kind of status check is chosen by ``PAYMENTS_STATUS_CHECK_ADAPTERS``
(adapter name → dotted path). Production uses the gateways' HTTP APIs; the test settings
use ``SandboxStatusCheck``, a pretend gateway that tests tell what it knows.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from rangkul.payments.channels import channel_secret
from rangkul.payments.models import Channel

logger = logging.getLogger("rangkul.payments")

# The largest status answer read from a gateway.
_ANSWER_MAX_BYTES = 64 * 1024


class StatusUnavailable(Exception):
    """The gateway could not be asked (network, timeout, server error): try again later."""


class StatusCheck(Protocol):
    def __call__(self, channel: Channel, *, reference: str) -> Mapping[str, Any] | None:
        """The transaction as the gateway holds it, or None when the gateway knows no such transaction."""


def status_check_for(channel: Channel) -> StatusCheck | None:
    """The channel's status check, or None when the channel has none configured."""
    name = channel.callback_format.get("status_check", "")
    if not name:
        return None
    path = settings.PAYMENTS_STATUS_CHECK_ADAPTERS.get(name)
    if not path:
        return None
    adapter: StatusCheck = import_string(path)()
    return adapter


class MidtransStatusCheck:
    """``GET /v2/{order_id}/status`` with the server key as the Basic-auth user name."""

    def __call__(self, channel: Channel, *, reference: str) -> Mapping[str, Any] | None:
        url = channel.callback_format["status_url"].format(reference=urllib.parse.quote(reference, safe=""))
        if not url.startswith("https://"):
            raise StatusUnavailable("status URL must use https")
        key = base64.b64encode(f"{channel_secret(channel)}:".encode()).decode()
        request = urllib.request.Request(  # noqa: S310  (https only, checked above)
            url, headers={"Accept": "application/json", "Authorization": f"Basic {key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.PAYMENTS_STATUS_CHECK_TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read(_ANSWER_MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise StatusUnavailable(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StatusUnavailable(type(exc).__name__) from exc
        try:
            answer = json.loads(raw[:_ANSWER_MAX_BYTES].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StatusUnavailable("unreadable answer") from exc
        if not isinstance(answer, dict):
            raise StatusUnavailable("unreadable answer")
        # Midtrans answers an unknown order with HTTP 200 and status_code 404 in the body.
        if str(answer.get("status_code", "")) == "404":
            return None
        return answer


class SandboxStatusCheck:
    """A pretend gateway for tests and demonstrations: it knows what it was told.

    ``SandboxStatusCheck.known[(channel code, reference)]`` is the transaction as the gateway
    holds it; a channel code in ``unreachable`` makes every question fail as a network error would.
    """

    known: dict[tuple[str, str], dict[str, Any]] = {}
    unreachable: set[str] = set()
    asked: list[tuple[str, str]] = []

    @classmethod
    def remember(cls, channel_code: str, reference: str, transaction: Mapping[str, Any]) -> None:
        cls.known[(channel_code, reference)] = dict(transaction)

    @classmethod
    def clear(cls) -> None:
        cls.known.clear()
        cls.unreachable.clear()
        cls.asked.clear()

    def __call__(self, channel: Channel, *, reference: str) -> Mapping[str, Any] | None:
        self.asked.append((channel.code, reference))
        if channel.code in self.unreachable:
            raise StatusUnavailable("sandbox gateway unreachable")
        return self.known.get((channel.code, reference))
