from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.core.crypto import lookup_hash, unseal
from rangkul.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rangkul.messaging.backends.locmem import clear as clear_outbox
from rangkul.messaging.backends.locmem import outbox
from rangkul.registry import services
from rangkul.registry.dukcapil import DevelopmentDukcapil, DukcapilResult, dukcapil_backend
from rangkul.registry.eligibility import RegistrationRules, registration_rules
from rangkul.registry.membership import membership_number_is_valid
from rangkul.registry.models import Heir, Occupation, PossibleDuplicate, Worker
from rangkul.registry.selectors import worker_find_by_nik
from rangkul.registry.services import registration as registration_services
from rangkul.registry.tests.factories import heir_input, make_nik, registration_input, worker_create

pytestmark = pytest.mark.django_db


def fields_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.fields


def test_occupation_catalogue_is_seeded_with_sectors():
    codes = dict(Occupation.objects.values_list("code", "sector"))
    for code in [
        "pedagang", "ojek_online", "ojek_pangkalan", "sopir", "kurir", "petani", "buruh_tani", "nelayan",
        "peternak", "pengrajin", "buruh_harian_lepas", "tukang_parkir", "asisten_rumah_tangga", "seniman",
    ]:  # fmt: skip
        assert code in codes
    assert {c for c, s in codes.items() if s == "transport"} >= {"ojek_online", "ojek_pangkalan", "sopir", "kurir"}
    assert codes["petani"] == "non_transport"
    assert len(codes) >= 24


def test_register_stores_a_sealed_nik_and_a_check_digit_number(regions, django_capture_on_commit_callbacks, caplog):
    clear_outbox()
    data = registration_input(full_name="  siti   RAHAYU ", sex="F", phone="0812 3456 7890", jht=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        worker = services.worker_register(actor=Actor.system("test"), data=data, channel="portal", phone_verified=True)
    assert membership_number_is_valid(worker.membership_number)
    assert worker.full_name == "Siti Rahayu"
    assert worker.name_normalized == "siti rahayu"
    assert worker.phone == "+6281234567890"
    assert worker.phone_verified_at is not None
    assert worker.nik_sealed != data.nik and unseal(worker.nik_sealed) == data.nik
    assert worker.nik_hash == lookup_hash(data.nik)
    assert worker.branch is None  # no branch office serves 33.74 in this test
    assert worker_find_by_nik(nik=data.nik) == worker
    event = AuditEvent.objects.get(action="registry.worker_registered", subject_id=str(worker.pk))
    assert event.after["nik"] == data.nik[:4] + " •••• •••• ••••"
    assert event.after["phone"] != "+6281234567890"
    assert len(callbacks) == 2  # the welcome task, then the SMS it queues
    welcome = [m for m in outbox if m.purpose == "welcome"]
    assert [m.to for m in welcome] == ["+6281234567890"]
    assert worker.membership_number in welcome[0].body and data.nik not in welcome[0].body
    assert "+6281234567890" not in caplog.text and data.nik not in caplog.text


def test_register_picks_the_branch_serving_the_village(branch):
    worker = worker_create()
    assert worker.branch == branch


def test_all_field_errors_are_reported_at_once(regions):
    data = registration_input(
        nik="12345",
        full_name=" ",
        sex="X",
        phone="021 888 1234",
        village_code="99.99.99.9999",
        occupation_code="astronaut",
        second_occupation_code="pedagang",
        declared_income_idr=999_999,
        payment_period_months=13,
        email="not-an-email",
        postal_code="5012",
    )
    data = dataclasses.replace(data, occupation_code="pedagang")
    with pytest.raises(ValidationFailed) as excinfo:
        services.worker_register(actor=Actor.system("test"), data=data, channel="office")
    assert set(fields_of(excinfo)) == {
        "nik", "full_name", "sex", "phone", "village_code", "second_occupation", "declared_income_idr",
        "payment_period_months", "email", "postal_code",
    }  # fmt: skip
    assert excinfo.value.status == 422
    assert not Worker.objects.exists()


def test_dob_and_sex_mismatch_are_named(regions):
    nik = make_nik(birth_date=dt.date(1990, 5, 17), sex="M")
    data = registration_input(nik=nik, birth_date=dt.date(1990, 5, 18), sex="F")
    with pytest.raises(ValidationFailed) as excinfo:
        services.worker_register(actor=Actor.system("test"), data=data, channel="office")
    assert fields_of(excinfo) == {
        "birth_date": ["Tanggal lahir tidak sesuai dengan NIK."],
        "sex": ["Jenis kelamin tidak sesuai dengan NIK."],
    }


def test_women_register_with_day_plus_forty(regions):
    birth = dt.date(1985, 3, 9)
    nik = make_nik(birth_date=birth, sex="F")
    assert nik[6:8] == "49"
    worker = services.worker_register(
        actor=Actor.system("test"), data=registration_input(nik=nik, birth_date=birth, sex="F"), channel="office"
    )
    assert worker.sex == "F"


def test_over_age_is_refused(regions):
    with pytest.raises(ValidationFailed) as excinfo:
        worker_create(birth_date=dt.date(1950, 1, 1))
    assert list(fields_of(excinfo)) == ["birth_date"]
    assert "di bawah 65 tahun" in fields_of(excinfo)["birth_date"][0]


def test_registration_limits_are_read_from_the_rule_book(regions):
    # One home for each rule: the rule table in force (bpu-2024-01), not a setting or a constant.
    assert registration_rules(timezone.localdate()) == RegistrationRules(
        min_age=0, max_age=65, lowest_income_idr=1_000_000
    )


def test_minimum_declared_income_is_one_million(regions):
    with pytest.raises(ValidationFailed) as excinfo:
        worker_create(declared_income_idr=999_999)
    assert list(fields_of(excinfo)) == ["declared_income_idr"]
    assert worker_create(declared_income_idr=1_000_000).declared_income_idr == 1_000_000


def test_unknown_region_prefix_is_stored_as_a_warning(regions):
    nik = make_nik(district="35.78.01")
    worker = worker_create(nik=nik)
    assert worker.identity_warnings == ["nik_region_unknown"]


def test_duplicate_nik_is_a_conflict_that_reveals_nothing(regions):
    first = worker_create(full_name="Agus Salim")
    data = registration_input(nik=unseal(first.nik_sealed), full_name="Orang Lain")
    with pytest.raises(Conflict) as excinfo:
        services.worker_register(actor=Actor.system("test"), data=data, channel="api")
    error = excinfo.value
    assert error.code == "nik_registered"
    assert str(error.message) == "NIK sudah terdaftar"
    text = str(error.as_dict())
    assert first.membership_number not in text and "Agus" not in text and data.nik not in text
    assert Worker.objects.count() == 1


def test_duplicate_nik_found_by_the_constraint_when_the_precheck_misses(regions, monkeypatch):
    """Two registrations racing past the existence check: the unique hash decides."""
    first = worker_create()
    nik = unseal(first.nik_sealed)
    real_filter = Worker.objects.filter
    calls = {"n": 0}

    def racing_filter(*args, **kwargs):
        if "nik_hash" in kwargs and calls["n"] == 0:
            calls["n"] += 1
            return real_filter(pk=-1)  # as if the other transaction had not committed yet
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Worker.objects, "filter", racing_filter)
    with pytest.raises(Conflict):
        services.worker_register(actor=Actor.system("test"), data=registration_input(nik=nik), channel="api")
    monkeypatch.undo()
    assert Worker.objects.count() == 1


def test_membership_number_collision_is_retried(regions, monkeypatch):
    first = worker_create()
    numbers = iter([first.membership_number, "12345678903"])
    monkeypatch.setattr(registration_services, "membership_number_new", lambda: next(numbers))
    second = worker_create()
    assert second.membership_number == "12345678903"


def test_possible_duplicates_are_queued(regions):
    first = worker_create(full_name="Joko Widodo", birth_date=dt.date(1980, 6, 21))
    second = worker_create(full_name="  JOKO  widodo", birth_date=dt.date(1980, 6, 21))
    third = worker_create(phone=first.phone)
    pairs = set(PossibleDuplicate.objects.values_list("worker_id", "other_id", "reason", "status"))
    assert pairs == {
        (second.pk, first.pk, "name_birth_village", "open"),
        (third.pk, first.pk, "phone", "open"),
    }


def test_an_edit_queues_new_possible_duplicates_but_never_a_pair_twice(regions):
    first = worker_create(full_name="Joko Widodo", birth_date=dt.date(1980, 6, 21))
    second = worker_create(full_name="Joko Widodo", birth_date=dt.date(1980, 6, 21))
    third = worker_create()
    # The second record now also shares the third's phone: one new pair; the name pair stays single.
    services.worker_update(
        actor=Actor.system("test"), worker=second, changes={"phone": third.phone}, reason="Nomor baru"
    )
    # And the first record shares it too: pairs with the second (by phone) and the third.
    services.worker_update(
        actor=Actor.system("test"), worker=first, changes={"phone": third.phone}, reason="Nomor baru"
    )
    expected = sorted(
        [
            (second.pk, first.pk, "name_birth_village"),
            (second.pk, third.pk, "phone"),
            (first.pk, second.pk, "phone"),
            (first.pk, third.pk, "phone"),
        ]
    )
    assert sorted(PossibleDuplicate.objects.values_list("worker_id", "other_id", "reason")) == expected
    # Looking again, from either side of each pair, queues nothing more.
    for worker in (first, second, third):
        assert services.duplicates_detect(worker=worker) == []
    assert sorted(PossibleDuplicate.objects.values_list("worker_id", "other_id", "reason")) == expected


def test_heirs_are_recorded_with_a_sealed_nik(regions):
    heir_nik = make_nik(birth_date=dt.date(2010, 1, 2), sex="F")
    data = registration_input(
        heirs=[
            heir_input(full_name="siti aminah", relationship="spouse"),
            heir_input(full_name="Putri", relationship="child", birth_date=dt.date(2010, 1, 2), nik=heir_nik),
        ]
    )
    worker = services.worker_register(actor=Actor.system("test"), data=data, channel="office")
    heirs = list(worker.heirs.order_by("id"))
    assert [h.full_name for h in heirs] == ["Siti Aminah", "Putri"]
    assert heirs[1].nik_sealed and heir_nik not in heirs[1].nik_sealed
    assert unseal(heirs[1].nik_sealed, purpose="heir_nik") == heir_nik
    assert heirs[1].nik_masked.startswith(heir_nik[:4])


def test_heir_errors_are_reported_per_heir(regions):
    data = registration_input(
        heirs=[heir_input(), heir_input(full_name="", relationship="cousin", nik="123", phone="12")]
    )
    with pytest.raises(ValidationFailed) as excinfo:
        services.worker_register(actor=Actor.system("test"), data=data, channel="office")
    assert set(fields_of(excinfo)) == {"heirs.1.full_name", "heirs.1.relationship", "heirs.1.nik", "heirs.1.phone"}


def test_heir_add_update_remove_are_audited(regions):
    worker = worker_create()
    heir = services.heir_add(actor=Actor.system("test"), worker=worker, data=heir_input(relationship="parent"))
    heir = services.heir_update(
        actor=Actor.system("test"),
        worker=worker,
        heir=heir,
        data=heir_input(full_name="Siti Aminah Putri", relationship="parent"),
    )
    assert heir.full_name == "Siti Aminah Putri"
    other = worker_create()
    with pytest.raises(NotFound):
        services.heir_remove(actor=Actor.system("test"), worker=other, heir=heir)
    services.heir_remove(actor=Actor.system("test"), worker=worker, heir=heir)
    assert not Heir.objects.exists()
    actions = list(
        AuditEvent.objects.filter(subject_id=str(worker.pk), action__startswith="registry.heir").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["registry.heir_added", "registry.heir_removed", "registry.heir_updated"]


def test_update_needs_a_reason_and_keeps_the_nik_rules(regions):
    worker = worker_create()
    with pytest.raises(ValidationFailed) as excinfo:
        services.worker_update(
            actor=Actor.system("test"), worker=worker, changes={"address": "Jl. Pemuda 1"}, reason=" "
        )
    assert list(fields_of(excinfo)) == ["reason"]
    with pytest.raises(ValidationFailed) as excinfo:
        services.worker_update(actor=Actor.system("test"), worker=worker, changes={"sex": "F"}, reason="KTP")
    assert list(fields_of(excinfo)) == ["sex"]
    with pytest.raises(ValidationFailed):
        services.worker_update(
            actor=Actor.system("test"), worker=worker, changes={"nik": "3374011705900001"}, reason="x"
        )


def test_update_audits_masked_before_and_after(regions):
    worker = worker_create(phone="081211112222")
    services.worker_update(
        actor=Actor.system("test"),
        worker=worker,
        changes={"phone": "081233334444", "address": "Jl. Pemuda 1", "village_code": "33.74.02.1001"},
        reason="Pindah alamat",
    )
    worker.refresh_from_db()
    assert worker.phone == "+6281233334444" and worker.phone_verified_at is None
    assert worker.village_id == "33.74.02.1001"
    event = AuditEvent.objects.get(action="registry.worker_updated")
    assert event.reason == "Pindah alamat"
    assert set(event.after) == {"phone", "address", "village_code"}
    assert "+6281233334444" not in str(event.after) and "+6281211112222" not in str(event.before)


def test_change_phone_marks_it_verified(regions):
    worker = worker_create()
    worker = services.worker_change_phone(actor=Actor.system("test"), worker=worker, phone="0857 1234 5678")
    assert worker.phone == "+6285712345678" and worker.phone_verified
    with pytest.raises(ValidationFailed):
        services.worker_change_phone(actor=Actor.system("test"), worker=worker, phone="021 555")


def test_reveal_nik_needs_the_permission_and_is_audited(regions, branch_officer, analyst):
    worker = worker_create()
    with pytest.raises(PermissionDenied):
        services.worker_reveal_nik(actor=Actor.for_user(analyst), worker=worker)
    assert services.worker_reveal_nik(actor=Actor.for_user(branch_officer), worker=worker) == unseal(worker.nik_sealed)
    assert AuditEvent.objects.filter(action="registry.worker_nik_revealed", actor=branch_officer).count() == 1


def test_duplicates_dismiss_and_merge(regions, branch_officer):
    first = worker_create(full_name="Dewi Lestari", birth_date=dt.date(1991, 2, 3))
    second = worker_create(full_name="Dewi Lestari", birth_date=dt.date(1991, 2, 3), phone=first.phone)
    by_reason = {d.reason: d for d in PossibleDuplicate.objects.all()}
    services.duplicate_dismiss(actor=Actor.for_user(branch_officer), duplicate=by_reason["phone"], note="Satu keluarga")
    with pytest.raises(ValidationFailed):
        services.duplicate_merge(
            actor=Actor.for_user(branch_officer), duplicate=by_reason["name_birth_village"], note=""
        )
    services.duplicate_merge(
        actor=Actor.for_user(branch_officer), duplicate=by_reason["name_birth_village"], note="KTP sama"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.merged_into) == ("active", "merged", first)
    with pytest.raises(Conflict):
        services.duplicate_dismiss(actor=Actor.for_user(branch_officer), duplicate=by_reason["phone"])
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "registry.duplicate_dismissed",
        "registry.worker_merged",
    }
    assert Worker.objects.count() == 2


def test_export_contains_all_personal_data_and_history(regions):
    worker = worker_create(heirs=[heir_input()])
    services.worker_update(actor=Actor.system("test"), worker=worker, changes={"address": "Jl. Baru"}, reason="Pindah")
    data = services.worker_export_data(actor=Actor.system("test"), worker=worker)
    assert data["nik"] == unseal(worker.nik_sealed)
    assert data["membership_number"] == worker.membership_number
    assert data["programs"] == ["JKK", "JKM"]
    assert data["heirs"][0]["full_name"] == "Siti Aminah"
    assert [h["action"] for h in data["history"]] == ["registry.worker_registered", "registry.worker_updated"]
    assert AuditEvent.objects.filter(action="registry.worker_data_exported").count() == 1


class RefusingDukcapil:
    def verify(self, *, nik, full_name, birth_date, sex):
        return DukcapilResult(verified=False, mismatched_fields=("full_name",))


def test_dukcapil_backend_is_chosen_by_setting(regions, settings):
    assert isinstance(dukcapil_backend(), DevelopmentDukcapil)
    settings.DUKCAPIL_BACKEND = f"{__name__}.RefusingDukcapil"
    with pytest.raises(ValidationFailed) as excinfo:
        worker_create()
    assert excinfo.value.code == "identity_not_verified" and list(fields_of(excinfo)) == ["nik"]
    assert not Worker.objects.exists()


def test_a_pair_is_queued_once_whichever_record_changes(regions):
    first = worker_create(phone="081355556666")
    second = worker_create(phone="081355556666")
    services.worker_update(
        actor=Actor.system("test"), worker=first, changes={"phone": "081377776666"}, reason="HP baru"
    )
    services.worker_update(
        actor=Actor.system("test"), worker=first, changes={"phone": "081355556666"}, reason="HP lama lagi"
    )
    assert list(PossibleDuplicate.objects.values_list("worker_id", "other_id")) == [(second.pk, first.pk)]


@pytest.mark.django_db(transaction=True)
def test_with_database_tasks_the_welcome_is_queued_in_the_registration_transaction(regions, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    data = registration_input()
    worker = services.worker_register(actor=Actor.system("test"), data=data, channel="portal")
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "rangkul.registry.tasks.worker_send_welcome"
    assert queued.args_kwargs["args"] == [worker.pk]

    def register_then_fail() -> None:
        with transaction.atomic():
            services.worker_register(actor=Actor.system("test"), data=registration_input(), channel="portal")
            raise RuntimeError("a later step of the caller failed")

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert Worker.objects.count() == 1
    assert DBTaskResult.objects.count() == 1  # the rolled-back registration queued no welcome
