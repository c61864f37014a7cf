from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from rangkul.accounts.models import OtpChallenge
from rangkul.accounts.otp import otp_issue, otp_verify
from rangkul.core.errors import RateLimited, ValidationFailed
from rangkul.messaging.backends import locmem

PHONE = "+6281234567890"
OTHER_PHONE = "+6285712345678"


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield locmem.outbox
    locmem.clear()


def issue(django_capture_on_commit_callbacks, **kwargs) -> tuple[OtpChallenge, str]:
    with django_capture_on_commit_callbacks(execute=True):
        challenge = otp_issue(**kwargs)
    body = locmem.outbox[-1].body
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return challenge, match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.django_db
def test_right_code_verifies_once_and_nothing_secret_is_stored(django_capture_on_commit_callbacks):
    challenge, code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login")
    stored = OtpChallenge.objects.get(pk=challenge.pk)
    assert code not in stored.code_hash and PHONE not in stored.phone_hash
    assert locmem.outbox[-1].to == PHONE and locmem.outbox[-1].purpose == "otp_login"

    verified = otp_verify(phone=PHONE, purpose="login", code=f" {code[:3]} {code[3:]} ")
    assert verified.pk == challenge.pk and verified.verified_at is not None

    with pytest.raises(ValidationFailed) as again:
        otp_verify(phone=PHONE, purpose="login", code=code)
    assert again.value.code == "otp_missing"


@pytest.mark.django_db
def test_code_is_bound_to_phone_and_purpose(django_capture_on_commit_callbacks):
    _challenge, code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="register")
    with pytest.raises(ValidationFailed):
        otp_verify(phone=OTHER_PHONE, purpose="register", code=code)
    with pytest.raises(ValidationFailed):
        otp_verify(phone=PHONE, purpose="login", code=code)
    assert otp_verify(phone=PHONE, purpose="register", code=code).verified_at


@pytest.mark.django_db
def test_wrong_code_says_how_many_tries_remain(django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "en"
    challenge, code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login")
    with pytest.raises(ValidationFailed) as first:
        otp_verify(challenge_id=challenge.pk, purpose="login", code=wrong(code))
    assert first.value.code == "otp_wrong"
    assert "4" in first.value.fields["code"][0]
    challenge.refresh_from_db()
    assert challenge.attempts == 1
    # The right code still works afterwards.
    assert otp_verify(challenge_id=challenge.pk, purpose="login", code=code).verified_at


@pytest.mark.django_db
def test_malformed_code_does_not_use_a_try(django_capture_on_commit_callbacks):
    challenge, _code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login")
    with pytest.raises(ValidationFailed) as error:
        otp_verify(phone=PHONE, purpose="login", code="12ab")
    assert error.value.code == "otp_format"
    challenge.refresh_from_db()
    assert challenge.attempts == 0


@pytest.mark.django_db
def test_expired_code_is_refused(django_capture_on_commit_callbacks):
    start = timezone.now()
    _challenge, code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login", now=start)
    later = start + dt.timedelta(seconds=301)
    with pytest.raises(ValidationFailed) as error:
        otp_verify(phone=PHONE, purpose="login", code=code, now=later)
    assert error.value.code == "otp_expired"
    # Just inside five minutes it is still good.
    assert otp_verify(phone=PHONE, purpose="login", code=code, now=start + dt.timedelta(seconds=299))


@pytest.mark.django_db
def test_five_wrong_tries_kill_the_challenge(django_capture_on_commit_callbacks):
    challenge, code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login")
    codes = []
    for _ in range(5):
        with pytest.raises(ValidationFailed) as error:
            otp_verify(phone=PHONE, purpose="login", code=wrong(code))
        codes.append(error.value.code)
    assert codes == ["otp_wrong"] * 4 + ["otp_too_many_attempts"]
    with pytest.raises(ValidationFailed) as error:
        otp_verify(phone=PHONE, purpose="login", code=code)
    assert error.value.code == "otp_too_many_attempts"
    challenge.refresh_from_db()
    assert challenge.verified_at is None and challenge.closed_at is not None


@pytest.mark.django_db
def test_resend_too_soon_is_rate_limited(django_capture_on_commit_callbacks):
    start = timezone.now()
    issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login", now=start)
    with pytest.raises(RateLimited) as error:
        otp_issue(phone=PHONE, purpose="login", now=start + dt.timedelta(seconds=20))
    assert error.value.code == "otp_resend_too_soon"
    assert "40" in error.value.fields["phone"][0]
    # Another purpose is not blocked by the resend pause.
    issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="register", now=start + dt.timedelta(seconds=20))


@pytest.mark.django_db
def test_new_code_replaces_the_old_one(django_capture_on_commit_callbacks):
    start = timezone.now()
    _first, old_code = issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login", now=start)
    _second, new_code = issue(
        django_capture_on_commit_callbacks, phone=PHONE, purpose="login", now=start + dt.timedelta(seconds=61)
    )
    if old_code != new_code:
        with pytest.raises(ValidationFailed):
            otp_verify(phone=PHONE, purpose="login", code=old_code, now=start + dt.timedelta(seconds=62))
    assert otp_verify(phone=PHONE, purpose="login", code=new_code, now=start + dt.timedelta(seconds=62))


@pytest.mark.django_db
def test_at_most_five_codes_an_hour_per_phone(django_capture_on_commit_callbacks):
    start = timezone.now()
    for index in range(5):
        issue(
            django_capture_on_commit_callbacks,
            phone=PHONE,
            purpose="login",
            now=start + dt.timedelta(seconds=61 * index),
        )
    with pytest.raises(RateLimited) as error:
        otp_issue(phone=PHONE, purpose="register", now=start + dt.timedelta(seconds=61 * 5))
    assert error.value.code == "otp_too_many_codes"
    # An hour after the first one, a code can be sent again; other numbers were never limited.
    issue(django_capture_on_commit_callbacks, phone=OTHER_PHONE, purpose="login", now=start)
    issue(django_capture_on_commit_callbacks, phone=PHONE, purpose="login", now=start + dt.timedelta(minutes=61))


@pytest.mark.django_db
def test_no_sms_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        otp_issue(phone=PHONE, purpose="login")
    assert len(callbacks) == 1
    assert locmem.outbox == []
