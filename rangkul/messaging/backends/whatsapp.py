"""WhatsApp Business Platform (Cloud API): business-initiated messages as approved templates.

``POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages`` with a bearer token and

    {"messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
     "template": {"name": "pengingat_iuran", "language": {"code": "id"},
                  "components": [{"type": "body", "parameters": [{"type": "text", "text": "…"}]}]}}

A 2xx answer carries ``{"messages": [{"id": "wamid…"}]}``: the id that the webhook's
status updates refer to. Anything else is a refusal (``WhatsAppDeliveryError``), which the
queue retries. Errors never carry the number or the text.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rangkul.messaging.backends import SmsDeliveryError


class WhatsAppDeliveryError(SmsDeliveryError):
    """The WhatsApp provider did not accept the message."""


# (url, body, headers, timeout) -> (HTTP status, response body).
Transport = Callable[[str, bytes, Mapping[str, str], float], tuple[int, bytes]]


def urllib_transport(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured("RANGKUL_WHATSAPP_API_URL must be an http(s) URL.")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read(65536)
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WhatsAppDeliveryError(f"WhatsApp provider unreachable: {type(exc).__name__}") from None


def template_payload(*, to: str, template: str, language: str, parameters: Sequence[str]) -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "to": to.lstrip("+"),
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }


class WhatsAppBackend:
    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        phone_number_id: str | None = None,
        timeout: float | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.url = (url if url is not None else settings.WHATSAPP_API_URL).rstrip("/")
        self.token = token if token is not None else settings.WHATSAPP_TOKEN
        self.phone_number_id = phone_number_id if phone_number_id is not None else settings.WHATSAPP_PHONE_NUMBER_ID
        self.timeout = timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT_SECONDS
        self.transport = transport or urllib_transport
        if not self.url or not self.token or not self.phone_number_id:
            raise ImproperlyConfigured(
                "The WhatsApp backend needs RANGKUL_WHATSAPP_API_URL, RANGKUL_WHATSAPP_TOKEN and "
                "RANGKUL_WHATSAPP_PHONE_NUMBER_ID."
            )

    def send_template(self, *, to: str, template: str, language: str, parameters: Sequence[str]) -> str:
        body = json.dumps(template_payload(to=to, template=template, language=language, parameters=parameters))
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        status, answer = self.transport(
            f"{self.url}/{self.phone_number_id}/messages", body.encode(), headers, float(self.timeout)
        )
        if not 200 <= status < 300:
            raise WhatsAppDeliveryError(f"WhatsApp provider refused the message (HTTP {status})")
        try:
            return str(json.loads(answer)["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise WhatsAppDeliveryError("WhatsApp provider answered without a message id") from None


@dataclass(frozen=True)
class SentTemplate:
    to: str
    template: str
    language: str
    parameters: tuple[str, ...]
    provider_id: str


class LocmemWhatsAppBackend:
    """Keeps template messages in memory (tests, browser journeys); ``refuse`` simulates refusals."""

    outbox: list[SentTemplate] = []
    refuse: int = 0  # refuse the next N sends
    _lock = threading.Lock()

    def send_template(self, *, to: str, template: str, language: str, parameters: Sequence[str]) -> str:
        with self._lock:
            if LocmemWhatsAppBackend.refuse > 0:
                LocmemWhatsAppBackend.refuse -= 1
                raise WhatsAppDeliveryError("refused (sandbox)")
            provider_id = f"wamid.sandbox.{len(LocmemWhatsAppBackend.outbox) + 1}"
            LocmemWhatsAppBackend.outbox.append(SentTemplate(to, template, language, tuple(parameters), provider_id))
            return provider_id

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()
            cls.refuse = 0
