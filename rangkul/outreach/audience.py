"""The frozen audience of an approved campaign: who is in the control group and when each may be sent.

Both are defined here once, in Python, and computed in SQL by ``rangkul.outreach.sql`` so that a
campaign to a million members is one ``INSERT … SELECT`` (ADR 0041); the tests hold the two to
the same answer.

The control group is the ``control_size(n, percent)`` members with the lowest ``control_rank``:
a keyed mixing of the member id with the campaign's stored seed, using only integer
arithmetic that PostgreSQL and SQLite compute exactly as Python does (no overflow: every
product stays below 2⁶²).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from rangkul.outreach.quiet_hours import next_allowed_in_zone, zone_names

PRIME = 2_147_483_647  # 2³¹ − 1
SHIFT = 13


@dataclass(frozen=True)
class RankKey:
    """Two affine steps modulo a prime with a xor-shift between them, all drawn from the seed."""

    a: int
    b: int
    c: int
    d: int

    @classmethod
    def from_seed(cls, seed: int) -> RankKey:
        # Hashed first, so that neighbouring seeds (1, 2, …) give unrelated keys.
        digest = hashlib.sha256(str(int(seed)).encode()).digest()
        a, b, c, d = (int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8))
        return cls(a=1 + a % (PRIME - 1), b=b % PRIME, c=1 + c % (PRIME - 1), d=d % PRIME)


def control_rank(worker_id: int, key: RankKey) -> int:
    y = (key.a * (worker_id % PRIME) + key.b) % PRIME
    y ^= y >> SHIFT
    return (key.c * y + key.d) % PRIME


def control_size(audience: int, percent: int) -> int:
    """round(n × percent / 100), halves to even as Python's ``round`` does."""
    return round(audience * percent / 100)


def control_split(worker_ids: Sequence[int], *, percent: int, seed: int) -> tuple[list[int], list[int]]:
    """(sent, control): exactly ``control_size`` members, the lowest ranks, drawn into control."""
    key = RankKey.from_seed(seed)
    ranked = sorted(worker_ids, key=lambda pk: (control_rank(pk, key), pk))
    size = control_size(len(ranked), percent)
    return ranked[size:], ranked[:size]


def variant_of(position: int) -> str:
    """The version of the message for the ``position``-th member (from 0) of the message group in rank order."""
    return "a" if position % 2 == 0 else "b"


def send_after_by_zone(*, scheduled_for: dt.datetime, now: dt.datetime) -> dict[str, dt.datetime]:
    """The first moment each time zone may be sent: the schedule (never the past), out of quiet hours."""
    start = max(scheduled_for, now)
    return {zone: next_allowed_in_zone(start, zone) for zone in zone_names()}
