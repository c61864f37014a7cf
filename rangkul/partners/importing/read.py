"""Opening partners' CSV and XLSX files: encodings, the header row, the sheet, unsafe files.

Real spreadsheets are not the template: the header may sit below title rows, on
another sheet, with hints in the names ("Jenis Kelamin (L/P)"); titles and
headers may be merged cells; rows may be numbered but empty, and a signature
block may close the list. Files may also be hostile or broken: UTF-16, NUL
bytes and control characters, or an XLSX that unpacks to gigabytes. Everything
here runs once per file, or once per cell on a fast path, so that a million-row
file costs no more than before.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Canonical field → accepted header spellings. Headers are compared after
# folding case, accents, spaces and punctuation and dropping hints in brackets,
# so "No. KTP", "no_ktp" and "NO KTP" are one header, and "Jenis Kelamin (L/P)"
# is "Jenis Kelamin". The API's field names are always accepted.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "no ktp", "nomor ktp", "nik ktp", "nomor_induk_kependudukan", "nomor induk kependudukan", "no nik"),
    "full_name": ("full_name", "nama", "nama lengkap", "nama sesuai ktp", "name", "nama peserta", "nama anggota"),
    "birth_date": ("birth_date", "tgl lahir", "tanggal lahir", "tgl. lahir", "date of birth"),
    "sex": ("sex", "jenis kelamin", "jk", "gender", "l/p"),
    "phone": (
        "phone",
        "no hp",
        "nomor hp",
        "no. hp",
        "nomor handphone",
        "no telepon",
        "nomor telepon",
        "hp",
        "no wa",
        "no hp/wa",
        "no hp wa",
        "nomor hp/wa",
        "nomor wa",
        "hp/wa",
        "no telp",
        "telepon",
    ),
    "village_code": ("village_code", "kode desa", "kode desa/kelurahan", "kode kelurahan", "kode wilayah"),
    "village_name": (
        "village",
        "kelurahan/desa",
        "desa/kelurahan",
        "desa",
        "kelurahan",
        "nama desa",
        "nama kelurahan",
        "desa/kel",
        "kel/desa",
    ),
    "district_name": ("district", "kecamatan", "nama kecamatan", "kec"),
    "regency_name": ("regency", "kabupaten/kota", "kota/kabupaten", "kabupaten", "kota", "kab/kota"),
    "occupation": ("occupation", "occupation_code", "pekerjaan", "kode pekerjaan", "jenis pekerjaan"),
    "declared_income_idr": (
        "declared_income_idr",
        "penghasilan",
        "penghasilan per bulan",
        "penghasilan bulanan",
        "pendapatan",
        "pendapatan per bulan",
        "upah",
    ),
    "jht": ("jht", "ikut jht", "program jht", "jaminan hari tua"),
    "email": ("email", "e-mail", "surel"),
    "address": ("address", "alamat", "alamat lengkap"),
    "postal_code": ("postal_code", "kode pos"),
}
# A village is given by its code, or by its name (with the district and regency names when ambiguous).
REQUIRED_FIELDS = ("nik", "full_name", "birth_date", "sex", "phone", "village", "occupation", "declared_income_idr")
# A row that has none of these is not a member: a numbered but empty row, a signature or a note.
IDENTIFYING_FIELDS = ("nik", "birth_date", "phone")
# The headers of the downloadable template, in order (Indonesian, as partners write them).
TEMPLATE_HEADERS = {
    "nik": "NIK",
    "full_name": "Nama Lengkap",
    "birth_date": "Tanggal Lahir",
    "sex": "Jenis Kelamin",
    "phone": "Nomor HP",
    "village_code": "Kode Desa",
    "occupation": "Pekerjaan",
    "declared_income_idr": "Penghasilan",
    "jht": "JHT",
    "email": "Email",
    "address": "Alamat",
    "postal_code": "Kode Pos",
}
_REQUIRED_LABELS = {**TEMPLATE_HEADERS, "village": "Kode Desa / Kelurahan/Desa"}
# The header is looked for in this many rows at the top of each sheet.
HEADER_SEARCH_ROWS = 20
# A row naming at least this many required columns is taken for a header with some columns missing.
_HEADER_MIN_MATCHES = 4
_HINT = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def header_key(value: Any) -> str:
    """Fold a header for comparison: no case, accents, spaces, punctuation or (hints)."""
    text = unicodedata.normalize("NFKD", _HINT.sub("", str(value or "")))
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_ALIAS_INDEX: dict[str, str] = {
    header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}


DAMAGED = _("The file cannot be read from row %(line)s on: it is damaged or not a CSV/XLSX file.")
CONTROL_REMOVED = _("Invisible control characters were removed from this cell.")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not the fault of one row)."""

    def __init__(self, message: Promise | str) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class RawRow:
    number: int  # spreadsheet row number (1 = the first row of the sheet)
    values: dict[str, Any]  # canonical field → cell value (str for CSV; any for XLSX)
    cleaned: tuple[str, ...] = ()  # fields whose control characters were removed


@dataclass
class Source:
    """An open file: its column mapping and an iterator over its data rows."""

    format: str
    columns: dict[str, str]  # canonical field → header as written in the file
    rows: Iterator[RawRow]
    estimated_rows: int
    sheet: str = ""  # the XLSX sheet used
    header_row: int = 1
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- cells


def clean_text(value: str) -> tuple[str, bool]:
    """The text without control characters (NUL, C0/C1, lone surrogates); True when any was removed.

    Tabs and line breaks inside a cell become spaces; non-breaking spaces become plain spaces.
    """
    kept = []
    removed = False
    for ch in value:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\xa0":
            kept.append(" ")
        elif category in {"Cc", "Cs"} or ch in "\ufeff\ufffe\uffff":
            removed = True
        else:
            kept.append(ch)
    return "".join(kept).strip(), removed


def _is_blank(values: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _map_headers(headers: Iterable[Any]) -> tuple[dict[int, str], dict[str, str]]:
    by_index: dict[int, str] = {}
    columns: dict[str, str] = {}
    for index, header in enumerate(headers):
        if header is None:
            continue
        name = _ALIAS_INDEX.get(header_key(header))
        if name and name not in columns:
            by_index[index] = name
            columns[name] = " ".join(str(header).split())[:100]
    return by_index, columns


def _matched(columns: Mapping[str, str]) -> set[str]:
    found = set(columns) & set(REQUIRED_FIELDS)
    if "village_code" in columns or "village_name" in columns:
        found.add("village")
    return found


@dataclass
class _Header:
    row: int  # 1-based row number within the sheet
    by_index: dict[int, str]
    columns: dict[str, str]

    @property
    def score(self) -> int:
        return len(_matched(self.columns))


def _find_header(records: Iterable[Any]) -> _Header | None:
    """The best header among the first rows, or None when no row names enough columns."""
    best: _Header | None = None
    for number, record in enumerate(records, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        if record is None or _is_blank(record):
            continue
        by_index, columns = _map_headers(record)
        candidate = _Header(number, by_index, columns)
        if best is None or candidate.score > best.score:
            best = candidate
            if candidate.score == len(REQUIRED_FIELDS):
                break
    return best if best is not None and best.score >= _HEADER_MIN_MATCHES else None


def _check_header(header: _Header | None, *, sheet: str = "") -> _Header:
    if header is None:
        where = _(" (sheet “%(sheet)s” and every other sheet)") % {"sheet": sheet} if sheet else ""
        raise ImportFileError(
            _(
                "No header row was found in the first %(rows)s rows%(where)s. The header row names the columns "
                "(NIK, Nama Lengkap, Tanggal Lahir, …); title rows above it are fine. Check that the list is on "
                "this sheet and that its header row is not missing or renamed; the template shows the headers."
            )
            % {"rows": HEADER_SEARCH_ROWS, "where": where}
        )
    missing = [name for name in REQUIRED_FIELDS if name not in _matched(header.columns)]
    if missing:
        raise ImportFileError(
            _("The header in row %(row)s has no column for: %(columns)s. Use the template's headers.")
            % {"row": header.row, "columns": ", ".join(str(_REQUIRED_LABELS[name]) for name in missing)}
        )
    return header


_FOOTER = re.compile(
    r"(?i)^\W*(mengetahui|menyetujui|ketua|sekretaris|bendahara|kepala|lurah|camat|ttd|tanda tangan|dibuat|"
    r"disahkan|catatan|keterangan|jumlah|total)\b"
)


def _not_a_member(values: Mapping[str, Any]) -> bool:
    """A row without NIK, birth date or phone that is a footer, a note or a numbered blank line."""
    filled = [value for value in values.values() if value not in (None, "")]
    if len(filled) <= 1:
        return True
    name = values.get("full_name")
    return not name or bool(_FOOTER.match(str(name)))


def _rows(records: Iterator[Any], header: _Header) -> Iterator[RawRow]:
    """Member rows after the header; blank, numbered-but-empty and signature rows are skipped."""
    by_index = tuple(header.by_index.items())
    for number, record in enumerate(records, start=header.row + 1):
        values: dict[str, Any] = {}
        cleaned: list[str] = []
        width = len(record)
        for index, name in by_index:
            value = record[index] if index < width else None
            if type(value) is str:
                if value.isprintable():
                    value = value.strip()
                else:
                    value, removed = clean_text(value)
                    if removed:
                        cleaned.append(name)
            values[name] = value
        if all(values.get(name) in (None, "") for name in IDENTIFYING_FIELDS) and _not_a_member(values):
            continue
        yield RawRow(number=number, values=values, cleaned=tuple(cleaned))


# ---------------------------------------------------------------- CSV

CSV_CHUNK = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-16 when it says so (BOM) or looks so, UTF-8 (with or without BOM) when the file decodes, else cp1252.

    One streaming pass with an incremental decoder: memory stays bounded whatever the file size.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if len(head) >= 16:
            # UTF-16 without a BOM: most ASCII letters have a NUL byte beside them.
            if head[1::2].count(0) > len(head) * 0.4:
                return "utf-16-le"
            if head[0::2].count(0) > len(head) * 0.4:
                return "utf-16-be"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(CSV_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CSV_CHUNK):
            count += chunk.count(b"\n")
    return count


def detect_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_handle(path: Path, encoding: str) -> IO[str]:
    return path.open(encoding=encoding, errors="strict" if encoding.startswith("utf-8") else "replace", newline="")


def _readable(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The records up to the first one the csv module cannot read (damage after the header is found later)."""
    try:
        yield from reader
    except csv.Error:
        return


def open_csv(path: Path) -> Source:
    encoding = detect_encoding(path)
    # The delimiter is the one that splits the header; the header is found among the first lines.
    with _csv_handle(path, encoding) as handle:
        try:
            head = [line for _n, line in zip(range(HEADER_SEARCH_ROWS), handle, strict=False)]
        except UnicodeDecodeError as exc:
            raise ImportFileError(DAMAGED % {"line": 1}) from exc
    if _is_blank(head):
        raise ImportFileError(_("The file is empty."))
    header: _Header | None = None
    delimiter = ","
    for candidate in (";", ",", "\t"):
        found = _find_header(_readable(csv.reader([line.replace("\0", "") for line in head], delimiter=candidate)))
        if found is not None and (header is None or found.score > header.score):
            header, delimiter = found, candidate
    header = _check_header(header)
    handle = _csv_handle(path, encoding)
    reader = csv.reader(handle, delimiter=delimiter)

    def records() -> Iterator[list[str]]:
        try:
            for _skipped in range(header.row):
                next(reader, None)
            yield from reader
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(DAMAGED % {"line": reader.line_num + 1}) from exc
        finally:
            handle.close()

    return Source(
        format="csv",
        columns=header.columns,
        rows=_rows(records(), header),
        estimated_rows=max(0, _count_lines(path) - header.row),
        header_row=header.row,
    )


# ---------------------------------------------------------------- XLSX

_COUNT_ATTRIBUTE = re.compile(rb'uniqueCount="(\d+)"')
_MERGE_REF = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_TOO_LARGE = _(
    "This XLSX file is refused: it unpacks to far more data than a list of members needs "
    "(%(reason)s). Save the list again as a new, plain XLSX or CSV file."
)


def _zip_refuse(reason: str) -> ImportFileError:
    return ImportFileError(_TOO_LARGE % {"reason": reason})


_OVERRIDE = re.compile(rb"<Override\b[^>]*>")
_PART_NAME = re.compile(rb'PartName="/?([^"]+)"')


def _shared_strings_parts(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The shared-strings parts: the usual name, and whatever the manifest declares (as openpyxl reads it)."""
    names = {"xl/sharedstrings.xml"}
    manifest = next((info for info in infos if info.filename == "[Content_Types].xml"), None)
    if manifest is not None and manifest.file_size <= 1 << 20:
        for element in _OVERRIDE.findall(archive.read(manifest)):
            if b"sharedStrings" in element and (found := _PART_NAME.search(element)):
                names.add(found.group(1).decode("utf-8", "replace").lower())
    return [info for info in infos if info.filename.lower() in names]


def xlsx_check(path: Path) -> None:
    """Refuse decompression bombs before openpyxl unpacks anything (limits from settings)."""
    max_bytes = settings.PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES
    max_strings = settings.PARTNER_IMPORT_XLSX_MAX_SHARED_STRINGS
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > 10_000:
                raise _zip_refuse(f"{len(infos)} parts")
            # The sizes in the directory bound what zipfile will unpack: it stops at the declared size.
            total = sum(info.file_size for info in infos)
            if total > max_bytes:
                raise _zip_refuse(f"{total // (1 << 20)} MB > {max_bytes // (1 << 20)} MB")
            for strings in _shared_strings_parts(archive, infos):
                count = 0
                tail = b""
                with archive.open(strings) as handle:
                    while chunk := handle.read(CSV_CHUNK):
                        declared = _COUNT_ATTRIBUTE.search(chunk[:4096]) if count == 0 else None
                        if declared and int(declared.group(1)) > max_strings:
                            raise _zip_refuse(f"{int(declared.group(1))} shared strings > {max_strings}")
                        data = tail + chunk
                        count += data.count(b"<si>") + data.count(b"<si ")
                        # Keep the last bytes that cannot hold a whole tag, so none is counted twice or lost.
                        tail = data[-3:] if not data.endswith((b"<si>", b"<si ")) else b""
                        if count > max_strings:
                            raise _zip_refuse(f"> {max_strings} shared strings")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _merged_ranges(path: Path, member: str) -> list[tuple[int, int, int, int]]:
    """(first row, last row, first column, last column), 0-based columns, of the sheet's merged cells."""
    ranges: list[tuple[int, int, int, int]] = []
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        tail = b""
        while chunk := handle.read(CSV_CHUNK):
            data = tail + chunk
            end = 0
            for match in _MERGE_REF.finditer(data):
                c1, r1, c2, r2 = match.groups()
                ranges.append((int(r1), int(r2), _column_number(c1) - 1, _column_number(c2) - 1))
                end = match.end()
            tail = data[max(end, len(data) - 64) :]
    return [r for r in ranges if r[1] - r[0] <= 100_000]


def _unmerge(records: Iterator[tuple[Any, ...]], ranges: list[tuple[int, int, int, int]]) -> Iterator[Any]:
    """Each cell of a merged range gets the value of its top-left cell, as people read the sheet."""
    if not ranges:
        yield from records
        return
    by_start: dict[int, list[tuple[int, int, int, int]]] = {}
    for merged in ranges:
        by_start.setdefault(merged[0], []).append(merged)
    active: list[tuple[int, int, int, Any]] = []  # last row, first column, last column, value
    for number, record in enumerate(records, start=1):
        row = list(record)
        for _first, last, c1, c2 in by_start.get(number, ()):
            active.append((last, c1, c2, row[c1] if c1 < len(row) else None))
        if active:
            for _last, c1, c2, value in active:
                for column in range(c1, min(c2 + 1, len(row))):
                    if row[column] is None:
                        row[column] = value
            active = [item for item in active if item[0] > number]
        yield row


def _too_wide(sheet: str, width: int) -> str:
    return _(
        "The sheet “%(sheet)s” has cells beyond column %(columns)s; a list of members is not that wide. "
        "Copy the list alone to a new file."
    ) % {"sheet": sheet[:50], "columns": width}


def open_xlsx(path: Path) -> Source:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    xlsx_check(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    width = settings.PARTNER_IMPORT_XLSX_MAX_COLUMNS
    try:
        chosen = None
        for sheet in workbook.worksheets[:50]:
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            ranges = _merged_ranges(path, sheet._worksheet_path)  # openpyxl keeps the part's name here
            head = _unmerge(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=width, values_only=True), ranges)
            header = _find_header(head)
            if header is not None and (chosen is None or header.score > chosen[1].score):
                chosen = (sheet, header, ranges)
                if header.score == len(REQUIRED_FIELDS):
                    break
        first = workbook.worksheets[0].title if workbook.worksheets else ""
        if chosen is None:
            _check_header(None, sheet=first)
        assert chosen is not None  # noqa: S101 — _check_header raised otherwise
        sheet, header, ranges = chosen
        header = _check_header(header, sheet=sheet.title)
        if (sheet.max_column or 0) > width:
            raise ImportFileError(_too_wide(sheet.title, width))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        workbook.close()
        raise ImportFileError(_("This is not a readable XLSX file.")) from exc
    except ImportFileError:
        workbook.close()
        raise
    estimated = max(0, (sheet.max_row or 1) - header.row)

    def records() -> Iterator[list[Any]]:
        line = header.row
        try:
            # The declared dimension was checked above: rows are as wide as it says. Without one,
            # rows are cut one column past the limit, so that a wider one is seen and refused.
            max_col = None if sheet.max_column else width + 1
            rows = _unmerge(sheet.iter_rows(max_col=max_col, values_only=True), ranges)
            for line, record in enumerate(rows, start=1):
                if line <= header.row:
                    continue
                if len(record) > width and record[width] is not None:
                    raise ImportFileError(_too_wide(sheet.title, width))
                yield record
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
            raise ImportFileError(DAMAGED % {"line": line + 1}) from exc
        finally:
            workbook.close()

    notes = []
    if len(workbook.worksheets) > 1 or header.row > 1:
        notes.append(
            str(_("Read sheet “%(sheet)s”, header in row %(row)s.") % {"sheet": sheet.title, "row": header.row})
        )
    return Source(
        format="xlsx",
        columns=header.columns,
        rows=_rows(records(), header),
        estimated_rows=estimated,
        sheet=sheet.title,
        header_row=header.row,
        notes=notes,
    )


def sniff_format(path: Path, name: str = "") -> str:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return "xlsx"
    if (name or path.name).lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("This is not a readable XLSX file."))
    if (name or path.name).lower().endswith(".xls"):
        raise ImportFileError(_("Old .xls files cannot be read; save the file as .xlsx or .csv."))
    return "csv"


def open_source(path: Path, name: str = "") -> Source:
    return open_xlsx(path) if sniff_format(path, name) == "xlsx" else open_csv(path)
