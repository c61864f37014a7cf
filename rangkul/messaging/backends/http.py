"""Adapter for an SMS provider reached over HTTPS: POST JSON with a bearer token.

One attempt per call, with a timeout: retrying belongs to the task queue, never to
a web request (a worker waiting for a code must not wait on a slow provider twice).
The request body is ``{"to": "+62…", "message": "…", "purpose": "otp_login"}``;
any 2xx answer means accepted. Errors never include the number or the text.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rangkul.messaging.backends import SmsDeliveryError

# (url, body, headers, timeout) -> HTTP status. Tests pass a fake; production uses urllib.
Transport = Callable[[str, bytes, Mapping[str, str], float], int]


def urllib_transport(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured("RANGKUL_SMS_HTTP_URL must be an http(s) URL.")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SmsDeliveryError(f"SMS provider unreachable: {type(exc).__name__}") from None


class SmsBackend:
    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT_SECONDS
        self.transport = transport or urllib_transport
        if not self.url or not self.token:
            raise ImproperlyConfigured("The HTTP SMS backend needs RANGKUL_SMS_HTTP_URL and RANGKUL_SMS_HTTP_TOKEN.")

    def send_sms(self, *, to: str, body: str, purpose: str) -> None:
        payload = json.dumps({"to": to, "message": body, "purpose": purpose}).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        status = self.transport(self.url, payload, headers, float(self.timeout))
        if not 200 <= status < 300:
            raise SmsDeliveryError(f"SMS provider refused the message (HTTP {status})")
