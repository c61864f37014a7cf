"""The parsing layer alone: headers, encodings, delimiters, dates, numbers-as-NIK."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from rangkul.partners.importing import parse
from rangkul.partners.importing.parse import (
    NIK_AS_NUMBER,
    ImportFileError,
    open_source,
    parse_bool,
    parse_date,
    parse_income,
    parse_nik,
    parse_phone,
    parse_row,
    parse_sex,
    parse_village,
)
from rangkul.partners.tests.conftest import HEADER, good_row, write_csv


def _rows(path: Path) -> list[parse.RawRow]:
    return list(open_source(path).rows)


@pytest.mark.parametrize(
    "header",
    [
        ["nik", "full_name", "birth_date", "sex", "phone", "village_code", "occupation", "declared_income_idr", "jht"],
        ["No KTP", "Nama", "Tgl Lahir", "Jenis Kelamin", "No HP", "Kode Desa", "Pekerjaan", "Penghasilan", "JHT"],
        [
            "nomor_induk_kependudukan",
            "NAMA LENGKAP",
            "tgl. lahir",
            "jenis_kelamin",
            "Nomor HP",
            "KODE DESA",
            "pekerjaan",
            "penghasilan",
            "jht",
        ],
        [
            " No. KTP ",
            "Nama  Lengkap",
            "Tanggal-Lahir",
            "Jenis kelamin",
            "nomor hp",
            "kode desa",
            "Pekerjaan",
            "Penghasilan",
            "Ikut JHT",
        ],
    ],
)
def test_header_aliases_map_to_the_same_fields(tmp_path: Path, header: list[str]) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1)], header=header)
    source = open_source(path)
    assert set(source.columns) == (set(parse.REQUIRED_FIELDS) - {"village"}) | {"village_code", "jht"}
    [row] = list(source.rows)
    assert row.values["nik"] == "3374011708900001"
    assert row.values["jht"] == "ya"


def test_missing_column_is_a_file_error_naming_it(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Kode Desa"]
    path = write_csv(tmp_path / "a.csv", [good_row(1)[:5] + good_row(1)[6:]], header=header)
    with pytest.raises(ImportFileError) as caught:
        open_source(path)
    assert "Kode Desa" in str(caught.value.message)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
)
def test_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1, **{"Nama Lengkap": "Désirée Ñoño"})], encoding=encoding)
    path.write_bytes(prefix + path.read_bytes())
    [row] = _rows(path)
    assert row.values["full_name"] == "Désirée Ñoño"
    assert parse.detect_encoding(path) == ("utf-8-sig" if prefix else encoding)


def test_semicolon_blank_lines_and_stray_spaces(tmp_path: Path) -> None:
    text = (
        "\r\n"
        " NIK ; Nama Lengkap ;Tanggal Lahir;Jenis Kelamin;Nomor HP;Kode Desa;Pekerjaan;Penghasilan;JHT\r\n"
        "  3374011708900001 ;  Budi Santoso ; 17/08/1990 ; L ; 081200000001 ; 33.74.01.1001 ; pedagang ; "
        "1500000 ; ya \r\n"
        "\r\n"
        ";;;;;;;;\r\n"
        "3374011708900002;Ani;17/08/1990;L;081200000002;33.74.01.1001;pedagang;1500000;tidak\r\n"
    )
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8")
    rows = _rows(path)
    assert [r.number for r in rows] == [3, 6]  # blank lines skipped, numbers still those of the file
    assert rows[0].values["nik"] == "3374011708900001"
    assert rows[0].values["full_name"] == "Budi Santoso"
    assert rows[0].values["jht"] == "ya"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17/08/1990", dt.date(1990, 8, 17)),
        ("7/8/1990", dt.date(1990, 8, 7)),
        ("17-08-1990", dt.date(1990, 8, 17)),
        ("1990-08-17", dt.date(1990, 8, 17)),
        ("1990-08-17 00:00:00", dt.date(1990, 8, 17)),
        ("33102", dt.date(1990, 8, 17)),
        (33102, dt.date(1990, 8, 17)),
        (33102.0, dt.date(1990, 8, 17)),
        (dt.datetime(1990, 8, 17, 0, 0), dt.date(1990, 8, 17)),  # noqa: DTZ001 — a spreadsheet cell has no zone
        (dt.date(1990, 8, 17), dt.date(1990, 8, 17)),
    ],
)
def test_dates(value: object, expected: dt.date) -> None:
    assert parse_date(value) == (expected, None)


@pytest.mark.parametrize("value", ["17 Agustusan 1990", "1990/17/08", "31/02/1990", "08-17-1990x", "31 Februari 1990"])
def test_unreadable_dates_say_how_to_write_them(value: str) -> None:
    parsed, problem = parse_date(value)
    assert parsed is None
    assert "DD/MM/YYYY" in str(problem)


@pytest.mark.parametrize(
    "value", [3374011708900001, 3374011708900001.0, 3.37401e15, "3.37401E+15", "3,37401E+15", "3374011708900001.0"]
)
def test_nik_turned_into_a_number_is_rejected_not_repaired(value: object) -> None:
    assert parse_nik(value) == ("", NIK_AS_NUMBER)


def test_nik_as_text_passes_through_for_the_registry() -> None:
    assert parse_nik(" 3374011708900001 ") == ("3374011708900001", None)
    assert parse_nik("'3374011708900001") == ("3374011708900001", None)
    assert parse_nik("12345") == ("12345", None)  # the registry says what is wrong with it


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("L", "M"),
        ("Laki-laki", "M"),
        ("laki laki", "M"),
        ("M", "M"),
        ("P", "F"),
        ("Perempuan", "F"),
        ("wanita", "F"),
        ("F", "F"),
        ("X", "X"),
    ],
)
def test_sex_words(value: str, expected: str) -> None:
    assert parse_sex(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ya", True),
        ("Y", True),
        ("true", True),
        ("1", True),
        (1, True),
        (True, True),
        ("tidak", False),
        ("N", False),
        ("false", False),
        ("0", False),
        ("", False),
        (None, False),
    ],
)
def test_jht_words(value: object, expected: bool) -> None:
    assert parse_bool(value) == (expected, None)


def test_jht_nonsense_is_a_problem() -> None:
    assert parse_bool("mungkin")[0] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1500000", 1500000),
        ("1.500.000", 1500000),
        ("1,500,000", 1500000),
        ("Rp 1.500.000", 1500000),
        ("Rp1.500.000,00", 1500000),
        ("1.500.000,50", None),
        ("1500000,00", 1500000),
        (1500000, 1500000),
        (1500000.0, 1500000),
        ("satu juta", None),
    ],
)
def test_income(value: object, expected: int | None) -> None:
    assert parse_income(value)[0] == expected


def test_phone_and_village_cells() -> None:
    assert parse_phone(81234567890) == "081234567890"
    assert parse_phone(6281234567890.0) == "+6281234567890"
    assert parse_phone("'081234567890") == "081234567890"
    assert parse_village("3374011001") == "33.74.01.1001"
    assert parse_village("33.74.01.1001") == "33.74.01.1001"


def test_occupation_by_name_or_code() -> None:
    raw = parse.RawRow(number=2, values=dict(zip(parse.REQUIRED_FIELDS, ["x"] * 8, strict=True)))
    raw.values["occupation"] = "Ojek Online"
    row = parse_row(raw, occupations={"ojekonline": "ojek_online"})
    assert row.data["occupation_code"] == "ojek_online"


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([None] * len(HEADER))  # a blank row, skipped
    sheet.append(
        [
            "3374011708900001",
            "Budi",
            dt.datetime(1990, 8, 17),  # noqa: DTZ001
            "L",
            "081200000001",
            "33.74.01.1001",
            "pedagang",
            1500000,
            "ya",
        ]
    )
    sheet.append([3374011708900002, "Numeric NIK", 33102, "L", 81200000002, "33.74.01.1001", "pedagang", 1500000, 1])
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    source = open_source(path)
    assert source.format == "xlsx"
    first, second = list(source.rows)
    assert (first.number, second.number) == (3, 4)
    assert isinstance(first.values["birth_date"], dt.datetime)
    assert parse_row(first, occupations={}).problems == []
    problems = parse_row(second, occupations={}).problems
    assert [(p.field, p.message) for p in problems] == [("nik", NIK_AS_NUMBER)]


def test_old_xls_and_garbage_are_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    with pytest.raises(ImportFileError):
        open_source(path)
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError):
        open_source(path)


def test_templates_read_back_as_valid_files(tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes(parse.template_csv())
    xlsx_path = tmp_path / "t.xlsx"
    xlsx_path.write_bytes(parse.template_xlsx())
    for path in (csv_path, xlsx_path):
        source = open_source(path)
        [row] = list(source.rows)
        assert row.values["nik"] == "3374015708900001"
        assert source.columns["full_name"] == "Nama Lengkap"
    assert io.BytesIO(parse.template_csv()).read(3) == b"\xef\xbb\xbf"
