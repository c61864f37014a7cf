"""Spreadsheets as partner clerks make them: title rows, merged cells, hints in headers, village names,
second sheets, footers, NIKs a spreadsheet shortened, and one report with every problem of a row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from rangkul.partners.importing.parse import niks_shortened, open_source
from rangkul.partners.models import ImportStatus, Membership
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.partners.tests.test_import import msg, outcomes, run
from rangkul.regions.models import Village
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db

CLERK_HEADER = [
    "No.",
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir (DD/MM/YYYY)",
    "Jenis Kelamin (L/P)",
    "No. HP/WA",
    "Kelurahan/Desa",
    "Kecamatan",
    "Pekerjaan",
    "Penghasilan (Rp)",
    "JHT",
]


def clerk_row(serial: int, **overrides: Any) -> list[Any]:
    """A member as a clerk writes them: born 10 March 1969 (the NIK says so), village by name."""
    row: dict[str, Any] = {
        "No.": serial,
        "NIK": f"337401100369{serial:04d}",
        "Nama Lengkap": f"Sri Wahyuni {chr(65 + serial % 26)}",
        "Tanggal Lahir (DD/MM/YYYY)": "10 Maret 1969",
        "Jenis Kelamin (L/P)": "L",
        "No. HP/WA": f"0813{serial:08d}",
        "Kelurahan/Desa": "Miroto",
        "Kecamatan": "Semarang Tengah",
        "Pekerjaan": "Petani/Pekebun",
        "Penghasilan (Rp)": "1,5 juta",
        "JHT": "Ya",
    }
    row.update(overrides)
    return [row[name] for name in CLERK_HEADER]


def clerk_workbook(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    header: list[str] = CLERK_HEADER,
    first_sheet: str | None = None,
    footer: bool = True,
) -> Path:
    """Title rows merged across the sheet, a blank line, the header in row 4, a signature footer."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if first_sheet is not None:
        sheet.title = first_sheet
        sheet["A1"] = "Petunjuk pengisian: tulis NIK sebagai teks."
        sheet = workbook.create_sheet("Data Anggota")
    sheet.append(["DAFTAR ANGGOTA KOPERASI MAJU"])
    sheet.append(["Periode Desember 2026"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    if footer:
        last = len(rows) + 4
        sheet.append([last - 3])  # numbered but otherwise empty
        sheet.append([last - 2])
        sheet.append([])
        sheet.append([None, None, "Semarang, 1 Desember 2026"])
        sheet.append([None, None, "Mengetahui,"])
        sheet.append([None, None, "Ketua Koperasi", None, None, None, None, None, "Bendahara"])
        sheet.append([None, None, "(Budi Hartono)"])
    workbook.save(path)
    return path


@pytest.fixture
def semarang_partner(organisation):
    organisation.region_id = "33.74"
    organisation.save(update_fields=["region"])
    return organisation


# ---------------------------------------------------------------- 16.9: real layouts


def test_a_clerks_workbook_imports_as_people_read_it(tmp_path, semarang_partner) -> None:
    rows = [
        clerk_row(1),
        clerk_row(2, **{"Penghasilan (Rp)": "Rp1.500.000,-", "Pekerjaan": "Wiraswasta"}),
        clerk_row(3, **{"Penghasilan (Rp)": "2 jt", "Pekerjaan": "Nelayan"}),
    ]
    path = clerk_workbook(tmp_path / "koperasi.xlsx", rows, first_sheet="Petunjuk")
    job = run(path, semarang_partner)
    assert job.status == ImportStatus.COMPLETED
    # The footer, the signature block and the numbered empty rows are not members.
    assert job.summary() == {"rows": 3, "imported": 2, "rejected": 1, "duplicates": 0}
    assert (job.sheet_name, job.header_row) == ("Data Anggota", 4)
    first = Worker.objects.get(phone="+6281300000001")
    assert first.village_id == "33.74.01.1001"
    assert first.occupation.code == "petani"
    assert first.declared_income_idr == 1_500_000
    assert str(first.birth_date) == "1969-03-10"
    assert Worker.objects.get(phone="+6281300000003").declared_income_idr == 2_000_000
    # "Wiraswasta" names no trade: explained with the valid names, in the file's own column name.
    [(outcome, column, message)] = outcomes(job)[6]
    assert (outcome, column) == ("rejected", "Pekerjaan")
    assert "Wiraswasta" in message and "Pedagang" in message and "Petani" in message
    assert Membership.objects.filter(organisation=semarang_partner).count() == 2


def test_merged_cells_give_their_value_to_every_row_they_cover(tmp_path, semarang_partner) -> None:
    rows = [clerk_row(n, Kecamatan=None, **{"Kelurahan/Desa": None}) for n in (1, 2, 3)]
    rows[0][6], rows[0][7] = "Brumbungan", "Semarang Tengah"
    path = clerk_workbook(tmp_path / "merged.xlsx", rows, footer=False)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    sheet.merge_cells("G5:G7")  # one village written once for three members
    sheet.merge_cells("H5:H7")
    workbook.save(path)
    job = run(path, semarang_partner)
    assert job.imported == 3
    assert set(Worker.objects.values_list("village_id", flat=True)) == {"33.74.01.1002"}


def test_village_names_are_matched_within_the_partners_region(tmp_path, semarang_partner) -> None:
    # A second "Miroto" in another district of the same city makes the name ambiguous without a district.
    Village.objects.create(code="33.74.02.1009", name="MIROTO", district_id="33.74.02")
    rows = [
        clerk_row(1, Kecamatan=""),
        clerk_row(2, Kecamatan="Semarang Utara"),
        clerk_row(3, **{"Kelurahan/Desa": "Kel. Miroto"}),
        clerk_row(4, **{"Kelurahan/Desa": "Kopeng", "Kecamatan": "Getasan"}),  # Kab. Semarang: not this partner's
    ]
    job = run(clerk_workbook(tmp_path / "desa.xlsx", rows), semarang_partner)
    found = outcomes(job)
    [(outcome, column, message)] = found[5]
    assert (outcome, column) == ("rejected", "Kelurahan/Desa")
    assert "33.74.01.1001" in message and "33.74.02.1009" in message  # the candidates, with their codes
    assert found[6] == [("imported", "", "")]
    assert Worker.objects.get(phone="+6281300000002").village_id == "33.74.02.1009"
    assert found[7] == [("imported", "", "")]
    [(outcome, column, message)] = found[8]
    assert (outcome, column) == ("rejected", "Kelurahan/Desa")
    assert "KOTA SEMARANG" in message


def test_header_hints_are_understood(tmp_path) -> None:
    header = ["NIK", "Nama", "Tgl. Lahir (dd-mm-yyyy)", "L/P", "No HP / WA", "Kode Desa", "Pekerjaan", "Upah (Rp)"]
    path = write_csv(tmp_path / "a.csv", [], header=header)
    source = open_source(path)
    assert set(source.columns) == {
        "nik",
        "full_name",
        "birth_date",
        "sex",
        "phone",
        "village_code",
        "occupation",
        "declared_income_idr",
    }


def test_a_csv_header_below_title_lines(tmp_path, organisation) -> None:
    path = tmp_path / "a.csv"
    header = ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Nomor HP", "Kode Desa", "Pekerjaan"]
    lines = ["Daftar Anggota;;;", "Koperasi Maju;;;", ";;;", ";".join([*header, "Penghasilan", "JHT"])]
    lines += [";".join(good_row(n)) for n in (1, 2)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    job = run(path, organisation)
    assert job.summary() == {"rows": 2, "imported": 2, "rejected": 0, "duplicates": 0}
    assert job.header_row == 4
    assert sorted(outcomes(job)) == [5, 6]


# ---------------------------------------------------------------- 16.10: one report per row, clear file messages


def test_every_problem_of_a_row_is_reported_at_once(tmp_path, organisation) -> None:
    bad = good_row(
        1,
        **{"Tanggal Lahir": "32/13/1990", "Nomor HP": "12", "Kode Desa": "99.99.99.9999", "Nama Lengkap": "Budi 2"},
    )
    job = run(write_csv(tmp_path / "a.csv", [bad]), organisation)
    columns = [column for _outcome, column, _message in outcomes(job)[2]]
    assert columns == ["Nama Lengkap", "Tanggal Lahir", "Nomor HP", "Kode Desa"]
    assert job.rejected == 1


def test_a_missing_header_is_explained_once(tmp_path, organisation) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Daftar;Anggota\r\n1;Budi;17/08/1990\r\n2;Siti;01/01/1980\r\n", encoding="utf-8")
    job = run(path, organisation)
    assert job.status == ImportStatus.FAILED
    assert "20" in job.error
    assert "Kode Pos" not in job.error and "Penghasilan" not in job.error  # not a list of every column


def test_a_workbook_without_the_list_names_the_sheet(tmp_path, organisation) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Rekap"
    sheet.append(["Jumlah anggota", 12])
    path = tmp_path / "rekap.xlsx"
    workbook.save(path)
    job = run(path, organisation)
    assert job.status == ImportStatus.FAILED
    assert "Rekap" in job.error


def test_a_header_missing_one_column_names_that_column(tmp_path, organisation) -> None:
    header = ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Nomor HP", "Kode Desa", "Pekerjaan", "JHT"]
    job = run(write_csv(tmp_path / "a.csv", [good_row(1)[:6] + good_row(1)[7:]], header=header), organisation)
    assert job.status == ImportStatus.FAILED
    assert "Penghasilan" in job.error and "NIK" not in job.error.split(":")[-1]


# ---------------------------------------------------------------- 16.11: NIKs a spreadsheet shortened


def test_niks_shortened_by_a_number_column_refuse_the_file(tmp_path, organisation) -> None:
    # Excel keeps 15 digits: the 16th of every NIK became 0, then the column was saved as text.
    rows = [good_row(n, NIK=f"337401170890{n:03d}0") for n in range(1, 9)]
    job = run(write_csv(tmp_path / "a.csv", rows), organisation, batch_size=1000)
    assert job.status == ImportStatus.FAILED
    assert "0" in job.error and "NIK" in job.error
    assert job.imported == 0
    assert not Worker.objects.exists()


def test_numeric_nik_cells_in_an_xlsx_refuse_the_file(tmp_path, organisation) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Nomor HP", "Kode Desa", "Pekerjaan"])
    sheet["H1"], sheet["I1"] = "Penghasilan", "JHT"
    for n in range(1, 7):
        row = good_row(n)
        sheet.append([float(f"337401170890{n:03d}0"), *row[1:]])
        sheet.cell(row=n + 1, column=1).number_format = "0"
    path = tmp_path / "angka.xlsx"
    workbook.save(path)
    job = run(path, organisation, batch_size=1000)
    assert job.status == ImportStatus.FAILED
    assert not Worker.objects.exists()


def test_a_few_niks_ending_in_zero_are_normal(tmp_path, organisation) -> None:
    rows = [good_row(n) for n in range(1, 21)]  # serials 10 and 20 end in 0, as one NIK in ten does
    job = run(write_csv(tmp_path / "a.csv", rows), organisation, batch_size=1000)
    assert job.status == ImportStatus.COMPLETED
    assert job.imported == 20


def test_the_check_needs_enough_niks_and_a_majority() -> None:
    from rangkul.partners.importing.parse import RawRow

    def rows(niks: list[Any]) -> list[RawRow]:
        return [RawRow(number=n, values={"nik": nik}) for n, nik in enumerate(niks, start=2)]

    assert niks_shortened(rows(["3374011708900010"] * 4)) is None  # too few to say
    assert niks_shortened(rows(["3374011708900010"] * 3 + ["3374011708900011"] * 2)) is not None
    assert niks_shortened(rows(["3374011708900010"] * 2 + ["3374011708900011"] * 3)) is None
    assert niks_shortened(rows([3.37401170890001e15] * 5)) is not None
    assert msg("NIK")  # the message is translated with the rest of the file's messages
