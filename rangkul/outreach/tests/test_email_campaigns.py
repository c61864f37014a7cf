"""E-mail as a campaign channel: members with an address get an e-mail, the others the campaign's
fallback or nothing; the opt-out (link in every e-mail) is honoured; refusals are retried; no NIK."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.tests.factories import member
from rangkul.core.errors import ValidationFailed
from rangkul.messaging.backends import locmem
from rangkul.messaging.backends.whatsapp import LocmemWhatsAppBackend
from rangkul.messaging.models import MessageStatus, OutboundMessage
from rangkul.messaging.optout import is_opted_out
from rangkul.messaging.queue import messages_deliver
from rangkul.outreach.campaign_selectors import campaign_preview, campaign_results
from rangkul.outreach.campaigns import campaign_approve, campaign_create, campaigns_dispatch
from rangkul.outreach.models import Campaign, CampaignRecipient, RecipientState
from rangkul.outreach.segments import Segment
from rangkul.outreach.wa_templates import whatsapp_template_record
from rangkul.registry.tests.factories import make_nik

DAYTIME = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB
BODY = "Halo {name}, iuran bulan ini {amount}. {link}"


@pytest.fixture(autouse=True)
def _clean(settings, regions):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.WHATSAPP_BACKEND = "rangkul.messaging.backends.whatsapp.LocmemWhatsAppBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Rangkul <noreply@rangkul.test>"
    settings.OUTREACH_LINK_URL = "https://rangkul.test/"
    settings.OUTREACH_WEEKLY_CAP = 2
    settings.MESSAGING_MAX_ATTEMPTS = 3
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    rulebook_cache_clear()
    locmem.clear()
    LocmemWhatsAppBackend.clear()
    mail.outbox = []
    yield
    locmem.clear()
    LocmemWhatsAppBackend.clear()


def staff(name: str) -> User:
    user = cast(User, UserFactory(username=name))
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return user


@pytest.fixture
def maker(roles):
    return staff("maker")


@pytest.fixture
def checker(roles):
    return staff("checker")


def make(maker, **kwargs: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "Ajakan lewat surel",
        "segment": Segment(),
        "body_id": BODY,
        "scheduled_for": DAYTIME,
        "control_percent": 0,
        "channel": "email",
        "email_subject": "{name}, perlindungan Anda",
    }
    values.update(kwargs)
    return campaign_create(actor=Actor.for_user(maker), **values)


def sent_sms() -> list[str]:
    return [m.to for m in locmem.outbox if m.purpose == "campaign"]


def test_email_campaign_mails_members_with_an_address_and_skips_the_others(maker, checker):
    nik = make_nik(serial=4711)
    with_address = member(email="budi@example.id", nik=nik)
    without = member()
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    assert campaigns_dispatch(now=DAYTIME) == {"sent": 1, "no_address": 1}

    assert len(mail.outbox) == 1 and sent_sms() == []
    message = mail.outbox[0]
    assert message.to == ["budi@example.id"]
    assert message.from_email == "Rangkul <noreply@rangkul.test>"
    assert message.subject == f"{with_address.full_name}, perlindungan Anda"
    assert message.body.startswith(f"Halo {with_address.full_name}, iuran bulan ini Rp")
    # The member's own signed opt-out link, in the text and as the List-Unsubscribe header.
    stop_link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert stop_link.startswith("https://rangkul.test/") and stop_link in message.body
    # No NIK anywhere in what left, nor in the queue row.
    everything = message.message().as_string()
    assert nik not in everything and nik not in message.body and nik not in message.subject
    row = OutboundMessage.objects.get(channel="email")
    assert row.status == MessageStatus.SENT and row.to == "budi@example.id"
    assert "Halo" not in row.body_sealed and "perlindungan" not in row.body_sealed  # sealed at rest
    assert CampaignRecipient.objects.get(worker=without).state == RecipientState.NO_ADDRESS
    assert campaign_results(Campaign.objects.get(pk=campaign.pk), now=DAYTIME).states["no_address"] == 1


def test_members_without_an_address_get_the_fallback_channel(maker, checker):
    member(email="siti@example.id")
    by_sms = member()
    campaign = make(maker, fallback_channel="sms")
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    assert campaigns_dispatch(now=DAYTIME) == {"sent": 2}
    assert [m.to for m in mail.outbox] == [["siti@example.id"]]
    assert sent_sms() == [by_sms.phone]
    # The SMS is the message itself, without the e-mail's subject or footer.
    assert locmem.outbox[0].body.startswith(f"Halo {by_sms.full_name}")
    assert "perlindungan" not in locmem.outbox[0].body
    assert campaign_results(Campaign.objects.get(pk=campaign.pk), now=DAYTIME).cost.messages == {"email": 1, "sms": 1}


def test_whatsapp_fallback_needs_an_approved_template(maker, checker, roles):
    with pytest.raises(ValidationFailed) as refused:
        make(maker, fallback_channel="whatsapp")
    assert "whatsapp_template" in refused.value.fields
    admin = staff("admin")
    whatsapp_template_record(
        actor=Actor.for_user(admin), name="ajakan_iuran", status="approved", body="Halo {{1}}, iuran {{2}}."
    )
    by_whatsapp = member()
    campaign = make(
        maker, fallback_channel="whatsapp", whatsapp_template="ajakan_iuran", body_id="Halo {name}, {amount}"
    )
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    assert campaigns_dispatch(now=DAYTIME) == {"sent": 1}
    [sent] = LocmemWhatsAppBackend.outbox
    assert sent.to == by_whatsapp.phone and sent.template == "ajakan_iuran"
    assert mail.outbox == []


def test_subject_and_fallback_are_checked(maker):
    with pytest.raises(ValidationFailed) as unknown:
        make(maker, email_subject="Halo {nama}")
    assert "email_subject" in unknown.value.fields
    with pytest.raises(ValidationFailed) as bad:
        make(maker, fallback_channel="fax")
    assert "fallback_channel" in bad.value.fields
    # Not an e-mail campaign: no fallback and no subject are kept.
    sms = make(maker, channel="sms", fallback_channel="whatsapp", email_subject="x")
    assert (sms.fallback_channel, sms.email_subject) == ("", "")


def test_the_preview_shows_the_subject_masked(maker):
    worker = member(email="budi@example.id")
    preview = campaign_preview(make(maker))
    assert preview is not None
    assert worker.full_name not in preview["subject"] and preview["subject"].endswith(", perlindungan Anda")


def test_opting_out_through_the_emails_link_stops_later_emails(client, maker, checker):
    worker = member(email="budi@example.id")
    first = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=first, now=DAYTIME)
    campaigns_dispatch(now=DAYTIME)
    stop_link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = stop_link.removeprefix("https://rangkul.test")
    assert path.startswith(reverse("outreach_member:unsubscribe", args=["x"]).rsplit("/", 2)[0])

    client.get(path)
    assert not is_opted_out(worker.phone)  # a link preview stops nothing
    assert client.post(path).status_code == 200
    assert is_opted_out(worker.phone)

    second = make(maker, name="Lagi")
    campaign_approve(actor=Actor.for_user(checker), campaign=second, now=DAYTIME)
    mail.outbox = []
    campaigns_dispatch(now=DAYTIME + dt.timedelta(hours=1))
    assert mail.outbox == []
    # Opted-out members leave the segment; anyone frozen into an audience before is skipped at sending.
    assert not CampaignRecipient.objects.filter(campaign=second, state=RecipientState.SENT).exists()


def test_opt_out_between_approval_and_sending_is_honoured_for_email(maker, checker):
    from rangkul.messaging.optout import optout_record

    worker = member(email="budi@example.id")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    optout_record(phone=worker.phone, source="portal")
    assert campaigns_dispatch(now=DAYTIME) == {"opted_out": 1}
    assert mail.outbox == []


def test_a_refused_email_is_retried_with_backoff_then_reported(maker, checker, monkeypatch, caplog):
    member(email="budi@example.id")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        assert campaigns_dispatch(now=DAYTIME) == {"retry": 1}
        row = OutboundMessage.objects.get(channel="email")
        assert row.next_attempt_at == DAYTIME + dt.timedelta(seconds=60)
        assert messages_deliver(now=DAYTIME + dt.timedelta(seconds=30)) == {}  # not due yet
        assert messages_deliver(now=DAYTIME + dt.timedelta(seconds=60)) == {"retry": 1}
        row.refresh_from_db()
        assert row.next_attempt_at == DAYTIME + dt.timedelta(seconds=180)  # 60 s, then 120 s
        assert messages_deliver(now=DAYTIME + dt.timedelta(seconds=180)) == {"failed": 1}
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and row.attempts == 3
    assert "budi@example.id" not in row.error and "SMTPServerDisconnected" in row.error
    assert "failed after 3 attempts: 1" in caplog.text and "budi@example.id" not in caplog.text
    assert campaign_results(Campaign.objects.get(pk=campaign.pk), now=DAYTIME).delivery["failed"] == 1
    assert mail.outbox == []


def test_an_address_refused_for_good_fails_at_once(maker, checker, monkeypatch):
    member(email="nobody@example.id")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.id": (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    assert campaigns_dispatch(now=DAYTIME) == {"failed": 1}
    row = OutboundMessage.objects.get(channel="email")
    assert row.status == MessageStatus.FAILED and row.attempts == 1 and "550" in row.error
    assert "nobody@example.id" not in row.error


def test_a_temporary_refusal_of_the_address_is_retried(maker, checker, monkeypatch):
    member(email="full@example.id")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"full@example.id": (452, b"mailbox full")})

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        assert campaigns_dispatch(now=DAYTIME) == {"retry": 1}
    assert messages_deliver(now=DAYTIME + dt.timedelta(minutes=1)) == {"sent": 1}
    assert mail.outbox[0].to == ["full@example.id"]
