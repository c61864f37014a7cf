"""Erasure at the member's request (UU 27/2022): personal data replaced, money records kept."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.tests.factories import file
from rangkul.contributions.models import JournalLine
from rangkul.contributions.selectors import ledger_totals, member_credit_idr, paid_months
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.registry.models import ErasureRequest, ErasureRequestStatus, Heir, Worker, WorkerStatus
from rangkul.registry.selectors import worker_find_by_nik
from rangkul.registry.services import (
    heir_add,
    worker_change_phone,
    worker_erasure_confirm,
    worker_erasure_request,
    worker_erasure_withdraw,
    worker_update,
)
from rangkul.registry.tests.factories import heir_input, make_nik, worker_create

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1988, 7, 23)
REASON = "Permintaan peserta no. PDP-2026-0042"


def other_administrator() -> User:
    user, _created = User.objects.get_or_create(username="admin-kedua", defaults={"full_name": "Admin Kedua"})
    user.groups.add(*Group.objects.filter(name=Role.ADMINISTRATOR.value))
    return user


def worker_anonymise(*, actor: User, worker: Worker, reason: str) -> Worker:
    """The whole erasure: another administrator records the member's request, ``actor`` confirms it."""
    request = worker_erasure_request(actor=Actor.for_user(other_administrator()), worker=worker, reason=reason)
    return worker_erasure_confirm(actor=Actor.for_user(actor), erasure_request=request)


def _member() -> tuple[Worker, list[str]]:
    """A paying member with two heirs, and every personal value they gave."""
    nik = make_nik(birth_date=BIRTH, sex="F", serial=4321)
    heir_nik = make_nik(birth_date=dt.date(1986, 2, 11), sex="M", serial=9876)
    worker = member(
        nik=nik,
        birth_date=BIRTH,
        sex="F",
        full_name="Rahmawati Kusumaningrum",
        phone="+6281377771234",
        email="rahma@example.org",
        address="Jl. Kenanga 7 RT 03/RW 05",
        postal_code="50241",
        heirs=[
            heir_input(
                full_name="Bambang Hartono",
                relationship="spouse",
                nik=heir_nik,
                birth_date=dt.date(1986, 2, 11),
                phone="+6285611112222",
            ),
            heir_input(full_name="Dewi Lestari", relationship="child", birth_date=dt.date(2012, 9, 1)),
        ],
    )
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800 * 6,
        payment_reference=f"P-{worker.pk}",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 5)),
    )
    secrets = [
        nik,
        heir_nik,
        "Rahmawati",
        "Kusumaningrum",
        "rahmawati kusumaningrum",
        "81377771234",
        "rahma@example.org",
        "Kenanga",
        "50241",
        BIRTH.isoformat(),
        "Bambang",
        "Hartono",
        "85611112222",
        "Dewi",
        "2012-09-01",
        "1986-02-11",
    ]
    return worker, secrets


def _rows_as_text(worker: Worker) -> str:
    rows = [*Worker.objects.filter(pk=worker.pk).values(), *Heir.objects.filter(worker=worker).values()]
    return json.dumps(rows, default=str).lower()


def test_no_personal_value_remains_in_the_member_or_heirs_rows(administrator, regions):
    worker, secrets = _member()
    before = _rows_as_text(worker)
    assert [s for s in secrets if s.lower() not in before] == secrets[:2]  # all but the sealed NIKs

    worker_anonymise(actor=administrator, worker=worker, reason=REASON)

    after = _rows_as_text(worker)
    for secret in secrets:
        assert secret.lower() not in after, secret
    worker.refresh_from_db()
    assert worker.status == WorkerStatus.ANONYMISED
    assert worker.nik == "" and worker.nik_masked == ""
    assert worker.birth_date == dt.date(1988, 1, 1)  # the year stays, for age statistics
    assert (worker.sex, worker.village_id, worker.occupation.code) == ("F", "33.74.01.1001", "pedagang")
    assert worker_find_by_nik(nik=secrets[0]) is None
    heirs = Heir.objects.filter(worker=worker)
    assert heirs.count() == 2  # the heirs' places stay, their data goes
    assert set(heirs.values_list("nik_sealed", "nik_hash", "phone", "birth_date")) == {("", "", "", None)}


def test_money_records_stay_and_the_ledger_still_balances(administrator, regions):
    worker, _secrets = _member()
    lines = list(JournalLine.objects.filter(worker=worker).values_list("pk", "debit_idr", "credit_idr"))
    months, credit = paid_months(worker_id=worker.pk), member_credit_idr(worker_id=worker.pk)
    assert lines and months

    worker_anonymise(actor=administrator, worker=worker, reason=REASON)

    assert list(JournalLine.objects.filter(worker=worker).values_list("pk", "debit_idr", "credit_idr")) == lines
    assert paid_months(worker_id=worker.pk) == months
    assert member_credit_idr(worker_id=worker.pk) == credit
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"] > 0


def test_the_audit_row_names_the_fields_never_their_values(administrator, regions):
    worker, secrets = _member()
    worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    event = AuditEvent.objects.get(action="registry.worker_anonymised")
    assert (event.actor, event.subject_label, event.reason) == (administrator, worker.membership_number, REASON)
    assert event.before is None and event.after["heirs"] == 2 and "full_name" in event.after["fields"]
    text = json.dumps([event.before, event.after, event.subject_label, event.reason]).lower()
    for secret in secrets:
        assert secret.lower() not in text


def test_an_open_claim_stops_the_erasure(administrator, regions):
    worker, _secrets = _member()
    file(worker)
    with pytest.raises(Conflict) as refused:
        worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    assert refused.value.code == "erasure_blocked"
    worker.refresh_from_db()
    assert worker.full_name == "Rahmawati Kusumaningrum" and worker.status == WorkerStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="registry.worker_anonymised").exists()


def test_only_permitted_staff_with_a_reason_may_erase_and_only_once(administrator, branch_officer, regions):
    worker = worker_create()
    with pytest.raises(PermissionDenied):
        worker_erasure_request(actor=Actor.for_user(branch_officer), worker=worker, reason=REASON)
    with pytest.raises(PermissionDenied):
        worker_erasure_request(actor=Actor.system("system"), worker=worker, reason=REASON)
    with pytest.raises(ValidationFailed):
        worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason="  ")
    request = worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason=REASON)
    with pytest.raises(PermissionDenied):
        worker_erasure_confirm(actor=Actor.for_user(branch_officer), erasure_request=request)
    worker_erasure_confirm(actor=Actor.for_user(other_administrator()), erasure_request=request)
    with pytest.raises(Conflict):
        worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason=REASON)
    with pytest.raises(Conflict):
        worker_erasure_confirm(actor=Actor.for_user(other_administrator()), erasure_request=request)


def test_the_administrator_who_asked_cannot_confirm_and_nothing_is_erased_until_another_does(administrator, regions):
    worker, _secrets = _member()
    request = worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason=REASON)
    assert request.status == ErasureRequestStatus.PENDING
    with pytest.raises(PermissionDenied):
        worker_erasure_confirm(actor=Actor.for_user(administrator), erasure_request=request)
    with pytest.raises(Conflict) as twice:
        worker_erasure_request(actor=Actor.for_user(other_administrator()), worker=worker, reason=REASON)
    assert twice.value.code == "erasure_pending"
    worker.refresh_from_db()
    assert worker.status == WorkerStatus.ACTIVE and worker.full_name == "Rahmawati Kusumaningrum"
    requested = AuditEvent.objects.get(action="registry.worker_erasure_requested")
    assert requested.actor == administrator and requested.reason == REASON

    checker = other_administrator()
    worker_erasure_confirm(actor=Actor.for_user(checker), erasure_request=request)
    request.refresh_from_db()
    assert (request.status, request.requested_by, request.decided_by) == (
        ErasureRequestStatus.DONE,
        administrator,
        checker,
    )
    event = AuditEvent.objects.get(action="registry.worker_anonymised")
    assert event.actor == checker and event.after["request"] == request.pk
    assert event.after["requested_by"] == str(administrator)


def test_the_database_refuses_a_request_decided_by_its_maker(administrator, regions):
    request = worker_erasure_request(actor=Actor.for_user(administrator), worker=worker_create(), reason=REASON)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(decided_by=administrator)


def test_a_withdrawn_request_erases_nothing_and_a_new_one_may_follow(administrator, regions):
    worker = worker_create(full_name="Siti Aminah")
    request = worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason=REASON)
    worker_erasure_withdraw(actor=Actor.for_user(administrator), erasure_request=request, reason="Peserta membatalkan")
    request.refresh_from_db()
    assert request.status == ErasureRequestStatus.WITHDRAWN
    with pytest.raises(Conflict):
        worker_erasure_confirm(actor=Actor.for_user(other_administrator()), erasure_request=request)
    assert Worker.objects.get(pk=worker.pk).full_name == "Siti Aminah"
    assert worker_erasure_request(actor=Actor.for_user(administrator), worker=worker, reason=REASON).status == "pending"


def test_the_person_may_register_again_with_the_same_nik(administrator, regions):
    nik = make_nik(birth_date=BIRTH, sex="F", serial=77)
    worker = worker_create(nik=nik, birth_date=BIRTH, sex="F")
    worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    again = worker_create(nik=nik, birth_date=BIRTH, sex="F")
    assert again.pk != worker.pk and worker_find_by_nik(nik=nik) == again


def test_the_command_records_the_request_and_another_administrator_confirms_it(administrator, regions):
    worker, _secrets = _member()
    number = worker.membership_number

    def run(*args: str) -> dict[str, object]:
        out = StringIO()
        call_command("anonymise_worker", number, *args, stdout=out)
        return dict(json.loads(out.getvalue()))

    recorded = run("--reason", REASON, "--actor", administrator.username)
    assert recorded["status"] == "pending" and recorded["membership_number"] == number
    with pytest.raises(CommandError):  # the maker cannot be the checker
        run("--confirm", "--actor", administrator.username)
    assert Worker.objects.get(pk=worker.pk).full_name == "Rahmawati Kusumaningrum"
    with pytest.raises(CommandError):
        run("--confirm", "--actor", "nobody")
    done = run("--confirm", "--actor", other_administrator().username)
    assert done == {"membership_number": number, "request": recorded["request"], "status": "done", "heirs": 2}
    assert Worker.objects.get(pk=worker.pk).full_name == "Anonim"
    with pytest.raises(CommandError):  # nothing waits any more
        run("--confirm", "--actor", other_administrator().username)


def test_erased_data_is_not_written_back_by_an_edit_an_heir_or_a_new_number(administrator, regions):
    worker = worker_create()
    worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    with pytest.raises(Conflict):
        worker_update(
            actor=Actor.for_user(administrator), worker=worker, changes={"address": "Jl. Baru 1"}, reason="Pindah"
        )
    with pytest.raises(Conflict):
        heir_add(actor=Actor.for_user(administrator), worker=worker, data=heir_input(full_name="Budi Baru"))
    with pytest.raises(Conflict):
        worker_change_phone(actor=Actor.for_user(administrator), worker=worker, phone="081355556666")
    worker.refresh_from_db()
    assert (worker.address, worker.phone) == ("", "")
    assert not Heir.objects.filter(worker=worker, full_name="Budi Baru").exists()
