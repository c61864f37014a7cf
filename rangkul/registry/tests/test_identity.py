from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.registry import identity
from rangkul.registry.membership import membership_number_is_valid, membership_number_new


@pytest.mark.parametrize(
    ("nik", "sex", "birth"),
    [
        ("3374011705900001", "M", dt.date(1990, 5, 17)),
        ("3374015705900001", "F", dt.date(1990, 5, 17)),  # women: day + 40
        ("3374017112050002", "F", dt.date(2005, 12, 31)),
        ("3171010101000009", "M", dt.date(2000, 1, 1)),
    ],
)
def test_valid_niks_encode_sex_and_birth_date(regions, nik, sex, birth):
    facts = identity.nik_parse(nik)
    assert facts is not None
    assert facts.sex == sex
    assert (facts.day, facts.month, facts.year_two_digits) == (birth.day, birth.month, birth.year % 100)
    check = identity.nik_check(nik, birth_date=birth, sex=sex)
    assert check.fields == {}
    assert check.warnings == []


def test_nik_with_separators_is_compacted(regions):
    assert identity.nik_parse("3374 0117 0590 0001").nik == "3374011705900001"


@pytest.mark.parametrize(
    "nik",
    [
        "",
        "337401170590001",  # 15 digits
        "33740117059000011",  # 17 digits
        "33740117059O0001",  # letter O
        "3374013205900001",  # day 32
        "3374014005900001",  # day 40 → 0
        "3374017205900001",  # woman's day 72 → 32
        "3374011713900001",  # month 13
        "3374013002900001",  # 30 February
        "3374011705900000",  # serial 0000
        "0074011705900001",  # province 00
    ],
)
def test_invalid_niks_are_rejected_on_the_nik_field(regions, nik):
    check = identity.nik_check(nik, birth_date=None, sex="")
    assert check.facts is None
    assert list(check.fields) == ["nik"]


def test_birth_date_mismatch_is_named_on_birth_date(regions):
    check = identity.nik_check("3374011705900001", birth_date=dt.date(1990, 5, 18), sex="M")
    assert [str(m) for m in check.fields["birth_date"]] == ["Tanggal lahir tidak sesuai dengan NIK."]
    assert "nik" not in check.fields


def test_century_does_not_matter_but_year_does(regions):
    assert identity.nik_check("3374011705900001", birth_date=dt.date(1991, 5, 17), sex="M").fields
    # A man born 17 May 2090 is impossible for other reasons; the NIK only encodes "90".
    assert not identity.nik_check("3374011705900001", birth_date=dt.date(1990, 5, 17), sex="M").fields


@pytest.mark.parametrize(("nik", "given"), [("3374011705900001", "F"), ("3374015705900001", "M")])
def test_sex_mismatch_is_named_on_sex(regions, nik, given):
    check = identity.nik_check(nik, birth_date=dt.date(1990, 5, 17), sex=given)
    assert [str(m) for m in check.fields["sex"]] == ["Jenis kelamin tidak sesuai dengan NIK."]


def test_unknown_region_prefix_is_only_a_warning(regions):
    # 35.78 (Kota Surabaya) is a real regency but not in the small test tree.
    check = identity.nik_check("3578011705900001", birth_date=dt.date(1990, 5, 17), sex="M")
    assert check.fields == {}
    assert check.warnings == [identity.WARNING_NIK_REGION_UNKNOWN]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  budi   SANTOSO ", "Budi Santoso"),
        ("siti nur'aini", "Siti Nur'aini"),
        ("ahmad al-farisi", "Ahmad Al-Farisi"),
        ("I GUSTI ngurah rai", "I Gusti Ngurah Rai"),
        ("Ñoman Çelik", "Ñoman Çelik"),  # never transliterated
    ],
)
def test_names_are_normalised_without_transliteration(raw, expected):
    assert identity.name_normalize(raw) == expected


def test_name_search_key_is_case_folded():
    assert identity.name_search_key("  Budi   Santoso") == "budi santoso"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("6285712345678", "+6285712345678"),
    ],
)
def test_mobile_numbers_are_stored_e164(raw, expected):
    assert identity.phone_normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "0812", "abc", "0218881234", "+6591234567", "+1 202 555 0100"])
def test_landlines_foreign_and_garbage_numbers_are_refused(raw):
    with pytest.raises(identity.PhoneInvalid):
        identity.phone_normalize(raw)


def test_age_limits_are_the_ones_given():
    today = dt.date(2026, 11, 24)
    limits = {"min_age": 0, "max_age": 65}
    assert identity.age_errors(dt.date(1961, 11, 25), today=today, **limits) == []  # 64, one day before 65
    assert identity.age_errors(dt.date(1961, 11, 24), today=today, **limits)  # 65 today
    assert identity.age_errors(dt.date(2027, 1, 1), today=today, **limits)
    assert identity.age_errors(dt.date(2009, 1, 1), today=today, min_age=18, max_age=65)
    assert identity.age_errors(dt.date(2008, 11, 24), today=today, min_age=18, max_age=65) == []
    assert identity.age_errors(dt.date(1961, 11, 24), today=today, min_age=0, max_age=70) == []


def test_membership_numbers_have_a_luhn_check_digit():
    numbers = {membership_number_new() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert len(number) == 11 and number[0] != "0"
        assert membership_number_is_valid(number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert not membership_number_is_valid(wrong)
    assert not membership_number_is_valid("1234567890")


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2029, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_composed_niks_round_trip(birth, sex, serial):
    nik = identity.nik_compose(district_code="33.74.01", birth_date=birth, sex=sex, serial=serial)
    facts = identity.nik_parse(nik)
    assert facts is not None
    assert (facts.sex, facts.day, facts.month, facts.year_two_digits) == (sex, birth.day, birth.month, birth.year % 100)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=24), st.from_regex(r"\A[0-9]{16}\Z")))
def test_nik_check_never_raises_and_never_repeats_the_input(regions, value):
    check = identity.nik_check(value, birth_date=dt.date(1990, 1, 1), sex="M")
    if len(value.strip()) >= 6:  # shorter strings can occur in any sentence by chance
        assert all(value not in str(message) for message in check.errors)
