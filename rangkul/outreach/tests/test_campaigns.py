"""Campaigns: segments counted on hand-built populations, quiet hours in three time zones,
caps across campaigns and reminders, opt-outs, maker ≠ checker, the control group and uplift."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import MemberStatus
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.selectors import month_total_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import member
from rangkul.core.errors import ValidationFailed
from rangkul.core.periods import Period
from rangkul.messaging.backends import SmsDeliveryError, locmem
from rangkul.messaging.backends.whatsapp import LocmemWhatsAppBackend
from rangkul.messaging.optout import optout_record, sms_inbound_handle
from rangkul.messaging.queue import messages_deliver
from rangkul.outreach.audience import control_split
from rangkul.outreach.campaign_selectors import campaign_audience_count, campaign_preview, campaign_results
from rangkul.outreach.campaigns import (
    CampaignNotAllowed,
    CampaignStateError,
    campaign_approve,
    campaign_create,
    campaigns_dispatch,
)
from rangkul.outreach.models import Campaign, CampaignRecipient, CampaignStatus, RecipientState, Reminder
from rangkul.outreach.segments import Segment, segment_count
from rangkul.outreach.wa_templates import whatsapp_template_record
from rangkul.regions.models import District, Province, Regency, Village
from rangkul.registry.models import Worker

TODAY = dt.date(2026, 3, 10)
UTC = dt.UTC
# 10 March 2026, 03:00 UTC: 10:00 WIB, 11:00 WITA, 12:00 WIT: daytime everywhere.
DAYTIME = dt.datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean(settings, regions):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.OUTREACH_WEEKLY_CAP = 2
    settings.OUTREACH_QUIET_START_HOUR = 21
    settings.OUTREACH_QUIET_END_HOUR = 7
    rulebook_cache_clear()
    # A Bali village (WITA) beside the fixture's Java (WIB) and Papua (WIT) ones.
    Province.objects.get_or_create(code="51", defaults={"name": "BALI"})
    Regency.objects.get_or_create(code="51.71", defaults={"name": "KOTA DENPASAR", "province_id": "51"})
    District.objects.get_or_create(code="51.71.01", defaults={"name": "Denpasar Selatan", "regency_id": "51.71"})
    Village.objects.get_or_create(code="51.71.01.1001", defaults={"name": "Sesetan", "district_id": "51.71.01"})
    locmem.clear()
    yield
    locmem.clear()


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


def with_status(worker, status: str, since: dt.date = dt.date(2026, 2, 1)):
    MemberStatus.objects.update_or_create(worker=worker, defaults={"status": status, "since": since})
    return worker


def campaign_sent() -> list[locmem.SmsMessage]:
    return [m for m in locmem.outbox if m.purpose == "campaign"]


def make(maker, segment: Segment | None = None, **kwargs: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "Ayo bayar",
        "segment": segment or Segment(),
        "body_id": "Halo {name}, iuran bulan ini {amount}. Kode bayar {payment_code}. {link}",
        "body_en": "Hello {name}, this month's contribution is {amount}.",
        "scheduled_for": DAYTIME,
        "control_percent": 0,
    }
    values.update(kwargs)
    return campaign_create(actor=Actor.for_user(maker), **values)


# --- Segments -----------------------------------------------------------------------------------


def test_segment_counts_match_a_hand_built_population():
    semarang_f_never = member(village_code="33.74.01.1001", sex="F", birth_date=dt.date(2000, 1, 1))
    semarang_m_arrears = with_status(member(village_code="33.74.02.1001", sex="M"), "in_arrears")
    kab_semarang_lapsed_recent = with_status(
        member(village_code="33.22.01.2001", occupation_code="ojek_online"), "ended", dt.date(2026, 2, 20)
    )
    jakarta_lapsed_long_ago = with_status(member(village_code="31.71.01.1001"), "ended", dt.date(2025, 6, 1))
    papua_active = with_status(member(village_code="94.01.01.1001", birth_date=dt.date(1962, 3, 11)), "active")
    partner_member = member(village_code="51.71.01.1001", organisation_code="KOP-01")
    everyone = 6
    count = lambda **kw: segment_count(Segment(**kw), today=TODAY)  # noqa: E731

    assert count() == everyone
    assert count(regions=("33.74",)) == 2  # Kota Semarang only, not Kabupaten Semarang (33.22)
    assert count(regions=("33",)) == 3
    assert count(regions=("33.74.02.1001", "94")) == 2
    assert count(sex="F") == 1
    assert count(occupations=("ojek_online",)) == 1
    assert count(statuses=("never_paid",)) == 2  # no status row at all counts as never paid
    assert count(statuses=("in_arrears",)) == 1
    assert count(statuses=("lapsed",), lapsed_within_days=30) == 1
    assert count(statuses=("lapsed",), lapsed_within_days=400) == 2
    assert count(statuses=("never_paid", "in_arrears")) == 3
    # Age band: born 11 March 1962 is 63 on 10 March 2026 (64 the next day); born 1 January 2000 is 26.
    assert count(min_age=64) == 0
    assert count(max_age=63, min_age=63) == 1
    assert count(max_age=26) == 1
    assert count(partner="KOP-01") == 1
    assert count(regions=("33",), statuses=("never_paid",), sex="F") == 1
    # Opted-out numbers and members without a number are never in a segment.
    optout_record(phone=semarang_f_never.phone, source="portal")
    assert count() == everyone - 1
    assert {semarang_m_arrears, kab_semarang_lapsed_recent, jakarta_lapsed_long_ago, papua_active, partner_member}


def test_bad_segment_and_template_are_refused_with_a_message(maker):
    with pytest.raises(ValidationFailed) as excinfo:
        Segment.from_dict({"min_age": 40, "max_age": 30})
    assert "max_age" in excinfo.value.fields
    with pytest.raises(ValidationFailed):
        Segment.from_dict({"min_age": "tua"})
    with pytest.raises(ValidationFailed) as excinfo:
        make(maker, body_id="Halo {nama}")
    assert "{nama}" in excinfo.value.fields["body_id"][0]


def test_preview_shows_a_real_member_masked(maker):
    worker = member(village_code="33.74.01.1001", full_name="Siti Rahayu")
    campaign = make(maker)
    assert campaign_audience_count(campaign, today=TODAY) == 1
    preview = campaign_preview(campaign, today=TODAY)
    assert preview is not None
    assert "Siti" not in preview["id"] and "S•••• R••••" in preview["id"]
    assert "Rp" in preview["id"] and "{" not in preview["id"]
    assert preview["en"].startswith("Hello S••••")
    assert worker.phone not in preview["id"]


# --- Maker and checker --------------------------------------------------------------------------


def test_the_maker_cannot_approve_and_approval_is_audited(maker, checker, roles):
    member(village_code="33.74.01.1001")
    campaign = make(maker)
    with pytest.raises(CampaignNotAllowed):
        campaign_approve(actor=Actor.for_user(maker), campaign=campaign, now=DAYTIME)
    outsider = UserFactory(username="outsider")
    with pytest.raises(CampaignNotAllowed):
        campaign_approve(actor=Actor.for_user(outsider), campaign=campaign, now=DAYTIME)
    with pytest.raises(CampaignNotAllowed):
        make(outsider)
    counts = campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    assert counts == {"audience": 1, "to_send": 1, "control": 0}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING and campaign.approved_by == checker
    actions = list(AuditEvent.objects.filter(subject_id=str(campaign.pk)).values_list("action", flat=True))
    assert "campaign.create" in actions and "campaign.approve" in actions
    with pytest.raises(CampaignStateError):
        campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)


# --- Quiet hours --------------------------------------------------------------------------------


def test_quiet_hours_follow_the_members_time_zone(maker, checker):
    java = member(village_code="33.74.01.1001")  # WIB, UTC+7
    bali = member(village_code="51.71.01.1001")  # WITA, UTC+8
    papua = member(village_code="94.01.01.1001")  # WIT, UTC+9
    # 13:30 UTC: 20:30 WIB (allowed), 21:30 WITA and 22:30 WIT (quiet).
    evening = dt.datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    campaign = make(maker, scheduled_for=evening)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=evening - dt.timedelta(hours=1))
    send_after = dict(CampaignRecipient.objects.values_list("worker_id", "send_after"))
    assert send_after[java.pk] == evening
    # Moved to 07:00 the next morning, local time: 23:00 UTC for WITA, 22:00 UTC for WIT.
    assert send_after[bali.pk] == dt.datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    assert send_after[papua.pk] == dt.datetime(2026, 3, 10, 22, 0, tzinfo=UTC)

    campaigns_dispatch(now=evening)
    assert [m.to for m in campaign_sent()] == [java.phone]
    campaigns_dispatch(now=dt.datetime(2026, 3, 10, 22, 0, tzinfo=UTC))
    assert [m.to for m in campaign_sent()] == [java.phone, papua.phone]
    campaigns_dispatch(now=dt.datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    assert [m.to for m in campaign_sent()] == [java.phone, papua.phone, bali.phone]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_a_late_dispatch_does_not_send_at_night(maker, checker):
    java = member(village_code="33.74.01.1001")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    night = dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 23:00 WIB: the worker queue ran late
    counts = campaigns_dispatch(now=night)
    assert counts == {"quiet_hours": 1} and campaign_sent() == []
    assert CampaignRecipient.objects.get(worker=java).send_after == dt.datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


# --- Caps and opt-outs --------------------------------------------------------------------------


def test_weekly_cap_counts_campaigns_and_reminders_together(maker, checker):
    two_reminders = member(village_code="33.74.01.1001")
    one_reminder = member(village_code="33.74.01.1001")
    quiet = member(village_code="33.74.01.1001")
    for kind in ("due_soon", "missed"):
        Reminder.objects.create(
            worker=two_reminders, period=Period(2026, 3), kind=kind, channel="sms", created_at=DAYTIME, sent_at=DAYTIME
        )
    Reminder.objects.create(
        worker=one_reminder, period=Period(2026, 3), kind="due_soon", channel="sms", created_at=DAYTIME, sent_at=DAYTIME
    )
    # A reminder eight days old no longer counts.
    old = DAYTIME - dt.timedelta(days=8)
    Reminder.objects.create(
        worker=quiet, period=Period(2026, 2), kind="due_soon", channel="sms", created_at=old, sent_at=old
    )
    first = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=first, now=DAYTIME)
    counts = campaigns_dispatch(now=DAYTIME)
    assert counts == {"sent": 2, "capped": 1}
    assert {m.to for m in campaign_sent()} == {one_reminder.phone, quiet.phone}

    second = make(maker, name="Kedua")
    later = DAYTIME + dt.timedelta(hours=1)
    campaign_approve(actor=Actor.for_user(checker), campaign=second, now=later)
    counts = campaigns_dispatch(now=later)
    # one_reminder now has a reminder and the first campaign: capped; quiet had one campaign message.
    assert counts == {"sent": 1, "capped": 2}
    assert [m.to for m in campaign_sent()][-1] == quiet.phone
    states = dict(CampaignRecipient.objects.filter(campaign=second).values_list("worker_id", "state"))
    assert states[one_reminder.pk] == RecipientState.CAPPED


def test_opt_out_by_stop_text_between_approval_and_sending(maker, checker):
    stays = member(village_code="33.74.01.1001")
    leaves = member(village_code="33.74.01.1001")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    assert sms_inbound_handle(sender=leaves.phone, body="  stop ") is True
    assert sms_inbound_handle(sender=stays.phone, body="Terima kasih") is False
    counts = campaigns_dispatch(now=DAYTIME)
    assert counts == {"sent": 1, "opted_out": 1}
    assert [m.to for m in campaign_sent()] == [stays.phone]
    assert CampaignRecipient.objects.get(worker=leaves).state == RecipientState.OPTED_OUT


def test_a_refused_message_is_retried_by_the_queue(maker, checker, monkeypatch):
    member(village_code="33.74.01.1001")
    campaign = make(maker)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)

    def refuse(self, **kwargs):
        raise SmsDeliveryError("refused")

    with monkeypatch.context() as patch:
        patch.setattr(locmem.SmsBackend, "send_sms", refuse)
        assert campaigns_dispatch(now=DAYTIME) == {"retry": 1}
    assert campaign_sent() == []
    assert messages_deliver(now=DAYTIME + dt.timedelta(minutes=1)) == {"sent": 1}
    assert len(campaign_sent()) == 1


# --- Control group and uplift -------------------------------------------------------------------


def test_control_split_is_exact_and_random():
    ids = list(range(1, 1001))
    sent, control = control_split(ids, percent=10, seed=1)
    assert len(control) == 100 and len(sent) == 900 and set(sent) | set(control) == set(ids)
    assert not set(sent) & set(control)
    assert control != list(range(1, 101))  # drawn, not the first hundred
    assert control_split(ids, percent=10, seed=2)[1] != control
    assert control_split(ids[:7], percent=10, seed=1)[1].__len__() == 1  # round(0.7)


def test_control_group_gets_nothing_and_has_the_right_size(maker, checker):
    workers = [member(village_code="33.74.01.1001") for _ in range(20)]
    campaign = make(maker, control_percent=25)
    counts = campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    assert counts == {"audience": 20, "to_send": 15, "control": 5}
    campaigns_dispatch(now=DAYTIME)
    control = set(CampaignRecipient.objects.filter(is_control=True).values_list("worker_id", flat=True))
    texted = {m.to for m in campaign_sent()}
    assert len(control) == 5 and len(texted) == 15
    assert not {w.phone for w in workers if w.pk in control} & texted


def test_uplift_on_a_scripted_history(maker, checker):
    workers = [member(village_code="33.74.01.1001") for _ in range(10)]
    campaign = make(maker, control_percent=50, conversion_days=30)
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    campaigns_dispatch(now=DAYTIME)
    treated = list(CampaignRecipient.objects.filter(is_control=False).values_list("worker_id", flat=True))
    control = list(CampaignRecipient.objects.filter(is_control=True).values_list("worker_id", flat=True))
    assert len(treated) == 5 and len(control) == 5

    amount = month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period(2026, 1))
    assert amount

    def pay(worker_id: int, when: dt.datetime) -> None:
        payment_allocate(
            actor=Actor.system("test"),
            worker=Worker.objects.get(pk=worker_id),
            amount_idr=amount,
            payment_reference=f"P-{worker_id}",
            channel="sandbox",
            paid_at=when,
        )

    # Sent: 4 of 5 pay within the window; control: 1 of 5. Payments before the campaign
    # or after the window do not count.
    for worker_id in treated[:4]:
        pay(worker_id, DAYTIME + dt.timedelta(days=3))
    pay(treated[4], DAYTIME - dt.timedelta(days=1))
    pay(control[0], DAYTIME + dt.timedelta(days=10))
    pay(control[1], DAYTIME + dt.timedelta(days=40))
    campaign.refresh_from_db()
    results = campaign_results(campaign, now=DAYTIME + dt.timedelta(days=60))
    assert results is not None
    u = results.uplift
    assert (u.sent, u.sent_converted, u.control, u.control_converted) == (5, 4, 5, 1)
    assert u.difference == pytest.approx(0.6)
    # se = sqrt(0.8·0.2/5 + 0.2·0.8/5) = sqrt(0.064) = 0.25298
    assert u.low == pytest.approx(0.6 - 1.959964 * 0.252982, abs=1e-5)
    assert u.high == pytest.approx(0.6 + 1.959964 * 0.252982, abs=1e-5)
    assert u.approximate
    assert results.states[RecipientState.SENT] == 5 and results.states[RecipientState.CONTROL] == 5
    assert len(workers) == 10


def test_whatsapp_campaign_sends_the_template_with_the_members_values(maker, checker, settings):
    settings.WHATSAPP_BACKEND = "rangkul.messaging.backends.whatsapp.LocmemWhatsAppBackend"
    LocmemWhatsAppBackend.clear()
    worker = member(village_code="33.74.01.1001", full_name="Siti Rahayu")
    with pytest.raises(ValidationFailed):
        make(maker, channel="whatsapp", whatsapp_template="Bukan Nama!")
    whatsapp_template_record(actor=Actor.for_user(maker), name="ajakan_iuran", status="approved")
    campaign = make(maker, channel="whatsapp", whatsapp_template="ajakan_iuran", body_id="Halo {name}, {link}")
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=DAYTIME)
    assert campaigns_dispatch(now=DAYTIME) == {"sent": 1}
    [sent] = LocmemWhatsAppBackend.outbox
    assert sent.template == "ajakan_iuran" and sent.to == worker.phone
    assert sent.parameters[0] == "Siti Rahayu" and sent.parameters[1].startswith("http")
    assert campaign_sent() == []  # no SMS unless WhatsApp fails
    campaign.refresh_from_db()
    results = campaign_results(campaign, now=DAYTIME)
    assert results is not None and results.delivery["sent"] == 1
    LocmemWhatsAppBackend.clear()
