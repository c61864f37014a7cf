"""Rate limits on the public claim forms: per address, per claim or member number, per phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from rangkul.claims.models import Claim, FormAttempt
from rangkul.claims.tests.factories import file, insured
from rangkul.claims.tests.test_public import _form
from rangkul.claims.throttle import TRACK, Key, form_attempt_record, form_limit_check
from rangkul.core.errors import RateLimited

pytestmark = pytest.mark.django_db

PHONE = "+6281299990000"
CSRF = re.compile(r"[A-Za-z0-9]{64}")


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.CLAIMS_DOCUMENT_ROOT = tmp_path / "private"


def _track(client, number, phone, ip="10.1.1.1"):
    return client.post("/klaim/lacak/", {"claim_number": number, "phone": phone}, REMOTE_ADDR=ip)


def test_wrong_phones_for_one_claim_number_stop_at_the_limit(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_CLAIM = 3
    claim = file(insured())
    for n in range(3):
        assert _track(client, claim.number, f"+62813000000{n:02d}", ip=f"10.0.0.{n}").status_code == 200
    refused = _track(client, claim.number, PHONE, ip="10.0.0.9")  # even the right phone, from elsewhere
    assert refused.status_code == 429
    assert "redirect" not in refused.headers.get("Location", "")
    assert claim.number not in client.session.get("claims_followed", [])


def test_the_answer_is_the_same_whether_the_claim_exists_or_not(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_CLAIM = 2
    claim = file(insured())
    answers = {}
    for number in (claim.number, "KL2603999999"):
        for n in range(2):
            _track(client, number, f"+62813000001{n:02d}", ip=f"10.0.1.{n}")
        response = _track(client, number, "+6281300000199", ip="10.0.1.9")
        page = CSRF.sub("", response.content.decode().replace(number, "N"))
        answers[number] = (response.status_code, page)
    assert answers[claim.number][0] == answers["KL2603999999"][0] == 429
    assert answers[claim.number][1] == answers["KL2603999999"][1]


def test_the_message_is_clear_indonesian(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_IP = 1
    _track(client, "KL2603000000", PHONE)
    response = _track(client, "KL2603000001", PHONE)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Terlalu banyak percobaan" in page and "menit" in page
    english = client.post(
        "/klaim/lacak/",
        {"claim_number": "KL2603000002", "phone": PHONE},
        REMOTE_ADDR="10.1.1.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 429 and "Too many tries" in english.content.decode()


def test_one_address_is_limited_across_numbers_and_others_are_not(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_IP = 2
    claim = file(insured())
    assert _track(client, "KL2603000001", "+6281300000001").status_code == 200
    assert _track(client, "KL2603000002", "+6281300000002").status_code == 200
    assert _track(client, claim.number, PHONE).status_code == 429
    assert _track(client, claim.number, PHONE, ip="10.9.9.9").status_code == 302


def test_one_phone_guessing_claim_numbers_is_limited(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_PHONE = 2
    for n in range(2):
        _track(client, f"KL26030000{n:02d}", "0813-1111-2222", ip=f"10.0.2.{n}")
    assert _track(client, "KL2603000099", "+6281311112222", ip="10.0.2.9").status_code == 429


def test_a_successful_tracking_is_not_a_failure(client, regions, settings):
    settings.CLAIMS_TRACK_MAX_PER_CLAIM = 1
    claim = file(insured())
    for _ in range(3):
        assert _track(client, claim.number, PHONE, ip="10.0.3.1").status_code == 302


def test_the_window_moves_on(regions, settings):
    settings.CLAIMS_FORM_WINDOW_MINUTES = 60
    key = Key("claim", "KL2603000001", 2)
    start = timezone.now()
    form_attempt_record(form=TRACK, keys=[key], now=start - dt.timedelta(minutes=50))
    form_attempt_record(form=TRACK, keys=[key], now=start - dt.timedelta(minutes=40))
    with pytest.raises(RateLimited) as error:
        form_limit_check(form=TRACK, keys=[key], now=start)
    assert error.value.status == 429 and "10" in str(error.value.message)  # the oldest try leaves in 10 minutes
    form_limit_check(form=TRACK, keys=[key], now=start + dt.timedelta(minutes=11))
    # Rows that left the window go at the next use; nothing is stored in plain.
    form_attempt_record(form=TRACK, keys=[key], now=start + dt.timedelta(minutes=61))
    assert FormAttempt.objects.count() == 1
    assert not FormAttempt.objects.filter(key_hash__icontains="KL2603").exists()


def test_filing_is_limited_per_member_number_after_wrong_birth_dates(client, regions, settings):
    settings.CLAIMS_FILE_MAX_PER_MEMBER = 2
    worker = insured()
    for n in range(2):
        wrong = _form(worker, member_birth_date="1970-01-01", claimant_phone=f"0813000002{n:02d}")
        assert client.post("/klaim/ajukan/", wrong, REMOTE_ADDR=f"10.0.4.{n}").status_code == 200
    right = client.post("/klaim/ajukan/", _form(worker), REMOTE_ADDR="10.0.4.9")
    assert right.status_code == 429 and not Claim.objects.exists()


def test_filing_is_limited_per_address_and_per_phone(client, regions, settings):
    settings.CLAIMS_FILE_MAX_PER_IP = 1
    worker = insured()
    assert client.post("/klaim/ajukan/", _form(worker), REMOTE_ADDR="10.0.5.1").status_code == 302
    assert client.post("/klaim/ajukan/", _form(worker), REMOTE_ADDR="10.0.5.1").status_code == 429
    settings.CLAIMS_FILE_MAX_PER_IP = 100
    settings.CLAIMS_FILE_MAX_PER_PHONE = 2
    assert client.post("/klaim/ajukan/", _form(worker), REMOTE_ADDR="10.0.5.2").status_code == 302
    assert client.post("/klaim/ajukan/", _form(worker), REMOTE_ADDR="10.0.5.3").status_code == 429
    assert Claim.objects.count() == 2
