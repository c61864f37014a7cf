"""Whole imports through the registry: each messy case's exact outcome, re-runs, crashes, cancel."""

from __future__ import annotations

import datetime as dt
import gc
import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.files import File
from django.core.management import call_command
from django.utils import translation

from rangkul.audit.actors import Actor
from rangkul.core.bulk import BULK_GC_THRESHOLD
from rangkul.core.errors import Conflict, PermissionDenied
from rangkul.core.processes import forked
from rangkul.partners import services
from rangkul.partners.consent import LINKED_PENDING
from rangkul.partners.importing.parse import DATE_WRONG, INCOME_WRONG, NIK_AS_NUMBER
from rangkul.partners.models import ImportJob, ImportRowResult, ImportStatus, Membership, RowOutcome
from rangkul.partners.services import batches, import_job_cancel, import_job_create, import_job_run
from rangkul.partners.tests.conftest import HEADER, good_row, write_csv
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


# The registered person as the `registered` fixture holds them: the same NIK, name and birth date.
SAME_PERSON = {"Nomor HP": "081299999999", "Nama Lengkap": "Sudah Terdaftar"}


def msg(text: str) -> str:
    """A message as the import writes it: in the site's language."""
    with translation.override("id"):
        return str(translation.gettext(text))


def run(path: Path, organisation=None, *, batch_size: int = 3, **options) -> ImportJob:
    with path.open("rb") as handle:
        job, _created = import_job_create(
            actor=Actor.system("test"),
            organisation=organisation,
            upload=File(handle, name=path.name),
            name=path.name,
            **options,
        )
    return import_job_run(job_id=job.pk, batch_size=batch_size, parts_runner=forked)


def outcomes(job: ImportJob) -> dict[int, list[tuple[str, str, str]]]:
    found: dict[int, list[tuple[str, str, str]]] = {}
    for result in ImportRowResult.objects.filter(job=job).order_by("row_number", "pk"):
        found.setdefault(result.row_number, []).append((result.outcome, result.column, result.message))
    return found


def single(job: ImportJob) -> tuple[str, str, str]:
    [[result]] = outcomes(job).values()
    return result


def test_good_rows_are_registered_and_linked(tmp_path, organisation) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(1), good_row(2)]), organisation)
    assert job.status == ImportStatus.COMPLETED
    assert job.summary() == {"rows": 2, "imported": 2, "rejected": 0, "duplicates": 0}
    worker = Worker.objects.get(phone="+6281200000001")
    assert worker.channel == "import"
    assert worker.registered_by_organisation == "kopmaju"
    assert worker.jht is True
    assert worker.phone_verified_at is None
    assert Membership.objects.filter(organisation=organisation, source_import=job).count() == 2


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"Jenis Kelamin": "Laki-laki"}, "imported"),
        ({"Jenis Kelamin": "M"}, "imported"),
        ({"Tanggal Lahir": "17-08-1990"}, "imported"),
        ({"Tanggal Lahir": "1990-08-17"}, "imported"),
        ({"Tanggal Lahir": "33102"}, "imported"),  # Excel serial number
        ({"Penghasilan": "Rp 1.500.000"}, "imported"),
        ({"Pekerjaan": "Ojek Online"}, "imported"),
        ({"JHT": "Y"}, "imported"),
        ({"JHT": "0"}, "imported"),
        ({"Kode Desa": "3374011001"}, "imported"),
        ({"Nomor HP": "+62 812-0000-0001"}, "imported"),
    ],
)
def test_messy_but_readable_values_are_imported(tmp_path, organisation, overrides, expected) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(1, **overrides)]), organisation)
    assert single(job)[0] == expected


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"NIK": "3.37401E+15"}, "NIK", NIK_AS_NUMBER),
        ({"NIK": "3374011708900001.0"}, "NIK", NIK_AS_NUMBER),
        ({"NIK": "337401170890001"}, "NIK", "A NIK has exactly 16 digits."),
        (
            {"NIK": "3374011708900000"},
            "NIK",
            "This is not a valid NIK: the date of birth or serial in it is impossible.",
        ),
        ({"Tanggal Lahir": "18/08/1990"}, "Tanggal Lahir", "The date of birth does not match the NIK."),
        ({"Tanggal Lahir": "17 Agustusan 1990"}, "Tanggal Lahir", str(DATE_WRONG)),
        ({"Jenis Kelamin": "P"}, "Jenis Kelamin", "The sex does not match the NIK."),
        ({"Jenis Kelamin": "X"}, "Jenis Kelamin", "Choose male (M) or female (F)."),
        ({"Nama Lengkap": "Budi 2"}, "Nama Lengkap", "A name cannot contain digits."),
        ({"Nomor HP": "tidak ada"}, "Nomor HP", "This is not a phone number."),
        ({"Nomor HP": "12"}, "Nomor HP", "Write an Indonesian mobile number, e.g. 0812 3456 7890."),
        ({"Nomor HP": "0243580001"}, "Nomor HP", "This is not a mobile number; a verification code is sent by SMS."),
        ({"Kode Desa": "99.99.99.9999"}, "Kode Desa", "This village is not in the region list."),
        ({"Penghasilan": "satu juta"}, "Penghasilan", str(INCOME_WRONG)),
        ({"JHT": "mungkin"}, "JHT", "Write ya or tidak."),
    ],
)
def test_each_bad_value_is_rejected_with_its_message(tmp_path, organisation, overrides, column, message) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(1, **overrides)]), organisation)
    assert single(job) == ("rejected", column, msg(str(message)))
    assert job.summary() == {"rows": 1, "imported": 0, "rejected": 1, "duplicates": 0}
    assert not Worker.objects.exists()


def test_income_below_the_floor_uses_the_registry_rule(tmp_path, organisation) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(1, Penghasilan="500.000")]), organisation)
    outcome, column, message = single(job)
    assert (outcome, column) == ("rejected", "Penghasilan")
    assert "1.000.000" in message


def test_a_row_with_several_problems_lists_each_but_counts_once(tmp_path, organisation) -> None:
    row = good_row(1, **{"Nomor HP": "12", "Kode Desa": "99.99.99.9999", "Pekerjaan": "astronot"})
    job = run(write_csv(tmp_path / "a.csv", [row]), organisation)
    assert sorted(column for _o, column, _m in outcomes(job)[2]) == ["Kode Desa", "Nomor HP", "Pekerjaan"]
    assert job.rejected == 1


def test_the_nik_value_in_the_report_is_masked(tmp_path, organisation) -> None:
    job = run(
        write_csv(tmp_path / "a.csv", [good_row(1, **{"Tanggal Lahir": "18/08/1990"}), good_row(1)]), organisation
    )
    values = list(ImportRowResult.objects.filter(job=job).values_list("value", flat=True))
    assert not any("3374011708900001" in value for value in values)
    duplicate = ImportRowResult.objects.filter(job=job, outcome=RowOutcome.DUPLICATE).first()
    assert duplicate is None  # the first row was rejected, so the second one is a new registration
    assert job.imported == 1


def test_same_person_twice_in_one_file(tmp_path, organisation) -> None:
    job = run(
        write_csv(tmp_path / "a.csv", [good_row(1), good_row(2), good_row(1, **{"Nomor HP": "081277777777"})]),
        organisation,
    )
    assert job.summary() == {"rows": 3, "imported": 2, "rejected": 0, "duplicates": 1}
    assert outcomes(job)[4] == [
        ("duplicate", "NIK", msg("The same person (same NIK) is already in row %(row)s of this file.") % {"row": 2})
    ]
    assert Worker.objects.count() == 2


def test_same_person_twice_across_batches(tmp_path, organisation) -> None:
    rows = [good_row(n) for n in range(1, 6)] + [good_row(1)]
    job = run(write_csv(tmp_path / "a.csv", rows), organisation, batch_size=2)
    assert outcomes(job)[7][0][2] == msg("The same person (same NIK) is already in row %(row)s of this file.") % {
        "row": 2
    }


def test_already_registered_people_are_linked_not_recreated(tmp_path, organisation, registered) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(99, **SAME_PERSON)]), organisation)
    assert job.summary() == {"rows": 1, "imported": 0, "rejected": 0, "duplicates": 1}
    assert single(job) == ("duplicate", "NIK", msg(str(LINKED_PENDING)))
    assert Worker.objects.count() == 1
    membership = Membership.objects.get(organisation=organisation)
    assert membership.worker == registered
    assert membership.consent == "pending"  # registered elsewhere: the member must agree first


def test_a_worker_may_belong_to_several_organisations(tmp_path, organisation, other_organisation) -> None:
    run(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation)
    run(write_csv(tmp_path / "b.csv", [good_row(1), good_row(2)]), other_organisation)
    worker = Worker.objects.get(phone="+6281200000001")
    assert set(Membership.objects.filter(worker=worker).values_list("organisation__code", flat=True)) == {
        "kopmaju",
        "ojolbersatu",
    }


def mixed_rows() -> list[list[str]]:
    return [
        good_row(1),  # 2 imported
        good_row(2, **{"Jenis Kelamin": "Laki-laki", "Tanggal Lahir": "1990-08-17"}),  # 3 imported
        good_row(3, NIK="3.37401E+15"),  # 4 rejected: NIK as number
        ["", "", "", "", "", "", "", "", ""],  # 5 blank, skipped
        good_row(1),  # 6 duplicate of row 2
        good_row(99, **SAME_PERSON),  # 7 already registered
        good_row(4, **{"Kode Desa": "99.99.99.9999"}),  # 8 rejected: village
        good_row(5, **{"Penghasilan": " 2.000.000 ", "Nama Lengkap": "  siti   aminah  "}),  # 9 imported
        good_row(6, **{"Tanggal Lahir": "33102", "JHT": "tidak"}),  # 10 imported
        good_row(7, NIK="337401170890007"),  # 11 rejected: 15 digits
    ]


def test_a_file_mixing_every_case(tmp_path, organisation, registered) -> None:
    path = write_csv(tmp_path / "mixed.csv", mixed_rows(), delimiter=";", encoding="cp1252")
    job = run(path, organisation)
    assert job.summary() == {"rows": 9, "imported": 4, "rejected": 3, "duplicates": 2}
    found = outcomes(job)
    assert {row: [o for o, _c, _m in results] for row, results in found.items()} == {
        2: ["imported"],
        3: ["imported"],
        4: ["rejected"],
        6: ["duplicate"],
        7: ["duplicate"],
        8: ["rejected"],
        9: ["imported"],
        10: ["imported"],
        11: ["rejected"],
    }
    assert found[4][0][2] == str(NIK_AS_NUMBER) or found[4][0][2] == msg(str(NIK_AS_NUMBER))
    assert Worker.objects.get(phone="+6281200000005").full_name == "Siti Aminah"
    assert Worker.objects.get(phone="+6281200000005").declared_income_idr == 2_000_000
    assert Membership.objects.filter(organisation=organisation).count() == 5


def test_running_the_same_file_again_imports_nothing_twice(tmp_path, organisation, registered) -> None:
    path = write_csv(tmp_path / "mixed.csv", mixed_rows())
    first = run(path, organisation)
    second = run(path, organisation)
    assert second.pk == first.pk
    assert second.summary() == first.summary()
    assert Worker.objects.count() == 5
    assert ImportRowResult.objects.filter(job=first).count() == 9


def test_a_crash_mid_import_then_a_rerun_ends_like_one_clean_run(
    tmp_path, organisation, registered, monkeypatch
) -> None:
    rows = mixed_rows()
    path = write_csv(tmp_path / "mixed.csv", rows)
    calls = {"n": 0}

    def crash_in_second_batch(job, batch) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(batches, "_batch_hook", crash_in_second_batch)
    with pytest.raises(RuntimeError):
        run(path, organisation, batch_size=3)
    job = ImportJob.objects.get()
    # The first batch (rows 2-4) committed whole; nothing of the second one did.
    assert (job.processed, job.last_committed_row, job.status) == (3, 4, ImportStatus.RUNNING)
    assert Worker.objects.count() == 3  # 2 imported + the one registered beforehand
    assert sorted(set(ImportRowResult.objects.filter(job=job).values_list("row_number", flat=True))) == [2, 3, 4]

    monkeypatch.setattr(batches, "_batch_hook", lambda job, batch: None)
    resumed = run(path, organisation, batch_size=3)
    assert resumed.pk == job.pk

    # The same final state as one clean run in a fresh organisation of the same data.
    assert resumed.summary() == {"rows": 9, "imported": 4, "rejected": 3, "duplicates": 2}
    assert Worker.objects.count() == 5
    assert ImportRowResult.objects.filter(job=job).count() == 9
    assert outcomes(resumed)[6] == [
        ("duplicate", "NIK", msg("The same person (same NIK) is already in row %(row)s of this file.") % {"row": 2})
    ]
    assert Membership.objects.filter(organisation=organisation).count() == 5


def test_the_command_runs_batches_with_the_collector_relaxed_and_restores_it(
    tmp_path, organisation, monkeypatch
) -> None:
    # The collector is the entry point's choice (ADR 0020): the command relaxes it, the service does not.
    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 5)])
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen: list[tuple[int, bool]] = []
    monkeypatch.setattr(
        batches, "_batch_hook", lambda job, batch: seen.append((gc.get_threshold()[0], gc.get_freeze_count() > frozen))
    )
    out = StringIO()
    call_command("import_workers", str(path), "--partner", organisation.code, "--batch-size", "2", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 4, "imported": 4, "rejected": 0, "duplicates": 0}
    assert seen == [(BULK_GC_THRESHOLD, True), (BULK_GC_THRESHOLD, True)]
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_failed_task_marks_the_job_and_the_same_file_resumes(tmp_path, organisation, monkeypatch) -> None:
    from rangkul.partners.tasks import import_job_process

    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 5)])
    with path.open("rb") as handle:
        job, _ = import_job_create(
            actor=Actor.system("t"), organisation=organisation, upload=File(handle, name="a.csv"), name="a.csv"
        )

    def boom(job, batch) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(batches, "_batch_hook", boom)
    with pytest.raises(RuntimeError):
        import_job_process.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    monkeypatch.setattr(batches, "_batch_hook", lambda job, batch: None)
    again = run(path, organisation)
    assert again.pk == job.pk
    assert again.summary() == {"rows": 4, "imported": 4, "rejected": 0, "duplicates": 0}


def test_cancel_stops_between_batches(tmp_path, organisation, monkeypatch) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 8)])

    def cancel_after_first(job, batch) -> None:
        if job.last_committed_row == 3:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CANCELLED)

    monkeypatch.setattr(batches, "_batch_hook", cancel_after_first)
    job = run(path, organisation, batch_size=2)
    assert job.status == ImportStatus.CANCELLED
    assert job.processed == 2
    with pytest.raises(Conflict):
        import_job_cancel(actor=Actor.system("system"), job=job)


def test_cancel_service(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    with path.open("rb") as handle:
        job, _ = import_job_create(
            actor=Actor.system("t"), organisation=organisation, upload=File(handle, name="a.csv"), name="a.csv"
        )
    job = import_job_cancel(actor=Actor.system("system"), job=job)
    assert job.status == ImportStatus.CANCELLED
    assert import_job_run(job_id=job.pk).processed == 0


def test_skipping_phone_verification_needs_an_attestation(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    with pytest.raises(PermissionDenied):
        run(path, organisation, skip_phone_verification=True)
    services.organisation_set_phone_attestation(actor=Actor.system("system"), organisation=organisation, attests=True)
    organisation.refresh_from_db()
    job = run(path, organisation, skip_phone_verification=True)
    assert job.skip_phone_verification is True
    assert Worker.objects.get().phone_verified_at is not None


def test_xlsx_import_with_date_cells_and_a_numeric_nik(tmp_path, organisation) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    row: list[object] = list(good_row(1))
    row[2] = dt.datetime(1990, 8, 17)  # noqa: DTZ001
    sheet.append(row)
    row = list(good_row(2))
    row[2] = 33102
    sheet.append(row)
    row = list(good_row(3))
    row[0] = 3374011708900003
    sheet.append(row)
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    job = run(path, organisation)
    assert job.summary() == {"rows": 3, "imported": 2, "rejected": 1, "duplicates": 0}
    assert outcomes(job)[4] == [("rejected", "NIK", msg(str(NIK_AS_NUMBER)))]


def test_unreadable_file_fails_the_job_with_a_message(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [["1", "2"]], header=["foo", "bar"])
    job = run(path, organisation)
    assert job.status == ImportStatus.FAILED
    assert "NIK" in job.error


def test_command_prints_the_summary_and_writes_the_report(tmp_path, organisation, registered) -> None:
    path = write_csv(tmp_path / "mixed.csv", mixed_rows())
    out = StringIO()
    # With --sponsorship the command also enrols (rangkul/sponsorships/tests/test_import_enrolment.py).
    call_command("import_workers", str(path), "--partner", "kopmaju", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {
        "rows": 9,
        "imported": 4,
        "rejected": 3,
        "duplicates": 2,
    }
    report = (tmp_path / "mixed.csv.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 1 + 5  # header + 3 rejected + 2 duplicates
    assert report[1].startswith("4;")
    assert "3374011708900001" not in "".join(report)

    out = StringIO()
    call_command("import_workers", str(path), "--partner", "kopmaju", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 9, "imported": 4, "rejected": 3, "duplicates": 2}
    assert Worker.objects.count() == 5


def test_command_without_partner_and_unknown_partner(tmp_path, regions) -> None:
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    out = StringIO()
    call_command("import_workers", str(path), stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 1, "imported": 1, "rejected": 0, "duplicates": 0}
    with pytest.raises(CommandError):
        call_command("import_workers", str(path), "--partner", "nobody", stdout=StringIO())


def test_a_damaged_file_fails_after_the_good_batches(tmp_path, organisation) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 6)])
    path.write_bytes(path.read_bytes() + b'3374011708900009,"' + b"x" * 200_000 + b'"\r\n' + b"\r\n".join([b"a"] * 3))
    job = run(path, organisation, batch_size=2)
    assert job.status == ImportStatus.FAILED
    assert job.imported == 4  # two whole batches committed before the damaged part
    assert "row" in job.error or "baris" in job.error


def test_the_templates_example_row_is_never_registered(tmp_path, organisation) -> None:
    from rangkul.partners.importing.parse import EXAMPLE_ROW, template_csv

    path = tmp_path / "templat.csv"
    path.write_bytes(template_csv())
    job = run(path, organisation)
    assert single(job) == ("rejected", "NIK", msg(str(EXAMPLE_ROW)))
    assert not Worker.objects.exists()


def test_a_registered_person_is_linked_even_if_the_row_would_fail_today(tmp_path, organisation, registered) -> None:
    row = good_row(
        99, **{"Nomor HP": "12", "Penghasilan": "500000", "Nama Lengkap": "Sudah Terdaftar"}
    )  # bad phone, low income
    job = run(write_csv(tmp_path / "a.csv", [row]), organisation)
    assert single(job)[0] == "duplicate"
    assert Membership.objects.get(organisation=organisation).worker == registered
