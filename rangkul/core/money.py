"""Rupiah as integers.

All amounts are whole rupiah (``int``, field names ending in ``_idr``); rates
are ``Decimal``. Rounding happens once per line, through ``round_idr``, with
one rule: half up to the whole rupiah (the rupiah has no sub-unit in use).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

ZERO = 0


def round_idr(amount: Decimal | int) -> int:
    """Round an exact amount to whole rupiah, halves away from zero."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apply_rate(amount_idr: int, rate: Decimal) -> int:
    """``amount_idr × rate``, rounded once."""
    return round_idr(Decimal(amount_idr) * rate)


def format_rupiah(amount_idr: int | None) -> str:
    """``16800`` → ``Rp16.800`` (Indonesian grouping with dots, no decimals)."""
    if amount_idr is None:
        return ""
    sign = "-" if amount_idr < 0 else ""
    grouped = f"{abs(int(amount_idr)):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"


_RUPIAH_PREFIX = re.compile(r"^\s*(?:rp\.?|idr)\s*", re.IGNORECASE)
_RUPIAH_NO_CENTS = re.compile(r",(?:-+|0{1,2})\s*$")
_RUPIAH_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


def parse_rupiah(text: str) -> int | None:
    """Read an amount as Indonesians write it: ``1500000``, ``1.500.000``, ``Rp1.500.000``, ``Rp 1.500.000,-``.

    The dot groups thousands and the comma starts the (unused) sen, so ``1.500`` is fifteen
    hundred, never one and a half. Returns ``None`` for anything else (letters, sen other
    than zero, a misplaced dot).
    """
    value = _RUPIAH_PREFIX.sub("", str(text or "")).replace(" ", "").replace("\u00a0", "")
    value = _RUPIAH_NO_CENTS.sub("", value)
    if value.isdigit():
        return int(value)
    if _RUPIAH_GROUPED.match(value):
        return int(value.replace(".", ""))
    return None
