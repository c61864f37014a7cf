"""The fast paths for NIKs and mobile numbers give exactly the libraries' answers (Hypothesis)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.id import nik as stdnum_nik

from rangkul.registry import identity

SEPARATORS = st.sampled_from(["", "", "", " ", "-", "  ", ".", "(", ")", "\t", "\u00a0", "/"])
PREFIXES = st.sampled_from(["0", "62", "+62", "+ 62", "+62 ", "0062", "00862", "620", "+620", "", "8", "+6", "062"])


def _reference_phone(value: str) -> tuple[str, list[str]]:
    """What phone_errors answered before the fast path: phonenumbers for every input."""
    raw = (value or "").strip()
    if not raw:
        return "", [str(identity.PhoneInvalid(identity._("Write a mobile number.")).message)]
    try:
        return identity._phone_normalize_slow(raw), []
    except identity.PhoneInvalid as exc:
        return "", [str(exc.message)]


def _answer(value: str) -> tuple[str, list[str]]:
    normalized, messages = identity.phone_errors(value)
    return normalized, [str(m) for m in messages]


@st.composite
def written_phones(draw: st.DrawFn) -> str:
    """Numbers written the ways people write them, and near misses of every kind."""
    national = draw(
        st.one_of(
            st.from_regex(r"8[0-9]{5,14}", fullmatch=True),
            st.from_regex(r"8(0[47-9]|1[1-3]|5[2-9]|7[78]|8[1-9]|9[5-9])[0-9]{6,10}", fullmatch=True),
            st.from_regex(r"[0-9]{6,15}", fullmatch=True),
        )
    )
    prefix = draw(PREFIXES)
    characters = list(prefix + national)
    written = "".join(ch + draw(SEPARATORS) for ch in characters)
    return draw(st.sampled_from(["", " ", "\n"])) + written + draw(st.sampled_from(["", " ", "x1", "#", "a"]))


@settings(deadline=None)
@given(st.one_of(written_phones(), st.text(max_size=30), st.from_regex(r"\+?[0-9 -]{0,20}", fullmatch=True)))
@example("081234567890")
@example("+6281234567890")
@example("6281234567890")
@example("62812345678")  # read as a national (fixed-line) number by phonenumbers, not as +62 812…
@example("0812-3456-7890")
@example("0812 3456 7890")
@example("08091234567")  # premium rate, not mobile
@example("08071234567")  # UAN, not mobile
@example("08041234567")  # shared cost
@example("0814 1234 5678")
@example("0812" + " " * 250 + "34567890")  # too long an input for phonenumbers
def test_the_phone_fast_path_agrees_with_phonenumbers(value: str) -> None:
    assert _answer(value) == _reference_phone(value)


def test_the_usual_formats_take_the_fast_path() -> None:
    for written in ("081234567890", "+6281234567890", "6281234567890", "0812-3456-7890", "+62 812 3456 7890"):
        assert identity._phone_fast(written) == "+6281234567890"
        expected = phonenumbers.format_number(phonenumbers.parse(written, "ID"), phonenumbers.PhoneNumberFormat.E164)
        assert identity.phone_normalize(written) == expected


def _reference_nik_parse(value: str) -> identity.NikFacts | None:
    """nik_parse as it was: stdnum's compact and birth-date check for every input."""
    number = stdnum_nik.compact(value or "")
    if len(number) != 16 or not number.isascii() or not number.isdigit():
        return None
    raw_day = int(number[6:8])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71) or number[12:] == "0000" or number[:2] == "00":
        return None
    try:
        stdnum_nik.get_birth_date(number)
    except StdnumValidationError:
        return None
    return identity.NikFacts(
        nik=number,
        region_code=f"{number[:2]}.{number[2:4]}",
        day=raw_day % 40,
        month=int(number[8:10]),
        year_two_digits=int(number[10:12]),
        sex="F" if raw_day > 40 else "M",
    )


@st.composite
def written_niks(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"[0-9]{6}", fullmatch=True))
    day = draw(st.integers(0, 79))
    month = draw(st.integers(0, 14))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    nik = f"{region}{day:02d}{month:02d}{year:02d}{serial:04d}"
    separator = draw(st.sampled_from(["", "", " ", ".", "-", "\u2013"]))
    if separator:
        nik = " ".join([nik[:6], nik[6:12], nik[12:]]).replace(" ", separator)
    return draw(st.sampled_from(["", " "])) + nik + draw(st.sampled_from(["", " ", "0", "\n"]))


@settings(deadline=None)
@given(st.one_of(written_niks(), st.text(alphabet="0123456789 .-", max_size=20), st.text(max_size=20)))
@example("3374012902000001")  # 29 February 2000
@example("3374012901000001")  # 29 February 1901 and 2001: neither exists
@example("3374016902040001")  # a woman born on 29 February 2004
@example("3374010013900001")  # month 13
@example("3374013104900001")  # 31 April
@example("０３３７４０１０１０１９００００１")  # full-width digits, which stdnum turns into ASCII
def test_nik_parse_agrees_with_stdnum(value: str) -> None:
    assert identity.nik_parse(value) == _reference_nik_parse(value)


@pytest.mark.parametrize("value", ["3374011705900001", "3374 0117 0590 0001", "33.74.01.170590.0001"])
def test_nik_compact(value: str) -> None:
    assert identity.nik_compact(value) == stdnum_nik.compact(value) == "3374011705900001"
