"""Rupiah as integers.

All amounts are whole rupiah (``int``, field names ending in ``_idr``); rates
are ``Decimal``. Rounding happens once per line, through ``round_idr``, with
one rule: half up to the whole rupiah (the rupiah has no sub-unit in use).
"""

from __future__ import annotations

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
