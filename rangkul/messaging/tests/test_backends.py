from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from rangkul.core.crypto import SealError
from rangkul.messaging import tasks as tasks_module
from rangkul.messaging.backends import SmsDeliveryError, console, file, http, locmem
from rangkul.messaging.services import sms_backend_get, sms_queue, sms_seal, sms_task_key, sms_unseal

PHONE = "+6281234567890"


@pytest.fixture(autouse=True)
def _clean_outbox():
    locmem.clear()
    yield
    locmem.clear()


def test_console_masks_the_number():
    stream = io.StringIO()
    console.SmsBackend(stream=stream).send_sms(to=PHONE, body="Kode 123456", purpose="otp_login")
    printed = stream.getvalue()
    assert "Kode 123456" in printed and "otp_login" in printed
    assert PHONE not in printed and "+62812••••7890" in printed


def test_file_backend_appends_json_lines(tmp_path):
    backend = file.SmsBackend(tmp_path / "sms")
    backend.send_sms(to=PHONE, body="satu", purpose="otp_login")
    backend.send_sms(to=PHONE, body="dua", purpose="otp_register")
    messages = file.read_messages(tmp_path / "sms")
    assert [m["body"] for m in messages] == ["satu", "dua"]
    assert messages[1]["to"] == PHONE and messages[1]["purpose"] == "otp_register"


def test_locmem_keeps_messages_in_order():
    backend = locmem.SmsBackend()
    backend.send_sms(to=PHONE, body="a", purpose="p")
    backend.send_sms(to="+6285700000000", body="b", purpose="p")
    assert [m.body for m in locmem.outbox] == ["a", "b"]
    assert [m.body for m in locmem.messages_to(PHONE)] == ["a"]


class FakeTransport:
    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.calls: list[tuple[str, dict, dict, float]] = []

    def __call__(self, url, body, headers, timeout):
        self.calls.append((url, json.loads(body), dict(headers), timeout))
        return self.status


def test_http_adapter_posts_json_with_bearer_token_once():
    transport = FakeTransport()
    backend = http.SmsBackend(url="https://sms.example/send", token="t0k", timeout=4, transport=transport)
    backend.send_sms(to=PHONE, body="Kode 123456", purpose="otp_login")
    [(url, payload, headers, timeout)] = transport.calls
    assert url == "https://sms.example/send" and timeout == 4.0
    assert payload == {"to": PHONE, "message": "Kode 123456", "purpose": "otp_login"}
    assert headers["Authorization"] == "Bearer t0k" and headers["Content-Type"] == "application/json"


def test_http_adapter_refusal_does_not_retry_or_leak():
    transport = FakeTransport(status=500)
    backend = http.SmsBackend(url="https://sms.example/send", token="t0k", transport=transport)
    with pytest.raises(SmsDeliveryError) as error:
        backend.send_sms(to=PHONE, body="Kode 123456", purpose="otp_login")
    assert len(transport.calls) == 1
    assert PHONE not in str(error.value) and "123456" not in str(error.value)


def test_http_adapter_needs_url_and_token(settings):
    settings.SMS_HTTP_URL = ""
    settings.SMS_HTTP_TOKEN = ""
    with pytest.raises(ImproperlyConfigured):
        http.SmsBackend()


def test_http_adapter_reads_settings(settings):
    settings.SMS_HTTP_URL = "https://sms.example/v1"
    settings.SMS_HTTP_TOKEN = "abc"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 7
    backend = http.SmsBackend(transport=FakeTransport())
    assert (backend.url, backend.token, backend.timeout) == ("https://sms.example/v1", "abc", 7)


def test_http_transport_refuses_other_schemes():
    with pytest.raises(ImproperlyConfigured):
        http.urllib_transport("file:///etc/passwd", b"{}", {}, 1.0)


def test_backend_chosen_by_setting(settings, tmp_path):
    settings.SMS_BACKEND = "rangkul.messaging.backends.file.SmsBackend"
    settings.SMS_FILE_DIR = tmp_path
    assert isinstance(sms_backend_get(), file.SmsBackend)
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    assert isinstance(sms_backend_get(), locmem.SmsBackend)


def test_sealed_payload_hides_number_and_text():
    sealed = sms_seal(to=PHONE, body="Kode 123456", purpose="otp_login")
    assert PHONE not in sealed and "123456" not in sealed
    assert sms_unseal(sealed) == {"to": PHONE, "body": "Kode 123456", "purpose": "otp_login"}
    with pytest.raises(SealError):
        sms_unseal(sealed[:-4] + "AAAA")


@pytest.mark.django_db
def test_queue_sends_after_commit_through_a_task(settings, django_capture_on_commit_callbacks, caplog):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms_queue(to=PHONE, body="Kode 654321", purpose="otp_login")
    assert locmem.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [message] = locmem.outbox
    assert (message.to, message.body, message.purpose) == (PHONE, "Kode 654321", "otp_login")
    assert PHONE not in caplog.text and "654321" not in caplog.text


@pytest.mark.django_db
def test_task_arguments_are_sealed(monkeypatch, django_capture_on_commit_callbacks):
    seen: dict = {}

    class FakeTask:
        @staticmethod
        def enqueue(**kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(tasks_module, "sms_deliver", FakeTask)
    with django_capture_on_commit_callbacks(execute=True):
        sms_queue(to=PHONE, body="Kode 111222", purpose="otp_register")
    assert set(seen) == {"sealed", "purpose", "to_key"}
    assert seen["to_key"] == sms_task_key(PHONE)  # a keyed hash, for an erasure to find the task
    assert PHONE not in json.dumps(seen) and PHONE[3:] not in json.dumps(seen) and "111222" not in json.dumps(seen)


def test_paths_written_before_sending_moved_still_work():
    # Tasks queued earlier name the outreach module; an installation's RANGKUL_SMS_BACKEND may too.
    assert import_string("rangkul.outreach.tasks.sms_deliver") is tasks_module.sms_deliver
    env = {**os.environ, "RANGKUL_ENV": "test", "RANGKUL_SMS_BACKEND": "rangkul.outreach.backends.file.SmsBackend"}
    out = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.SMS_BACKEND)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert out.stdout.strip() == "rangkul.messaging.backends.file.SmsBackend"
