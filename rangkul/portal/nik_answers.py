"""How often self-registration may answer "this NIK is already registered".

The identity step says at once when a NIK cannot be registered again, so nobody fills in four more
steps for nothing (issue 16.4). It comes after the mobile number, verified by a one-time code
(ADR 0043): without a verified number in the session nothing is ever said about a NIK, and every
answer is bound to that number. So that the answer is no cheap way to learn who is registered,
each is counted:

- per client address, every early check (``REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR``);
- per NIK, every early check about it, from anywhere (``REGISTRATION_NIK_CHECKS_PER_NIK_PER_DAY``);
- per verified mobile number, every "already registered" answer it receives, early or at review
  (``REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY``); one verified code also allows only
  ``REGISTRATION_NIK_TRIES_PER_CODE`` of them before the number must be verified again, which
  drops the NIK from the registration.

Past the client, NIK or number allowance the identity step lets the visitor on, exactly as for a
new NIK, and the answer waits for the review step. Past the number's allowance the review step
registers nobody with that number that day, whatever the NIK. None of these refusals depends on
whether the NIK is registered. Counters are keyed by a keyed hash: no NIK, number or address
appears in a cache key. They live in Django's cache: use a shared cache (Redis, Memcached or the
database) in production, or each process counts on its own.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from rangkul.core.crypto import lookup_hash
from rangkul.core.middleware import client_ip
from rangkul.portal import wizard as wz
from rangkul.registry.selectors import worker_find_by_nik

HOUR = 3600
DAY = 24 * HOUR
_PURPOSE = "portal_nik_answers"


def _key(kind: str, value: str) -> str:
    return f"portal:nik-answers:{kind}:{lookup_hash(f'{kind}:{value}', purpose=_PURPOSE)}"


def _count(key: str, seconds: int) -> int:
    """Add one to a counter that starts when first used and is forgotten ``seconds`` later."""
    cache.add(key, 0, seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return 1


def early_check_allowed(*, nik: str, client_ip: str | None) -> bool:
    """Count one early check of ``nik`` from this client; whether both are within their allowance."""
    by_client = _count(_key("client", client_ip or "unknown"), HOUR)
    by_nik = _count(_key("nik", nik), DAY)
    return (
        by_client <= settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR
        and by_nik <= settings.REGISTRATION_NIK_CHECKS_PER_NIK_PER_DAY
    )


def phone_allowance_spent(*, phone: str) -> bool:
    """Whether this verified number has had all the "already registered" answers it may have today."""
    used = int(cache.get(_key("phone", phone), 0))
    return used >= settings.REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY


def phone_answer_given(*, phone: str) -> None:
    """Count one "already registered" answer given to this verified number."""
    _count(_key("phone", phone), DAY)


def taken_early(request: HttpRequest, wizard: wz.Wizard, nik: str) -> bool:
    """Whether the identity step says now that the NIK is a member's: only to a verified number,
    within every allowance, and then counted against that number.

    Outside them the visitor goes on as with any NIK, and the review step answers. Without a
    verified number nothing is checked or counted (the identity step is not reachable then).
    """
    phone = wizard.verified_phone()
    if not phone or phone_allowance_spent(phone=phone):
        return False
    if not early_check_allowed(nik=nik, client_ip=client_ip(request)):
        return False
    taken = worker_find_by_nik(nik=nik) is not None
    if taken:
        phone_answer_given(phone=phone)
    return taken


def code_allowance_spent(wizard: wz.Wizard) -> bool:
    """Counts a NIK found registered (early or at review); past the limit the verification is spent.

    One verified code must not let anyone learn, NIK after NIK, who is registered: after
    ``REGISTRATION_NIK_TRIES_PER_CODE`` such answers the number has to be verified again, and
    codes are limited per number and per address.
    """
    contact = dict(wizard.get("kontak"))
    contact["nik_conflicts"] = int(contact.get("nik_conflicts", 0)) + 1
    if contact["nik_conflicts"] < settings.REGISTRATION_NIK_TRIES_PER_CODE:
        wizard.put("kontak", contact)
        return False
    wizard.phone_unverified(phone=str(contact.get("phone", "")), sent=False)
    return True
