"""Inbound texts: each provider's authentication and body, one answer per provider message id, retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rangkul.core.crypto import unseal
from rangkul.messaging import inbound
from rangkul.messaging.backends import locmem
from rangkul.messaging.inbound import InboundAnswer, inbound_purge, phone_e164
from rangkul.messaging.models import InboundMessage, OutboundMessage

URL = "/api/v1/sms/inbound/{}"
SECRET = "app-secret-for-tests"
TOKEN = "sandbox-token-for-tests"


@pytest.fixture(autouse=True)
def answered(settings, monkeypatch):
    """The messages the answerer was called with (sender, text)."""
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.SANDBOX_CALLBACK_TOKEN = TOKEN
    settings.PAYMENTS_SANDBOX_ENABLED = True
    calls: list[tuple[str, str]] = []

    def echo(message):
        calls.append((message.sender, message.text))
        return InboundAnswer(keyword="echo", text=f"Anda menulis: {message.text}")

    # This layer's contract with whatever answers: the sender in E.164 and the text, once per message.
    monkeypatch.setattr(inbound, "_answerer", echo)
    locmem.clear()
    yield calls
    locmem.clear()


def sandbox(client, body, token: str | None = TOKEN):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Callback-Token": token} if token is not None else {}
    return client.post(URL.format("sandbox"), raw, content_type="application/json", headers=headers)


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def whatsapp_body(*messages: dict) -> bytes:
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
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "1"},
                                "contacts": [{"profile": {"name": "Budi"}, "wa_id": "6281234567890"}],
                                "messages": list(messages),
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def text_message(mid: str, text: str, sender: str = "6281234567890") -> dict:
    return {"from": sender, "id": mid, "timestamp": "1773111600", "type": "text", "text": {"body": text}}


@pytest.mark.django_db
def test_sandbox_text_is_stored_sealed_answered_and_sent_once(client, django_capture_on_commit_callbacks, answered):
    with django_capture_on_commit_callbacks(execute=True):
        first = sandbox(client, {"id": "sbx-1", "from": "0812-3456-7890", "text": "cek"})
    assert first.status_code == 200
    assert first.json() == {"messages": [{"id": "sbx-1", "keyword": "echo", "answer": "Anda menulis: cek"}]}
    assert answered == [("+6281234567890", "cek")]
    row = InboundMessage.objects.get()
    assert row.phone == "+6281234567890" and row.provider == "sandbox" and row.keyword == "echo"
    assert "cek" not in row.body_sealed and unseal(row.body_sealed, purpose="sms") == "cek"
    assert [(m.to, m.body, m.purpose) for m in locmem.outbox] == [
        ("+6281234567890", "Anda menulis: cek", "sms_keyword_answer")
    ]
    # The provider delivers the same message again (its retry, or two deliveries at once).
    with django_capture_on_commit_callbacks(execute=True):
        again = sandbox(client, {"id": "sbx-1", "from": "0812-3456-7890", "text": "cek"})
    assert again.status_code == 200 and again.json() == first.json()
    assert len(answered) == 1 and len(locmem.outbox) == 1
    assert InboundMessage.objects.count() == 1 and OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_sandbox_without_an_id_is_a_new_message_each_time(client):
    for _ in range(2):
        assert sandbox(client, {"from": "+6281234567890", "text": "x"}).status_code == 200
    assert InboundMessage.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_sandbox_refuses_a_missing_or_wrong_token(client, token, answered):
    response = sandbox(client, {"id": "sbx-2", "from": "081234567890", "text": "CEK"}, token=token)
    assert response.status_code == 401
    assert response.json() == {"code": "bad_signature", "message": response.json()["message"], "fields": {}}
    assert not InboundMessage.objects.exists() and answered == []


@pytest.mark.django_db
def test_sandbox_refuses_everything_when_its_token_is_empty(client, settings):
    settings.SANDBOX_CALLBACK_TOKEN = ""
    assert sandbox(client, {"from": "081234567890", "text": "CEK"}, token="").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{not json", 400, "malformed_json", None),
        (b"\xff\xfe", 400, "malformed_json", None),
        ([1, 2], 422, "validation_failed", "__all__"),
        ({"text": "CEK"}, 422, "validation_failed", "from"),
        ({"from": "081234567890"}, 422, "validation_failed", "text"),
        ({"from": "hello", "text": "CEK"}, 422, "validation_failed", "from"),
        ({"from": 812345, "text": "CEK"}, 422, "validation_failed", "from"),
        ({"from": "081234567890", "text": "x" * 1601}, 422, "validation_failed", "text"),
        ({"from": "081234567890", "text": "a\x00b"}, 422, "validation_failed", "text"),
        ({"from": "081234567890", "text": "CEK", "id": ""}, 422, "validation_failed", "id"),
    ],
)
def test_bad_bodies_get_the_error_shape(client, body, status, code, field):
    response = sandbox(client, body)
    assert response.status_code == status
    data = response.json()
    assert set(data) == {"code", "message", "fields"} and data["code"] == code
    if field:
        assert field in data["fields"]
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_unknown_or_disabled_provider_is_404_and_an_oversized_body_413(client, settings):
    assert client.post(URL.format("nope"), b"{}", content_type="application/json").json()["code"] == "unknown_provider"
    settings.PAYMENTS_SANDBOX_ENABLED = False
    assert sandbox(client, {"from": "081234567890", "text": "CEK"}).status_code == 404
    settings.PAYMENTS_SANDBOX_ENABLED = True
    big = json.dumps({"from": "081234567890", "text": "CEK", "pad": "x" * settings.SMS_INBOUND_MAX_BYTES}).encode()
    response = sandbox(client, big)
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@pytest.mark.django_db
def test_whatsapp_cloud_api_messages_are_answered_once_with_a_valid_signature(
    client, django_capture_on_commit_callbacks, answered
):
    body = whatsapp_body(
        text_message("wamid.A", "BAYAR 3"),
        {"from": "6281234567890", "id": "wamid.B", "type": "image", "image": {"id": "1"}},
        {"from": "6281234567891", "id": "wamid.C", "type": "button", "button": {"text": "CEK", "payload": "x"}},
    )
    for header in (None, "sha256=" + "0" * 64, signed(body, "another"), signed(body + b" ")):
        headers = {"X-Hub-Signature-256": header} if header else {}
        response = client.post(URL.format("whatsapp"), body, content_type="application/json", headers=headers)
        assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    assert not InboundMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL.format("whatsapp"), body, content_type="application/json", headers={"X-Hub-Signature-256": signed(body)}
        )
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["messages"]] == ["wamid.A", "wamid.C"]
    assert answered == [("+6281234567890", "BAYAR 3"), ("+6281234567891", "CEK")]
    row = InboundMessage.objects.get(provider_message_id="wamid.A")
    assert row.received_at == dt.datetime.fromtimestamp(1773111600, tz=dt.UTC)
    # The same notification through the webhook URL the app may be configured with: nothing new.
    response = client.post(
        reverse("whatsapp_webhook"), body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signed(body)
    )
    assert response.status_code == 200 and response.json() == {"updated": 0, "answered": 2}
    assert len(answered) == 2 and len(locmem.outbox) == 2


@pytest.mark.django_db
def test_whatsapp_without_an_app_secret_refuses_everything(client, settings):
    settings.WHATSAPP_APP_SECRET = ""
    body = whatsapp_body(text_message("wamid.Z", "CEK"))
    response = client.post(
        URL.format("whatsapp"), body, content_type="application/json", headers={"X-Hub-Signature-256": signed(body, "")}
    )
    assert response.status_code == 401


@pytest.mark.django_db
def test_beyond_the_hourly_limit_a_text_still_acts_but_gets_no_answer(
    client, settings, django_capture_on_commit_callbacks, answered
):
    settings.SMS_INBOUND_ANSWERS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        replies = [sandbox(client, {"from": "081234567890", "text": f"T{i}"}).json() for i in range(3)]
        other = sandbox(client, {"from": "081234567891", "text": "X"}).json()
    assert [r["messages"][0]["answer"] for r in replies] == ["Anda menulis: T0", "Anda menulis: T1", ""]
    assert len(answered) == 4  # the answerer still ran for the third (a STOP would still stop)
    assert other["messages"][0]["answer"] == "Anda menulis: X"
    assert [m.to for m in locmem.outbox].count("+6281234567890") == 2


@pytest.mark.django_db
def test_texts_older_than_the_retention_are_purged(settings):
    settings.SMS_INBOUND_RETENTION_DAYS = 30
    now = timezone.now()
    for mid, age in (("old", 31), ("recent", 29)):
        InboundMessage.objects.create(
            provider="sandbox",
            provider_message_id=mid,
            phone="+6281234567890",
            body_sealed="-",
            received_at=now - dt.timedelta(days=age),
        )
    assert inbound_purge(now=now) == 1
    assert list(InboundMessage.objects.values_list("provider_message_id", flat=True)) == ["recent"]
    out = io.StringIO()
    settings.SMS_INBOUND_RETENTION_DAYS = 1
    call_command("purge_inbound_messages", stdout=out)
    assert json.loads(out.getvalue()) == {"deleted": 1}
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("+6581234567", "+6581234567"),
        ("12", None),
        ("", None),
        ("x" * 40, None),
    ],
)
def test_sender_numbers_are_read_with_phonenumbers(raw, expected):
    assert phone_e164(raw) == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_are_answered_once(answered):
    """Two connections post the same message at the same moment: one answer, one queued SMS."""
    body = {"id": "sbx-race", "from": "081234567890", "text": "CEK"}
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            response = sandbox(Client(), body)
            answers.append((response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0][0] == 200
    assert len(answered) == 1
    assert InboundMessage.objects.count() == 1 and OutboundMessage.objects.count() == 1


def test_the_openapi_document_describes_the_inbound_request(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/sms/inbound/{provider}"]["post"]
    assert operation["requestBody"]["required"] is True
    assert {p["name"] for p in operation["parameters"] if p["in"] == "header"} == {
        "X-Callback-Token",
        "X-Hub-Signature-256",
    }
    assert {"200", "400", "401", "404", "413", "422"} <= {str(code) for code in operation["responses"]}
    assert "security" not in operation  # providers authenticate themselves, not with an API key
