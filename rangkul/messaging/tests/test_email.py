"""E-mail in the outbound queue: sealed at rest, sent through Django's e-mail framework, refusals
retried with backoff or failed at once when the address is refused for good."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from rangkul.core.crypto import unseal
from rangkul.messaging.models import MessageStatus
from rangkul.messaging.queue import message_queue, messages_deliver
from rangkul.messaging.services import SEAL_PURPOSE

NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Rangkul <noreply@rangkul.test>"
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    settings.MESSAGING_MAX_ATTEMPTS = 3


def queue_email(**kwargs):
    values = {
        "channel": "email",
        "to": "budi@example.id",
        "body": "Halo Budi, iuran Rp16.800.",
        "subject": "Iuran Maret",
        "unsubscribe_url": "https://rangkul.test/berhenti/abc/",
        "purpose": "campaign",
        "now": NOW,
    }
    values.update(kwargs)
    return message_queue(**values)


@pytest.mark.django_db
def test_an_email_is_sealed_in_the_queue_and_sent_with_its_subject_and_unsubscribe_header():
    row = queue_email()
    assert "Halo" not in row.body_sealed and "Iuran Maret" not in row.body_sealed
    assert '"subject": "Iuran Maret"' in unseal(row.body_sealed, purpose=SEAL_PURPOSE)
    assert messages_deliver(now=NOW) == {"sent": 1}
    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["budi@example.id"], "Iuran Maret", "Halo Budi, iuran Rp16.800.")
    assert sent.from_email == "Rangkul <noreply@rangkul.test>"
    assert sent.extra_headers["List-Unsubscribe"] == "<https://rangkul.test/berhenti/abc/>"
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.attempts == 1


@pytest.mark.django_db
def test_without_a_subject_the_email_says_rangkul_and_a_multiline_subject_is_one_line():
    queue_email(subject="")
    queue_email(to="siti@example.id", subject="Iuran\nMaret")
    messages_deliver(now=NOW)
    assert sorted(m.subject for m in mail.outbox) == ["Iuran Maret", "Rangkul"]


@pytest.mark.django_db
def test_an_email_needs_an_address_and_channels_are_a_closed_list():
    with pytest.raises(ValueError, match="e-mail address"):
        queue_email(to="+6281234567890")
    with pytest.raises(ValueError, match="unknown channel"):
        queue_email(channel="fax")


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_retried_with_growing_pauses(monkeypatch):
    row = queue_email()

    def refuse(self, messages):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    assert messages_deliver(now=NOW) == {"retry": 1}
    row.refresh_from_db()
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=60) and "ConnectionRefusedError" in row.error
    assert messages_deliver(now=NOW + dt.timedelta(seconds=60)) == {"retry": 1}
    row.refresh_from_db()
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=180)
    assert messages_deliver(now=NOW + dt.timedelta(seconds=180)) == {"failed": 1}


@pytest.mark.django_db
def test_a_mixed_refusal_is_not_taken_for_a_permanent_one(monkeypatch):
    row = queue_email()

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"budi@example.id": (550, b"no"), "x@example.id": (451, b"later")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    assert messages_deliver(now=NOW) == {"retry": 1}
    row.refresh_from_db()
    assert row.status == MessageStatus.QUEUED and "budi@example.id" not in row.error
