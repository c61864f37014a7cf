"""SMS keywords from feature phones, through ``POST /api/v1/sms/inbound/sandbox``: each keyword, shared
and unknown numbers, replays, opt-out honoured by reminders and campaigns, one SMS, never a NIK."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from rangkul.accounts.models import BranchOffice, User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import BranchOfficeFactory, UserFactory
from rangkul.agents.tests.conftest import new_agent
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.models import Bill, BillStatus
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.selectors import month_total_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.messaging.models import InboundMessage, OptOut
from rangkul.messaging.optout import is_opted_out
from rangkul.outreach.campaigns import campaign_approve, campaigns_dispatch
from rangkul.outreach.models import CampaignRecipient, RecipientState
from rangkul.outreach.tests.test_campaigns import DAYTIME, campaign_sent, make
from rangkul.outreach.tests.test_reminders import paid_member, reminded, run
from rangkul.portal.sms_keywords import command_parse
from rangkul.regions.models import District, Village
from rangkul.registry.models import Worker

TOKEN = "sandbox-token-for-keywords"
MONTHS = [
    *("Januari", "Februari", "Maret", "April", "Mei", "Juni"),
    *("Juli", "Agustus", "September", "Oktober", "November", "Desember"),
]
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _clean(settings, regions):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    settings.SANDBOX_CALLBACK_TOKEN = TOKEN
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.OUTREACH_LINK_URL = "https://rangkul.id/"
    rulebook_cache_clear()
    locmem.clear()
    yield
    locmem.clear()
    rulebook_cache_clear()


def verified(worker: Worker, phone: str | None = None) -> Worker:
    Worker.objects.filter(pk=worker.pk).update(phone=phone or worker.phone, phone_verified_at=timezone.now())
    worker.refresh_from_db()
    return worker


def today_member(**overrides: Any) -> Worker:
    return verified(member(registered_on=timezone.localdate(), **overrides))


def sms(client, phone: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    """Send a text as the sandbox provider; the answer the API gives (also queued and sent)."""
    body = {"id": message_id or f"kw-{next(_ids)}", "from": phone, "text": text}
    response = client.post(
        "/api/v1/sms/inbound/sandbox", body, content_type="application/json", headers={"X-Callback-Token": TOKEN}
    )
    assert response.status_code == 200, response.content
    (answer,) = response.json()["messages"]
    return cast(dict[str, Any], answer)


def month_name(period: Period) -> str:
    return f"{MONTHS[period.month - 1]} {period.year}"


@pytest.mark.parametrize(
    ("text", "name", "numbers"),
    [
        ("CEK", "check", ()),
        ("  cek ", "check", ()),
        ("Cek status", "check", ()),
        ("cek 2", "check", (2,)),
        ("CEK2", "check", (2,)),
        ("bayar", "pay", ()),
        ("BAYAR 3", "pay", (3,)),
        ("Bayar#3", "pay", (3,)),
        ("byr 3 2", "pay", (3, 2)),
        ("BAYAR IURAN 12", "pay", (12,)),
        ("daftar", "register", ()),
        ("REG", "register", ()),
        ("berhenti", "stop", ()),
        ("STOP", "stop", ()),
        ("Unreg", "stop", ()),
        ("mulai", "start", ()),
        ("START", "start", ()),
        ("halo apa kabar", "help", ()),
        ("", "help", ()),
        ("123", "help", ()),
    ],
)
def test_keywords_are_read_whatever_the_case_spaces_or_punctuation(text, name, numbers):
    command = command_parse(text)
    assert (command.name, command.numbers) == (name, numbers)


@pytest.mark.django_db
def test_cek_tells_a_new_member_to_pay_and_after_paying_the_paid_through_month(client):
    worker = today_member()
    answer = sms(client, worker.phone, "cek")
    assert answer["keyword"] == "check"
    assert answer["answer"] == (
        f"Rangkul Budi {worker.membership_number}: terdaftar, belum bayar iuran. Balas BAYAR 1 untuk kode bayar."
    )
    sms(client, worker.phone, "BAYAR 3")
    bill = Bill.objects.get(worker=worker, status=BillStatus.OPEN)
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="P-1",
        channel="sandbox",
        bill=bill,
    )
    through = Period.of(timezone.localdate()) + 2
    assert sms(client, worker.phone, "CEK")["answer"] == (
        f"Rangkul Budi {worker.membership_number}: aktif, iuran lunas s.d. {month_name(through)}. "
        "Balas BAYAR 1 untuk kode bayar."
    )


@pytest.mark.django_db
def test_bayar_n_issues_a_payment_code_for_n_months_with_the_amount(client, django_capture_on_commit_callbacks):
    worker = today_member()
    with django_capture_on_commit_callbacks(execute=True):
        answer = sms(client, worker.phone, "bayar 3")
    bill = Bill.objects.get(worker=worker, status=BillStatus.OPEN)
    first = Period.of(timezone.localdate())
    expected = sum(
        month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=first + i) or 0
        for i in range(3)
    )
    assert bill.amount_idr == expected and len({line.period for line in bill.lines.all()}) == 3
    code = " ".join(bill.payment_code[i : i + 4] for i in range(0, 16, 4))
    amount = f"Rp{expected:,}".replace(",", ".")
    assert answer["keyword"] == "pay"
    assert f"kode bayar {code}, {amount} untuk 3 bulan, berlaku s.d. " in answer["answer"]
    # Sent through the outbound queue to the sender, and the bill's audit row names the SMS channel.
    assert [(m.to, m.body, m.purpose) for m in locmem.outbox] == [
        (worker.phone, answer["answer"], "sms_keyword_answer")
    ]
    event = AuditEvent.objects.get(action="contributions.bill_issued", subject_id=str(bill.pk))
    assert event.actor_label == f"sms {worker.membership_number}"


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["BAYAR 0", "BAYAR 13", "BAYAR 99"])
def test_bayar_outside_one_to_twelve_months_explains_and_issues_nothing(client, text):
    worker = today_member()
    answer = sms(client, worker.phone, text)["answer"]
    assert answer == "Rangkul: bayar untuk 1 sampai 12 bulan sekaligus. Balas BAYAR 1 sampai BAYAR 12."
    assert not Bill.objects.filter(worker=worker).exists()


@pytest.mark.django_db
def test_bayar_refused_by_the_billing_rules_says_why_and_keeps_the_paid_code(client):
    worker = today_member()
    sms(client, worker.phone, "BAYAR 12")
    bill = Bill.objects.get(worker=worker)
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="P-12",
        channel="sandbox",
        bill=bill,
    )
    answer = sms(client, worker.phone, "BAYAR 1")["answer"]
    assert answer.startswith("Rangkul: ") and "12 bulan" in answer and "BAYAR 1" not in answer
    assert list(Bill.objects.filter(worker=worker).values_list("pk", flat=True)) == [bill.pk]


@pytest.mark.django_db
def test_a_repeated_bayar_message_gives_the_same_code_and_one_sms(client, django_capture_on_commit_callbacks):
    worker = today_member()
    with django_capture_on_commit_callbacks(execute=True):
        first = sms(client, worker.phone, "BAYAR 2", message_id="same-1")
        again = sms(client, worker.phone, "BAYAR 2", message_id="same-1")
    assert first == again
    assert Bill.objects.filter(worker=worker).count() == 1 and len(locmem.outbox) == 1


@pytest.mark.django_db
def test_a_shared_phone_gets_a_numbered_choice_and_the_number_picks(client):
    phone = "+6281299990001"
    older = verified(member(registered_on=dt.date(2026, 1, 5), full_name="Budi Santoso"), phone)
    newer = verified(member(registered_on=dt.date(2026, 2, 5), full_name="siti aminah"), phone)
    choice = sms(client, phone, "CEK")["answer"]
    assert choice == "Rangkul: nomor ini milik 2 peserta: 1 Budi, 2 Siti. Balas CEK 1, CEK 2, dst."
    assert older.membership_number not in choice and newer.membership_number not in choice
    assert f"Siti {newer.membership_number}:" in sms(client, phone, "CEK 2")["answer"]
    assert f"Budi {older.membership_number}:" in sms(client, phone, "cek 1")["answer"]
    assert sms(client, phone, "CEK 3")["answer"] == choice  # no third member: the list again
    assert sms(client, phone, "BAYAR 3")["answer"] == (
        "Rangkul: nomor ini milik 2 peserta: 1 Budi, 2 Siti. Balas BAYAR 3 1, BAYAR 3 2, dst."
    )
    assert not Bill.objects.exists()
    answer = sms(client, phone, "BAYAR 3 2")["answer"]
    bill = Bill.objects.get()
    assert bill.worker_id == newer.pk and answer.startswith(f"Rangkul {newer.membership_number}: kode bayar ")


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["CEK", "BAYAR 1", "DAFTAR"])
def test_a_number_without_a_verified_member_gets_the_registration_text(client, text):
    unverified = member()  # registered with this number, never verified it
    for phone in ("+6281277770001", unverified.phone):
        answer = sms(client, phone, text)["answer"]
        assert answer == (
            "Rangkul: daftar di https://rangkul.id/peserta/daftar/ dengan NIK dan nomor ini, atau lewat "
            "agen/kantor cabang. Balas DAFTAR nama kecamatan untuk agen terdekat."
        )
        assert unverified.membership_number not in answer
    assert not Bill.objects.exists()


def _agent(*, village: str = "", district: str = "", name: str = "Sari Wulandari", branch_phone: str = ""):
    field_agent = new_agent().agent
    User.objects.filter(pk=field_agent.user_id).update(full_name=name)
    if village:
        field_agent.villages.add(Village.objects.get(code=village))
    if district:
        field_agent.districts.add(District.objects.get(code=district))
    if branch_phone:
        field_agent.branch = cast(BranchOffice, BranchOfficeFactory(phone=branch_phone))
        field_agent.save(update_fields=["branch"])
    return field_agent


@pytest.mark.django_db
def test_daftar_names_the_nearest_active_agent(client, roles):
    link = "https://rangkul.id/peserta/daftar/"
    # A member asking for a relative: an agent of the member's own village comes before one of the district.
    worker = today_member(village_code="33.74.01.1001")
    _agent(district="33.74.01", name="Agus District")
    village_agent = _agent(village="33.74.01.1001", name="Sari Village")
    assert sms(client, worker.phone, "DAFTAR")["answer"] == (
        f"Rangkul: daftar di {link} dengan NIK dan nomor ini, atau lewat agen Sari Village ({village_agent.code}) "
        "di Miroto."
    )
    # A stranger names the district; that district's agent gives the branch office's number.
    gambir = _agent(village="31.71.01.1001", name="Dewi Gambir", branch_phone="021-3456789")
    assert sms(client, "+6281266660001", "daftar gambir")["answer"] == (
        f"Rangkul: daftar di {link} dengan NIK dan nomor ini, atau lewat agen Dewi Gambir ({gambir.code}), "
        "kantor cabang 021-3456789."
    )
    # No agent works near Merauke.
    assert "Balas DAFTAR nama kecamatan" in sms(client, "+6281266660001", "DAFTAR Merauke")["answer"]


@pytest.mark.django_db
def test_stop_is_audited_honoured_by_reminders_and_start_turns_messages_on(client):
    stays = verified(paid_member(through=Period(2026, 4)))
    leaves = verified(paid_member(through=Period(2026, 4)))
    answer = sms(client, leaves.phone, "berhenti")
    assert answer == {
        "id": answer["id"],
        "keyword": "stop",
        "answer": "Rangkul: nomor ini tidak akan menerima pengingat dan info lagi. Balas MULAI untuk menerimanya lagi.",
    }
    assert OptOut.objects.get(phone=leaves.phone).source == "sms_stop"
    event = AuditEvent.objects.get(action="messaging.opted_out")
    assert event.actor_label == "sms" and leaves.phone not in str(event.after)
    sms(client, leaves.phone, "STOP")  # once opted out, a second STOP changes nothing and is not audited again
    assert AuditEvent.objects.filter(action="messaging.opted_out").count() == 1
    run(dt.date(2026, 5, 13), stays, leaves)
    assert reminded(stays) == [("due_soon", "2026-05")]
    assert reminded(leaves) == []
    assert sms(client, leaves.phone, "MULAI")["keyword"] == "start"
    assert not is_opted_out(leaves.phone)
    assert AuditEvent.objects.filter(action="messaging.opted_in").count() == 1
    run(dt.date(2026, 6, 12), stays, leaves)
    assert ("due_soon", "2026-06") in reminded(leaves)


@pytest.mark.django_db
def test_stop_by_sms_is_honoured_by_campaigns(client, roles):
    def staff(name: str) -> User:
        user = cast(User, UserFactory(username=name))
        user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
        return user

    stays = verified(member(village_code="33.74.01.1001"))
    leaves = verified(member(village_code="33.74.01.1001"))
    campaign = make(staff("maker"))
    campaign_approve(actor=Actor.for_user(staff("checker")), campaign=campaign, now=DAYTIME)
    assert sms(client, leaves.phone, "Stop")["keyword"] == "stop"
    locmem.clear()
    assert campaigns_dispatch(now=DAYTIME) == {"sent": 1, "opted_out": 1}
    assert [m.to for m in campaign_sent()] == [stays.phone]
    assert CampaignRecipient.objects.get(worker=leaves).state == RecipientState.OPTED_OUT


@pytest.mark.django_db
def test_help_for_anything_else(client):
    assert sms(client, "+6281255550001", "halo, saya mau tanya")["answer"] == (
        "Rangkul: balas CEK (status), BAYAR 1-12 (kode bayar), DAFTAR (cara daftar) atau STOP (berhenti pengingat)."
    )


@pytest.mark.django_db
def test_every_answer_fits_one_sms_never_carries_the_nik_and_every_text_is_stored(client, roles):
    worker = today_member(full_name="Bartholomeus Wicaksono Hadiningrat")
    _agent(village=worker.village_id, name="Christophorus Adiwijaya Kusumanegara", branch_phone="024-76543210")
    texts = ["CEK", "BAYAR 12", "BAYAR 13", "DAFTAR", "STOP", "MULAI", "apa ini", "BAYAR 1"]
    answers = [sms(client, worker.phone, text)["answer"] for text in texts]
    for answer in answers:
        assert len(answer) <= 160, answer
        assert worker.nik not in answer and worker.nik[-6:] not in answer
    assert InboundMessage.objects.filter(phone=worker.phone).count() == len(texts)
