"""One-time codes sent by SMS to prove that a person holds a mobile number.

Rules (issue 3): six digits from ``secrets``; only a keyed hash of the code is
stored (HMAC under the lookup-hash key, salted per challenge); a code lives
``OTP_TTL_SECONDS`` (5 minutes); at most ``OTP_MAX_ATTEMPTS`` (5) tries, after
which the challenge is dead; a new code for the same number and purpose only
after ``OTP_RESEND_SECONDS`` and at most ``OTP_MAX_PER_HOUR`` codes an hour per
number, whatever the purpose, so that the SMS gateway cannot be used to flood a
phone. Callers pass the number already normalised to E.164
(rangkul.registry.identity.phone_normalize); the number itself is not stored,
only its keyed hash.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rangkul.accounts.errors import AccountErrorCode
from rangkul.accounts.models import OtpChallenge, OtpPurpose
from rangkul.core.crypto import constant_time_equals, lookup_hash
from rangkul.core.errors import RateLimited, ValidationFailed
from rangkul.messaging.services import sms_queue

CODE_LENGTH = 6
_CODE_RE = re.compile(r"^\d{6}$")


def otp_phone_hash(phone: str) -> str:
    return lookup_hash(phone, purpose="otp_phone")


def _code_hash(*, salt: str, code: str) -> str:
    return lookup_hash(f"{salt}:{code}", purpose="otp")


def _generate_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def _sms_text(code: str) -> str:
    minutes = max(settings.OTP_TTL_SECONDS // 60, 1)
    return _(
        "Rangkul code: %(code)s. Valid for %(minutes)s minutes. Never give this code to anyone, not even to staff."
    ) % {"code": code, "minutes": minutes}


@transaction.atomic
def otp_issue(
    *,
    phone: str,
    purpose: str,
    now: dt.datetime | None = None,
    deliver: bool = True,
    client_ip: str | None = None,
) -> OtpChallenge:
    """Create a challenge for ``phone`` (E.164) and text the code after commit.

    Raises RateLimited when asked again too soon or too often, for the number or (given
    ``client_ip``) for the requesting address; earlier open codes for the same number and
    purpose stop working. With ``deliver=False`` everything happens (limits counted, a
    challenge nobody can answer) except the text: a login for a number nobody registered
    answers exactly as one for a registered number, limits included.
    """
    if purpose not in OtpPurpose.values:
        raise ValueError(f"unknown OTP purpose {purpose!r}")
    now = now or timezone.now()
    client_hash = lookup_hash(client_ip, purpose="otp_client") if client_ip else ""
    if client_hash:
        from_client = OtpChallenge.objects.filter(client_hash=client_hash, created_at__gt=now - dt.timedelta(hours=1))
        if from_client.count() >= settings.OTP_MAX_PER_CLIENT_PER_HOUR:
            message = _("Too many codes were asked for from this connection. Please try again later.")
            raise RateLimited(message, code=AccountErrorCode.OTP_TOO_MANY_FROM_CLIENT, fields={"phone": [message]})
    phone_hash = otp_phone_hash(phone)
    recent = OtpChallenge.objects.select_for_update().filter(
        phone_hash=phone_hash, created_at__gt=now - dt.timedelta(hours=1)
    )
    last_same_purpose = recent.filter(purpose=purpose).order_by("-created_at").first()
    if last_same_purpose is not None:
        wait = settings.OTP_RESEND_SECONDS - (now - last_same_purpose.created_at).total_seconds()
        if wait > 0:
            message = _("A code was just sent. Please wait %(seconds)s seconds before asking for a new one.") % {
                "seconds": math.ceil(wait)
            }
            raise RateLimited(message, code=AccountErrorCode.OTP_RESEND_TOO_SOON, fields={"phone": [message]})
    sent_last_hour = list(recent.order_by("created_at").values_list("created_at", flat=True))
    if len(sent_last_hour) >= settings.OTP_MAX_PER_HOUR:
        oldest = sent_last_hour[-settings.OTP_MAX_PER_HOUR]
        minutes = max(math.ceil((oldest + dt.timedelta(hours=1) - now).total_seconds() / 60), 1)
        message = _("Too many codes were sent to this number. Please try again in %(minutes)s minutes.") % {
            "minutes": minutes
        }
        raise RateLimited(message, code=AccountErrorCode.OTP_TOO_MANY_CODES, fields={"phone": [message]})
    OtpChallenge.objects.filter(
        phone_hash=phone_hash, purpose=purpose, verified_at__isnull=True, closed_at__isnull=True
    ).update(closed_at=now)
    code = _generate_code()
    salt = secrets.token_hex(16)
    challenge = OtpChallenge.objects.create(
        phone_hash=phone_hash,
        purpose=purpose,
        salt=salt,
        code_hash=_code_hash(salt=salt, code=code),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        max_attempts=settings.OTP_MAX_ATTEMPTS,
        client_hash=client_hash,
    )
    if deliver:
        sms_queue(to=phone, body=_sms_text(code), purpose=f"otp_{purpose}")
    return challenge


def _fail(message: str, code: AccountErrorCode) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"code": [message]})


def otp_verify(
    *,
    purpose: str,
    code: str,
    phone: str | None = None,
    challenge_id: int | None = None,
    now: dt.datetime | None = None,
) -> OtpChallenge:
    """Check ``code`` against the latest open challenge; the challenge is used up on success.

    Deliberately not one transaction: a wrong try must stay counted although
    ValidationFailed is raised. Each step is a single conditional UPDATE, so two
    simultaneous tries can neither exceed the limit nor both use one code.
    """
    if phone is None and challenge_id is None:
        raise ValueError("otp_verify needs phone or challenge_id")
    now = now or timezone.now()
    challenges = OtpChallenge.objects.filter(purpose=purpose, verified_at__isnull=True)
    if phone is not None:
        challenges = challenges.filter(phone_hash=otp_phone_hash(phone))
    if challenge_id is not None:
        challenges = challenges.filter(pk=challenge_id)
    challenge = challenges.order_by("-created_at").first()
    if challenge is None or (challenge.closed_at is not None and challenge.attempts < challenge.max_attempts):
        raise _fail(_("There is no active code for this number. Ask for a new code."), AccountErrorCode.OTP_MISSING)
    if challenge.closed_at is not None or challenge.attempts >= challenge.max_attempts:
        raise _fail(_("Too many wrong tries. Ask for a new code."), AccountErrorCode.OTP_TOO_MANY_ATTEMPTS)
    if challenge.expires_at <= now:
        raise _fail(_("This code has expired. Ask for a new code."), AccountErrorCode.OTP_EXPIRED)
    cleaned = re.sub(r"\s+", "", code or "")
    if not _CODE_RE.match(cleaned):
        # A malformed entry is a typing slip, not a guess: it does not use up a try.
        raise _fail(_("Enter the 6-digit code from the SMS."), AccountErrorCode.OTP_FORMAT)

    counted = OtpChallenge.objects.filter(
        pk=challenge.pk, attempts__lt=F("max_attempts"), verified_at__isnull=True, closed_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise _fail(_("Too many wrong tries. Ask for a new code."), AccountErrorCode.OTP_TOO_MANY_ATTEMPTS)
    challenge.refresh_from_db(fields=["attempts"])

    if constant_time_equals(_code_hash(salt=challenge.salt, code=cleaned), challenge.code_hash):
        used = OtpChallenge.objects.filter(pk=challenge.pk, verified_at__isnull=True, closed_at__isnull=True).update(
            verified_at=now
        )
        if not used:
            raise _fail(_("There is no active code for this number. Ask for a new code."), AccountErrorCode.OTP_MISSING)
        challenge.verified_at = now
        return challenge

    left = challenge.attempts_left
    if left <= 0:
        OtpChallenge.objects.filter(pk=challenge.pk, closed_at__isnull=True).update(closed_at=now)
        raise _fail(
            _("The code is wrong and that was the last try. Ask for a new code."),
            AccountErrorCode.OTP_TOO_MANY_ATTEMPTS,
        )
    raise _fail(
        ngettext(
            "The code is wrong. You have %(count)s try left.",
            "The code is wrong. You have %(count)s tries left.",
            left,
        )
        % {"count": left},
        AccountErrorCode.OTP_WRONG,
    )
