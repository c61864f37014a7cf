"""Membership numbers (nomor kepesertaan / KPJ): 11 digits, the last a Luhn check digit.

The ten leading digits are random rather than sequential so that numbers on
cards do not reveal how many people registered or let anyone guess a
neighbour's number; uniqueness is the database's unique constraint, and the
registration service retries on the (rare) collision.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

LENGTH = 11


def membership_number_new() -> str:
    body = str(10**9 + secrets.randbelow(9 * 10**9))  # ten digits, never a leading zero
    return body + luhn.calc_check_digit(body)


def membership_number_is_valid(value: str) -> bool:
    value = (value or "").strip()
    return len(value) == LENGTH and value.isascii() and value.isdigit() and luhn.is_valid(value)
