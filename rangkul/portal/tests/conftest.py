from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from rangkul.messaging.backends import locmem
from rangkul.registry.models import Occupation


@pytest.fixture
def sms(settings):
    """The in-memory SMS outbox; ``sms.code_for(phone)`` is the last code texted to a number."""
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()

    class Outbox:
        messages = locmem.outbox

        @staticmethod
        def code_for(phone: str) -> str:
            for message in reversed(locmem.messages_to(phone)):
                match = re.search(r"\b(\d{6})\b", message.body)
                if match and message.purpose.startswith("otp"):
                    return match.group(1)
            raise AssertionError(f"no code was texted to {phone}")

    yield Outbox
    locmem.clear()


@pytest.fixture
def occupations(db):
    """The seeded catalogue, recreated when a transactional test flushed it."""
    for code, name, sector in (("pedagang", "Pedagang", "non_transport"), ("ojek_online", "Ojek online", "transport")):
        Occupation.objects.get_or_create(code=code, defaults={"name": name, "sector": sector})


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The early NIK-check allowance is counted in the cache, per client address."""
    cache.clear()
    yield
    cache.clear()
