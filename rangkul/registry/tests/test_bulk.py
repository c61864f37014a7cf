"""``workers_register_many`` gives, row for row, what ``worker_register`` gives one row at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.core.crypto import lookup_hash, unseal
from rangkul.core.errors import ApplicationError, Conflict, ValidationFailed
from rangkul.messaging.backends.locmem import clear as clear_outbox
from rangkul.messaging.backends.locmem import outbox
from rangkul.registry import services, sql
from rangkul.registry.dukcapil import DukcapilResult
from rangkul.registry.models import Heir, PossibleDuplicate, Worker, WorkerStatus
from rangkul.registry.services import NewWorker, RegistrationInput, worker_register, workers_register_many
from rangkul.registry.services import bulk as bulk_services
from rangkul.registry.tests.factories import heir_input, make_nik, registration_input, worker_create

pytestmark = pytest.mark.django_db

REFUSED_NAME = "Ditolak Dukcapil"


class RefusingDukcapil:
    """Confirms everyone except one name, as a civil registry that disagrees would."""

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date, sex: str) -> DukcapilResult:
        if full_name == REFUSED_NAME:
            return DukcapilResult(verified=False, mismatched_fields=("full_name",))
        return DukcapilResult(verified=True, reference=f"ref-{nik[-4:]}")


# Worker fields that differ between two registrations of the same data by design.
_VOLATILE = {"id", "membership_number", "registered_at", "phone_verified_at", "nik_sealed"}


def _worker_values(outcome: Worker | NewWorker) -> dict[str, Any]:
    worker = Worker.objects.get(pk=outcome.pk)
    values = {f.attname: getattr(worker, f.attname) for f in Worker._meta.concrete_fields if f.attname not in _VOLATILE}
    values["nik"] = unseal(worker.nik_sealed, purpose="nik")
    values["phone_verified"] = worker.phone_verified_at is not None
    values["heirs"] = sorted(
        (h.full_name, h.relationship, h.birth_date, h.nik_hash, h.phone) for h in Heir.objects.filter(worker=worker)
    )
    return values


def _error_values(error: ApplicationError) -> dict[str, Any]:
    return {"type": type(error).__name__, "code": error.code, "message": str(error.message), "fields": error.fields}


def _snapshot(outcomes: Sequence[Worker | NewWorker | ApplicationError]) -> dict[str, Any]:
    """Everything a registration leaves behind, keyed by NIK hash rather than ids or numbers."""
    rows = [_worker_values(o) if isinstance(o, (Worker, NewWorker)) else _error_values(o) for o in outcomes]
    hash_of = dict(Worker.objects.values_list("pk", "nik_hash"))
    pairs = sorted(
        (hash_of[d.worker_id], hash_of[d.other_id], d.reason, d.status) for d in PossibleDuplicate.objects.all()
    )
    audits = sorted(
        (hash_of[int(e.subject_id)], e.action, e.actor_label, e.subject_type, sorted((e.after or {}).items()))
        for e in AuditEvent.objects.filter(action="registry.worker_registered")
    )
    return {"rows": rows, "pairs": pairs, "audits": audits}


def _in_rolled_back_transaction(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    with transaction.atomic():
        result = work()
        transaction.set_rollback(True)
    return result


def _one_by_one(rows: Sequence[RegistrationInput], **options: Any) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        outcomes: list[Worker | NewWorker | ApplicationError] = []
        for data in rows:
            try:
                outcomes.append(worker_register(data=data, welcome=False, **options))
            except ApplicationError as exc:
                outcomes.append(exc)
        return _snapshot(outcomes)

    return _in_rolled_back_transaction(work)


def _in_one_batch(rows: Sequence[RegistrationInput], **options: Any) -> dict[str, Any]:
    return _in_rolled_back_transaction(lambda: _snapshot(workers_register_many(rows=rows, **options)))


def _mixed_rows(existing: Worker, merged: Worker, crowd_phone: str) -> list[RegistrationInput]:
    today = timezone.localdate()
    old = dt.date(today.year - 70, 3, 4)
    young = dt.date(today.year - 10, 3, 4)
    valid = registration_input(
        full_name="  siti   AMINAH ",
        sex="F",
        jht=True,
        second_occupation_code="petani",
        email="siti@example.id",
        address="Jl.  Pemuda   12",
        postal_code="50132",
        payment_period_months=3,
        heirs=[heir_input(nik=make_nik(serial=9001)), heir_input(full_name="Anak Satu", relationship="child")],
    )
    twin_nik = registration_input(full_name="Kembar Pertama")
    same_name = registration_input(full_name="Nama Sama", birth_date=dt.date(1985, 1, 2))
    return [
        valid,
        registration_input(village_code="33.22.01.2001"),  # another regency
        registration_input(village_code="94.01.01.1001", occupation_code="nelayan"),
        # Valid but the NIK's region is not in the list: a warning, not an error.
        registration_input(nik=make_nik(district="99.01.01", serial=9002)),
        # Every kind of invalid row.
        registration_input(nik="12345"),
        registration_input(nik="3374019999900001"),
        registration_input(nik=make_nik(birth_date=dt.date(1991, 5, 17), serial=9003)),
        registration_input(sex="F", nik=make_nik(sex="M", serial=9004)),
        registration_input(birth_date=old, nik=make_nik(birth_date=old, serial=9005)),
        registration_input(birth_date=young, nik=make_nik(birth_date=young, serial=9006)),
        dataclasses.replace(registration_input(), birth_date=None),
        dataclasses.replace(registration_input(), sex="X"),
        registration_input(full_name="B4di"),
        registration_input(full_name=" "),
        registration_input(phone="021 888 1234"),
        registration_input(phone="not a phone"),
        registration_input(village_code="99.99.99.9999"),
        registration_input(village_code="33.74\x00.01"),
        registration_input(full_name="Budi\x00"),
        registration_input(occupation_code="astronaut"),
        registration_input(second_occupation_code="pedagang"),
        registration_input(second_occupation_code="bukan_pekerjaan"),
        registration_input(declared_income_idr=999_999),
        registration_input(declared_income_idr=2_000_000_000),
        registration_input(declared_income_idr="satu juta"),
        registration_input(jht="ya"),
        registration_input(payment_period_months=13),
        registration_input(email="bukan-email"),
        registration_input(address="x" * 256),
        registration_input(postal_code="5012"),
        registration_input(heirs=[heir_input()] * (services.MAX_HEIRS + 1)),
        registration_input(heirs=[heir_input(relationship="cousin", birth_date=today + dt.timedelta(days=2))]),
        registration_input(heirs=[heir_input(nik="123", phone="12")]),
        registration_input(full_name=REFUSED_NAME),
        # NIKs: already a member, twice in the batch (the later is the conflict, valid or not).
        dataclasses.replace(registration_input(), nik=existing_nik(existing)),
        twin_nik,
        dataclasses.replace(registration_input(full_name="Kembar Kedua"), nik=twin_nik.nik),
        dataclasses.replace(registration_input(postal_code="1"), nik=twin_nik.nik),
        # A refused identity does not take its NIK: a later row with it registers.
        registration_input(full_name=REFUSED_NAME, nik=make_nik(serial=9007)),
        registration_input(full_name="Akhirnya Diterima", nik=make_nik(serial=9007)),
        # Possible duplicates: with members already registered, with a merged record (ignored),
        # with earlier rows of the batch, and more matches than are ever queued.
        registration_input(phone=existing.phone),
        registration_input(phone=merged.phone),
        registration_input(full_name=existing.full_name, birth_date=existing.birth_date),
        same_name,
        dataclasses.replace(registration_input(birth_date=dt.date(1985, 1, 2)), full_name="NAMA  sama"),
        registration_input(phone="0813 1111 2222"),
        registration_input(phone="+6281311112222"),
        registration_input(phone=crowd_phone),
        registration_input(phone=crowd_phone),
    ]


def existing_nik(worker: Worker) -> str:
    return unseal(worker.nik_sealed, purpose="nik")


@pytest.fixture
def population(regions, branch, settings) -> dict[str, Any]:
    settings.DUKCAPIL_BACKEND = "rangkul.registry.tests.test_bulk.RefusingDukcapil"
    existing = worker_create(full_name="Sudah Terdaftar")
    merged = worker_create()
    Worker.objects.filter(pk=merged.pk).update(status=WorkerStatus.MERGED, merged_into=existing)
    crowd_phone = "+6281399990000"
    crowd = [worker_create(phone=crowd_phone) for _ in range(services.DUPLICATE_CANDIDATES + 2)]
    return {"existing": existing, "merged": merged, "crowd_phone": crowd_phone, "crowd": crowd}


def test_a_mixed_batch_ends_exactly_as_registering_row_by_row(population, branch_officer) -> None:
    rows = _mixed_rows(population["existing"], population["merged"], population["crowd_phone"])
    options = {
        "actor": Actor.for_user(branch_officer),
        "channel": "import",
        "organisation_code": " KopMaju ",
        "phone_verified": True,
    }
    expected = _one_by_one(rows, **options)
    actual = _in_one_batch(rows, **options)
    assert actual["rows"] == expected["rows"]
    assert actual["pairs"] == expected["pairs"]
    assert actual["audits"] == expected["audits"]
    # The comparison is not vacuous: every kind of outcome is in it.
    kinds = {row.get("type", "Worker") for row in expected["rows"]}
    assert kinds == {"Worker", "ValidationFailed", "Conflict"}
    codes = {row.get("code") for row in expected["rows"]}
    assert {"nik_registered", "identity_not_verified", "validation_failed"} <= codes
    reasons = {pair[2] for pair in expected["pairs"]}
    assert reasons == {"phone", "name_birth_village"}
    assert any(row.get("identity_warnings") for row in expected["rows"])
    assert any(row.get("branch_id") for row in expected["rows"])
    crowd = {w.nik_hash for w in population["crowd"]}
    crowd_pairs = [p for p in expected["pairs"] if p[1] in crowd and p[0] not in crowd]
    assert len(crowd_pairs) == 2 * services.DUPLICATE_CANDIDATES  # the oldest 20 for each of the two rows


def test_the_batch_returns_errors_in_place_and_registers_the_rest(population) -> None:
    existing = population["existing"]
    first = registration_input()
    rows = [first, registration_input(nik="1"), dataclasses.replace(registration_input(), nik=existing_nik(existing))]
    outcomes = workers_register_many(actor=Actor.system("test"), rows=rows, channel="import")
    assert isinstance(outcomes[0], NewWorker) and outcomes[0].pk
    assert Worker.objects.get(nik_hash=lookup_hash(first.nik)).pk == outcomes[0].pk
    assert isinstance(outcomes[1], ValidationFailed) and "nik" in outcomes[1].fields
    assert isinstance(outcomes[2], Conflict) and outcomes[2].code == "nik_registered"
    assert workers_register_many(actor=Actor.system("test"), rows=[], channel="import") == []
    with pytest.raises(ValueError, match="channel"):
        workers_register_many(actor=Actor.system("test"), rows=rows, channel="carrier pigeon")


def test_a_taken_membership_number_is_drawn_again(population, monkeypatch) -> None:
    taken = population["existing"].membership_number
    numbers = iter([taken, taken, "10000000016", "10000000024"])
    monkeypatch.setattr(bulk_services, "membership_number_new", lambda: next(numbers))
    outcomes = workers_register_many(
        actor=Actor.system("test"), rows=[registration_input(), registration_input()], channel="import"
    )
    assert sorted(w.membership_number for w in outcomes if isinstance(w, NewWorker)) == ["10000000016", "10000000024"]


def test_one_check_finds_the_registered_niks_and_the_numbers_in_use(population, monkeypatch) -> None:
    existing = population["existing"]
    fresh_hash = lookup_hash(registration_input().nik)
    monkeypatch.setattr(sql, "_CHECK_SLICE", 1)  # SQLite's slices: every value in a statement of its own
    taken, used = bulk_services._registered_already(
        {existing.nik_hash, fresh_hash}, ["10000000016", existing.membership_number, "10000000024"]
    )
    assert taken == {existing.nik_hash}
    assert used == {existing.membership_number}
    # A NIK hash is never mistaken for a number in use, nor a number for a registered NIK.
    assert bulk_services._registered_already({fresh_hash}, [existing.membership_number]) == (
        set(),
        {existing.membership_number},
    )
    assert bulk_services._registered_already({existing.nik_hash}, ["10000000016"]) == ({existing.nik_hash}, set())


def test_a_batch_whose_drawn_number_is_taken_draws_again_before_the_insert(population, monkeypatch) -> None:
    """The taken number is caught by the check, not by the insert's unique constraint (no row-by-row fallback)."""
    taken = population["existing"].membership_number
    numbers = iter([taken, "10000000016", "10000000024"])
    monkeypatch.setattr(bulk_services, "membership_number_new", lambda: next(numbers))
    monkeypatch.setattr(bulk_services, "_worker_insert", lambda worker: pytest.fail("fell back to row by row"))
    outcomes = workers_register_many(
        actor=Actor.system("test"), rows=[registration_input(), registration_input()], channel="import"
    )
    assert sorted(w.membership_number for w in outcomes if isinstance(w, NewWorker)) == ["10000000016", "10000000024"]


def test_a_nik_taken_after_the_check_falls_back_to_row_by_row(population, monkeypatch) -> None:
    """A concurrent registration commits one of the batch's NIKs between the check and the insert."""
    rows = [registration_input(), registration_input()]
    original = bulk_services._membership_numbers_assign

    def meanwhile(workers: Sequence[NewWorker], **kwargs: Any) -> None:
        original(workers, **kwargs)
        worker_register(actor=Actor.system("elsewhere"), data=rows[1], channel="portal", welcome=False)

    monkeypatch.setattr(bulk_services, "_membership_numbers_assign", meanwhile)
    outcomes = workers_register_many(actor=Actor.system("bulk"), rows=rows, channel="import")
    assert isinstance(outcomes[0], NewWorker)
    assert Worker.objects.filter(pk=outcomes[0].pk).exists()
    assert isinstance(outcomes[1], Conflict) and outcomes[1].code == "nik_registered"
    assert AuditEvent.objects.filter(action="registry.worker_registered", actor_label="bulk").count() == 1


def test_welcome_messages_are_sent_after_commit_when_asked(population, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        workers_register_many(
            actor=Actor.system("test"), rows=[registration_input(), registration_input()], channel="import"
        )
    assert callbacks == []
    clear_outbox()
    rows = [registration_input(), registration_input(nik="1"), registration_input()]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = workers_register_many(actor=Actor.system("test"), rows=rows, channel="import", welcome=True)
    welcomed = sorted(m.to for m in outbox if m.purpose == "welcome")
    assert welcomed == sorted(w.phone for w in outcomes if isinstance(w, NewWorker))
    assert len(welcomed) == 2


def _statements(size: int) -> int:
    rows = []
    for index in range(size):
        # Some rows share a phone or a NIK, some are invalid, some have heirs: every bulk path runs.
        phone = "+6281355550000" if index % 4 == 0 else ""
        data = registration_input(**({"phone": phone} if phone else {}), heirs=[heir_input()] if index % 3 else [])
        if index % 5 == 4:
            data = dataclasses.replace(data, postal_code="1")
        rows.append(data)
    rows.append(dataclasses.replace(registration_input(), nik=rows[0].nik))
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        outcomes = workers_register_many(actor=Actor.system("test"), rows=rows, channel="import")
        transaction.set_rollback(True)
    assert sum(isinstance(o, NewWorker) for o in outcomes) == size - size // 5
    return len(captured.captured_queries)


def test_statements_per_batch_do_not_grow_with_its_rows(population) -> None:
    small, large = _statements(10), _statements(100)
    # SQLite splits a bulk INSERT into chunks of 999 parameters; PostgreSQL sends one.
    assert large - small <= (6 if connection.vendor == "sqlite" else 0)
    assert small <= 20


def test_an_import_reads_each_reference_row_once(population, branch) -> None:
    """``BatchLookups(earlier=…)``: the next batch reads only the villages and NIK regions not seen yet."""
    first = services.BatchLookups([registration_input(), registration_input(village_code="33.22.01.2001")])
    assert first.village("33.74.01.1001") is not None and first.region_known("33.74")
    same_places = [registration_input(), registration_input(village_code="33.22.01.2001")]
    with CaptureQueriesContext(connection) as captured:
        again = services.BatchLookups(same_places, earlier=first)
    assert captured.captured_queries == []
    assert again.village("33.74.01.1001") is first.village("33.74.01.1001")
    assert again.default_branch(again.villages["33.74.01.1001"]) == branch

    with CaptureQueriesContext(connection) as captured:
        later = services.BatchLookups([registration_input(village_code="94.01.01.1001")], earlier=again)
    assert captured.captured_queries  # a new village and NIK region: read once
    assert later.village("94.01.01.1001") is not None and later.region_known("94.01")
    assert later.village("33.74.01.1001") is first.village("33.74.01.1001")
    services.BatchLookups([registration_input(village_code="99.99.99.9999")], earlier=later)
    with CaptureQueriesContext(connection) as captured:
        unknown = services.BatchLookups([registration_input(village_code="99.99.99.9999")], earlier=later)
    assert captured.captured_queries == []  # an unknown village (and NIK region) is asked about once
    assert unknown.village("99.99.99.9999") is None and not unknown.region_known("99.99")


def test_the_batch_writes_every_column_of_a_worker() -> None:
    """A field added to Worker must be added to the batch's columns too (it writes values, not instances)."""
    written = {"id", *services.WORKER_COLUMNS}
    left_to_the_database = {"merged_into_id"}  # NULL for every new member
    assert written | left_to_the_database == {f.attname for f in Worker._meta.concrete_fields}
    assert len(services.WORKER_COLUMNS) == len(set(services.WORKER_COLUMNS))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel imports and their sweep: PostgreSQL only")
def test_the_sweep_queues_the_pairs_two_transactions_could_not_see(population) -> None:
    first = worker_create(phone="+6281277770001")
    second = worker_create(phone="+6281277770001")
    apart = worker_create(phone="+6281277770002")
    outsider = worker_create(phone="+6281277770002")
    mine = Worker.objects.filter(pk__in=[first.pk, second.pk, apart.pk])
    # As if each pair had been written at the same moment by two transactions: nothing queued yet.
    PossibleDuplicate.objects.filter(worker__in=[second, outsider]).delete()

    assert services.duplicates_queue_among(mine) == 1
    queued = PossibleDuplicate.objects.get(worker=second)
    assert (queued.other_id, queued.reason, queued.status) == (first.pk, "phone", "open")
    # Only keys two of the given records share: "apart" shares its phone with someone outside them.
    assert not PossibleDuplicate.objects.filter(worker__in=[apart, outsider]).exists()
    assert services.duplicates_queue_among(mine) == 0  # a second sweep changes nothing

    # A pair the later transaction did see (queued the other way round) is not queued again.
    queued.delete()
    PossibleDuplicate.objects.create(worker=first, other=second, reason="phone")
    assert services.duplicates_queue_among(mine) == 0
    assert PossibleDuplicate.objects.filter(worker__in=[first, second], reason="phone").count() == 1
