"""Nobody learns who is registered by asking: login answers alike for any number, limits included,
codes are limited per address too, and one verified code allows only a few registered-NIK answers."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from rangkul.portal import nik_answers
from rangkul.portal.tests.test_registration import BIRTH, PHONE_E164, fill_until_review, step, verify_phone
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import make_nik, worker_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def _post(client, url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return _post


def _answers(client, post, phone: str) -> list[tuple[int, str, str]]:
    """What a visitor sees for three quick login attempts with one number."""
    seen = []
    for _ in range(3):
        response = post(client, reverse("portal:login"), {"phone": phone})
        errors = response.context["form"].errors.as_text() if response.status_code == 200 else ""
        # The wait counts down with the clock (59 or 60 seconds on a slow run): compare the words.
        errors = re.sub(r"\d+ (detik|seconds)", r"N \1", errors.replace(phone, "PHONE"))
        seen.append((response.status_code, response.get("Location", ""), errors))
    return seen


def test_login_answers_alike_for_registered_and_unknown_numbers_limits_included(
    client, regions, occupations, sms, post
):
    worker_create(phone="+6281311112222")
    registered = _answers(client, post, "081311112222")
    client.logout()
    unknown = _answers(client, post, "081399998888")
    assert registered == unknown
    assert registered[0][0] == 302 and registered[1][0] == 200  # a resend pause, for both alike
    assert [m.to for m in sms.messages] == ["+6281311112222"]  # only the member got a text


def test_codes_are_limited_per_client_address(client, regions, occupations, sms, post, settings):
    settings.OTP_MAX_PER_CLIENT_PER_HOUR = 3
    for n in range(3):
        assert post(client, reverse("portal:login"), {"phone": f"08139999000{n}"}).status_code == 302
    refused = post(client, reverse("portal:login"), {"phone": "0813999900009"})
    assert refused.status_code == 200 and refused.context["form"].errors["phone"]
    other = post(client, reverse("portal:login"), {"phone": "0813999900009"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_one_verified_code_allows_only_a_few_registered_nik_answers(
    client, sms, regions, branch, occupations, post, settings
):
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 2
    # Past the identity step's own early answers (limited per address), the review step answers.
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 0
    taken = [make_nik(birth_date=BIRTH, sex="F") for _ in range(3)]
    for n, nik in enumerate(taken):
        worker_create(nik=nik, birth_date=BIRTH, sex="F", phone=f"+628570000000{n}")
    fill_until_review(client, sms, post, branch, taken[0])
    assert client.post(step("periksa"), {})["Location"] == step("identitas")  # first probe: answered
    client.post(step("identitas"), {"nik": taken[1], "full_name": "Siti", "birth_date": BIRTH.isoformat(), "sex": "F"})
    second = client.post(step("periksa"), {})
    assert second["Location"] == step("kontak")  # limit reached: the number must be verified again
    session = client.session["portal_registration"]["kontak"]
    assert session["verified"] is False
    assert client.get(step("periksa"))["Location"] == step("kontak")
    assert Worker.objects.count() == 3


def _identity(nik: str) -> dict[str, str]:
    return {"nik": nik, "full_name": "Siti", "birth_date": BIRTH.isoformat(), "sex": "F"}


def _early_answer(client, nik: str, address: str = "127.0.0.1") -> str:
    """What the identity step says about a NIK: "taken" (an early answer), "next" (go on) or
    "verify" (back to the mobile number)."""
    response = client.post(step("identitas"), _identity(nik), REMOTE_ADDR=address)
    if response.status_code == 302:
        return {step("alamat"): "next", step("kontak"): "verify"}[response["Location"]]
    assert response.context.get("nik_taken") is True
    return "taken"


def _verified(post, sms, phone: str = "081234567890", address: str = "127.0.0.1") -> Client:
    """A visitor from ``address`` whose registration has verified ``phone`` with a code."""
    visitor = Client(REMOTE_ADDR=address)
    assert verify_phone(visitor, sms, post, phone)["Location"] == step("identitas")
    return visitor


def _registered(n: int) -> list[str]:
    niks = [make_nik(birth_date=BIRTH, sex="F") for _ in range(n)]
    for i, nik in enumerate(niks):
        worker_create(nik=nik, birth_date=BIRTH, sex="F", phone=f"+62857100000{i:02d}")
    return niks


def test_without_a_verified_number_the_identity_step_says_nothing_about_a_nik(client, regions, sms, post):
    (taken,) = _registered(1)
    unknown = make_nik(birth_date=BIRTH, sex="F")
    seen = []
    for visitor_state in ("new", "code sent, not verified"):
        visitor = Client()
        if visitor_state != "new":
            post(visitor, step("kontak"), {"action": "send", "phone": "081234567890"})
        assert visitor.get(step("identitas"))["Location"] == step("kontak")
        for nik in (taken, unknown):
            response = visitor.post(step("identitas"), _identity(nik))
            seen.append((response.status_code, response["Location"], response.content))
            assert "identitas" not in visitor.session.get("portal_registration", {}).get("done", [])
    assert all(answer == (302, step("kontak"), b"") for answer in seen)
    # Nothing was checked, so nothing was counted.
    assert "nik-answers" not in " ".join(str(key) for key in cache._cache)  # type: ignore[attr-defined]


def test_a_verified_number_gets_the_answer_and_it_counts_against_that_number(client, regions, sms, post, settings):
    settings.REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY = 2
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 10
    settings.OTP_RESEND_SECONDS = 0
    niks = _registered(3)
    visitor = _verified(post, sms)
    assert not nik_answers.phone_allowance_spent(phone=PHONE_E164)
    assert [_early_answer(visitor, nik) for nik in niks] == ["taken", "taken", "next"]
    assert nik_answers.phone_allowance_spent(phone=PHONE_E164)
    # The allowance belongs to the number, not the visitor: a new session with it gets no answer either.
    again = _verified(post, sms, address="10.3.3.3")
    assert _early_answer(again, niks[0], address="10.3.3.3") == "next"
    # Another number may still ask.
    other = _verified(post, sms, phone="+6281399990000", address="10.3.3.4")
    assert _early_answer(other, niks[0], address="10.3.3.4") == "taken"


def test_one_code_allows_only_a_few_early_answers_then_the_number_is_verified_again(
    client, regions, sms, post, settings
):
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 2
    niks = _registered(2)
    visitor = _verified(post, sms)
    assert _early_answer(visitor, niks[0]) == "taken"
    assert _early_answer(visitor, niks[1]) == "verify"
    assert visitor.session["portal_registration"]["kontak"]["verified"] is False
    assert visitor.get(step("identitas"))["Location"] == step("kontak")


def test_early_nik_answers_are_limited_per_client_address(client, regions, sms, post, settings):
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 2
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 10
    niks = _registered(3)
    visitor = _verified(post, sms)
    assert [_early_answer(visitor, nik) for nik in niks] == ["taken", "taken", "next"]
    elsewhere = _verified(post, sms, phone="+6281399990001", address="10.1.1.1")
    assert _early_answer(elsewhere, niks[2], address="10.1.1.1") == "taken"  # another address still may ask


def test_early_nik_answers_are_limited_per_nik_whatever_the_address(regions, sms, post, settings):
    settings.REGISTRATION_NIK_CHECKS_PER_NIK_PER_DAY = 2
    (nik,) = _registered(1)
    answers = []
    for n in range(1, 4):
        address = f"10.2.0.{n}"
        visitor = _verified(post, sms, phone=f"+62813999920{n:02d}", address=address)
        answers.append(_early_answer(visitor, nik, address=address))
    assert answers == ["taken", "taken", "next"]
    # Past the allowance the answer is the same as for a NIK nobody holds.
    visitor = _verified(post, sms, phone="+6281399992009", address="10.2.0.9")
    assert _early_answer(visitor, make_nik(birth_date=BIRTH, sex="F"), address="10.2.0.9") == "next"


def test_a_verified_number_gets_only_a_few_registered_answers_a_day_then_registers_nobody(
    client, sms, regions, branch, occupations, post, settings
):
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 0  # no early answers: the review step answers
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 10
    settings.REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY = 1
    (taken,) = _registered(1)
    fill_until_review(client, sms, post, branch, taken)
    assert client.post(step("periksa"), {})["Location"] == step("identitas")  # the one answer
    # Now even a NIK nobody holds is not registered with this number today: the refusal does not
    # depend on the NIK, so it tells nothing about it.
    fresh = make_nik(birth_date=BIRTH, sex="F")
    assert client.post(step("identitas"), _identity(fresh)).status_code == 302
    refused = client.post(step("periksa"), {})
    assert refused.status_code == 200
    message = refused.context["error_message"]
    assert "kantor cabang" in message or "branch office" in message
    assert Worker.objects.count() == 1


def test_early_answers_to_a_verified_number_count_towards_its_daily_allowance(
    client, sms, regions, branch, occupations, post, settings
):
    settings.REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY = 1
    niks = _registered(2)
    fill_until_review(client, sms, post, branch, make_nik(birth_date=BIRTH, sex="F"))
    # Back on the identity step with a verified number: one early answer, then none.
    assert _early_answer(client, niks[0]) == "taken"
    assert _early_answer(client, niks[1]) == "next"


def test_counters_hold_no_nik_number_or_address(client, sms, regions, branch, occupations, post, settings, caplog):
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 0
    (taken,) = _registered(1)
    fill_until_review(client, sms, post, branch, taken)
    client.post(step("periksa"), {})
    keys = " ".join(str(key) for key in cache._cache)  # type: ignore[attr-defined]  # the local-memory cache
    assert "nik-answers" in keys
    for secret in (taken, "6281234567890", "081234567890", "127.0.0.1"):
        assert secret not in keys
        assert secret not in caplog.text


def test_registration_codes_answer_alike_for_registered_and_unknown_numbers(client, regions, sms, post):
    worker_create(phone="+6281311112222")
    seen = []
    for phone in ("081311112222", "081399998888"):
        visitor = Client()
        response = post(visitor, step("kontak"), {"action": "send", "phone": phone})
        seen.append((response.status_code, response.get("Location", "")))
    assert seen[0] == seen[1] == (302, step("kontak"))
    assert {m.to for m in sms.messages} == {"+6281311112222", "+6281399998888"}
