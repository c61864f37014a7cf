"""The outbound queue: WhatsApp template format, webhook verification and signatures,
receipts, fallback to SMS, and refused sends retried with backoff then reported."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from rangkul.messaging.backends import locmem
from rangkul.messaging.backends.whatsapp import LocmemWhatsAppBackend, WhatsAppBackend, WhatsAppDeliveryError
from rangkul.messaging.models import MessageStatus, OutboundMessage
from rangkul.messaging.queue import message_queue, messages_deliver, retry_delay

NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
SECRET = "app-secret-for-tests"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.WHATSAPP_BACKEND = "rangkul.messaging.backends.whatsapp.LocmemWhatsAppBackend"
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    settings.MESSAGING_MAX_ATTEMPTS = 3
    settings.MESSAGING_WHATSAPP_FALLBACK_HOURS = 24
    locmem.clear()
    LocmemWhatsAppBackend.clear()
    yield
    locmem.clear()
    LocmemWhatsAppBackend.clear()


def whatsapp(to: str = "+6281230000001") -> OutboundMessage:
    return message_queue(
        channel="whatsapp",
        to=to,
        body="Halo Budi, iuran Rp16.800.",
        purpose="campaign",
        template="ajakan_iuran",
        parameters=["Budi", "Rp16.800"],
        now=NOW,
    )


def statuses_body(*pairs: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "statuses": [
                                    {"id": pid, "status": status, "timestamp": "1773111600", "recipient_id": "62812"}
                                    for pid, status in pairs
                                ]
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_http_backend_speaks_the_cloud_api_template_format():
    calls = []

    def transport(url, body, headers, timeout):
        calls.append((url, json.loads(body), headers))
        return 200, b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.ABC"}]}'

    backend = WhatsAppBackend(
        url="https://graph.example/v21.0", token="tok", phone_number_id="123", transport=transport
    )
    assert backend.send_template(to="+6281234", template="ajakan", language="id", parameters=["Budi"]) == "wamid.ABC"
    url, payload, headers = calls[0]
    assert url == "https://graph.example/v21.0/123/messages"
    assert headers["Authorization"] == "Bearer tok"
    assert payload == {
        "messaging_product": "whatsapp",
        "to": "6281234",
        "type": "template",
        "template": {
            "name": "ajakan",
            "language": {"code": "id"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Budi"}]}],
        },
    }
    refusing = WhatsAppBackend(url="https://g", token="t", phone_number_id="1", transport=lambda *a: (400, b""))
    with pytest.raises(WhatsAppDeliveryError) as excinfo:
        refusing.send_template(to="+6281234", template="a", language="id", parameters=["Budi"])
    assert "6281234" not in str(excinfo.value) and "Budi" not in str(excinfo.value)


@pytest.mark.django_db
def test_message_text_is_sealed_in_the_queue():
    message = whatsapp()
    assert "Budi" not in message.body_sealed


@pytest.mark.django_db
def test_webhook_verification_echoes_the_challenge_for_the_right_token(client):
    url = reverse("whatsapp_webhook")
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


@pytest.mark.django_db
def test_webhook_statuses_need_a_valid_signature(client):
    message = whatsapp()
    messages_deliver(now=NOW)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_id.startswith("wamid.")
    url = reverse("whatsapp_webhook")
    body = statuses_body((message.provider_id, "delivered"))
    for header in (None, "sha256=" + "0" * 64, signed(body, "another-secret"), signed(body + b" ")):
        extra = {"HTTP_X_HUB_SIGNATURE_256": header} if header else {}
        response = client.post(url, body, content_type="application/json", **extra)
        assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    response = client.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(body))
    assert response.status_code == 200 and response.json() == {"updated": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    # Receipts out of order never go back: "sent" after "read" leaves it read.
    for status in ("read", "sent"):
        body = statuses_body((message.provider_id, status))
        client.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(body))
    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    garbage = b"not json"
    response = client.post(url, garbage, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(garbage))
    assert response.status_code == 400


@pytest.mark.django_db
def test_failed_whatsapp_falls_back_to_sms_once(client):
    message = whatsapp()
    messages_deliver(now=NOW)
    message.refresh_from_db()
    body = statuses_body((message.provider_id, "failed"))
    url = reverse("whatsapp_webhook")
    for _ in range(2):  # a repeated receipt makes no second copy
        client.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(body))
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.fallback is not None
    assert messages_deliver() == {"sent": 1}  # the copy was queued when the receipt came
    assert [(m.to, m.body) for m in locmem.outbox] == [("+6281230000001", "Halo Budi, iuran Rp16.800.")]


@pytest.mark.django_db
def test_whatsapp_not_delivered_in_time_falls_back_to_sms():
    delivered, silent = whatsapp("+6281230000001"), whatsapp("+6281230000002")
    messages_deliver(now=NOW)
    delivered.refresh_from_db()
    OutboundMessage.objects.filter(pk=delivered.pk).update(status=MessageStatus.DELIVERED)
    assert messages_deliver(now=NOW + dt.timedelta(hours=23)) == {}
    assert messages_deliver(now=NOW + dt.timedelta(hours=24)) == {"fallback": 1}
    messages_deliver(now=NOW + dt.timedelta(hours=24))
    assert [m.to for m in locmem.outbox] == [silent.to]


@pytest.mark.django_db
def test_refused_sends_are_retried_with_backoff_then_reported(caplog):
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    message = whatsapp()
    LocmemWhatsAppBackend.refuse = 5
    assert messages_deliver(now=NOW) == {"retry": 1}
    message.refresh_from_db()
    assert message.attempts == 1 and message.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert messages_deliver(now=NOW + dt.timedelta(seconds=59)) == {}  # not due yet
    assert messages_deliver(now=NOW + dt.timedelta(seconds=60)) == {"retry": 1}
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=180)
    with caplog.at_level("WARNING"):
        assert messages_deliver(now=NOW + dt.timedelta(seconds=180)) == {"failed": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 3
    assert "messages failed after 3 attempts: 1" in caplog.text
    assert "6281230000001" not in caplog.text
    # The given-up WhatsApp message still reaches the person by SMS.
    assert message.fallback is not None
    assert messages_deliver(now=NOW + dt.timedelta(seconds=180)) == {"sent": 1}


@pytest.mark.django_db
def test_a_recovered_provider_sends_on_the_retry():
    sms = message_queue(channel="sms", to="+6281230000009", body="Halo", purpose="campaign", now=NOW)
    LocmemWhatsAppBackend.refuse = 0
    original = locmem.SmsBackend.send_sms
    calls = {"n": 0}

    def flaky(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            from rangkul.messaging.backends import SmsDeliveryError

            raise SmsDeliveryError("busy")
        return original(self, **kwargs)

    locmem.SmsBackend.send_sms = flaky  # type: ignore[method-assign]
    try:
        assert messages_deliver(now=NOW) == {"retry": 1}
        assert messages_deliver(now=NOW + dt.timedelta(minutes=1)) == {"sent": 1}
    finally:
        locmem.SmsBackend.send_sms = original  # type: ignore[method-assign]
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and sms.attempts == 2
