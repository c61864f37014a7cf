"""Rate limits on the public claim forms (``/klaim/ajukan/``, ``/klaim/lacak/``).

Both forms answer to whoever knows a few facts (a membership number and a date of birth, a
claim number and a phone), so both are open to guessing. They are limited the way one-time
codes are (rangkul/accounts/otp.py): each use is a row keyed by a keyed hash — of the client's
address, the claim or membership number, the phone — and a key that reached its limit within
the sliding window gets a 429 before anything is looked up. The answer is the same whether the
number exists or not, and a refused try is not counted, so a refusal does not extend itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.claims.errors import ClaimErrorCode
from rangkul.claims.models import FormAttempt
from rangkul.core.crypto import lookup_hash
from rangkul.core.errors import RateLimited

FILE = "file"
TRACK = "track"


@dataclass(frozen=True)
class Key:
    """One thing a form is limited by: ``scope`` ("ip", "claim", "member", "phone") and its value."""

    scope: str
    value: str
    limit: int


def _hash(form: str, key: Key) -> str:
    return lookup_hash(key.value.strip().upper(), purpose=f"claims_{form}_{key.scope}")


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CLAIMS_FORM_WINDOW_MINUTES)


def form_limit_check(*, form: str, keys: Sequence[Key], now: dt.datetime | None = None) -> None:
    """Raise RateLimited when any of ``keys`` was used ``limit`` times within the window."""
    now = now or timezone.now()
    since = now - _window()
    for key in keys:
        if not key.value:
            continue
        tries = list(
            FormAttempt.objects.filter(form=form, scope=key.scope, key_hash=_hash(form, key), at__gt=since)
            .order_by("-at")
            .values_list("at", flat=True)[: key.limit]
        )
        if len(tries) >= key.limit:
            oldest = tries[-1]
            minutes = max(math.ceil((oldest + _window() - now).total_seconds() / 60), 1)
            raise RateLimited(
                _(
                    "Too many tries. For your safety this form is paused for a while: "
                    "please try again in %(minutes)s minutes."
                )
                % {"minutes": minutes},
                code=ClaimErrorCode.CLAIMS_FORM_TOO_MANY_TRIES,
            )


def form_attempt_record(*, form: str, keys: Sequence[Key], now: dt.datetime | None = None) -> None:
    """Count one use against each of ``keys``; rows that left the window go (a range on the ``at`` index)."""
    now = now or timezone.now()
    FormAttempt.objects.filter(at__lte=now - _window()).delete()
    FormAttempt.objects.bulk_create(
        [FormAttempt(form=form, scope=key.scope, key_hash=_hash(form, key), at=now) for key in keys if key.value]
    )
