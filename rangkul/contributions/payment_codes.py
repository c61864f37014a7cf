"""Payment codes: 16 digits, a fixed prefix, the code's digits and a Luhn check digit.

A bill's code (prefix ``88``) has random digits and is valid until the bill expires; codes
are unique (database constraint) and a collision simply draws again. A member's standing
code (prefix ``89``, ADR 0047) carries the membership number and never changes: like a
fixed virtual account it takes any amount, allocated as every payment of the member is.
The check digit lets a channel (bank teller, minimarket till, e-wallet) reject a mistyped
code before it reaches us.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

from rangkul.registry.membership import LENGTH as MEMBERSHIP_LENGTH

PREFIX = "88"
MEMBER_PREFIX = "89"
LENGTH = 16


_RANDOM_DIGITS = LENGTH - len(PREFIX) - 1


def payment_code_generate() -> str:
    # One draw for all the random digits (uniform over them, as one draw per digit is).
    body = PREFIX + str(secrets.randbelow(10**_RANDOM_DIGITS)).zfill(_RANDOM_DIGITS)
    return body + luhn.calc_check_digit(body)


def payment_code_is_valid(code: str) -> bool:
    """A bill's code: the bill prefix, 16 digits and a valid check digit."""
    digits = (code or "").replace(" ", "")
    return len(digits) == LENGTH and digits.isdigit() and digits.startswith(PREFIX) and luhn.is_valid(digits)


def member_payment_code(membership_number: str) -> str:
    """The member's standing code: the member prefix, the membership number (zero-filled) and a check digit."""
    body = MEMBER_PREFIX + membership_number.zfill(_RANDOM_DIGITS)
    return body + luhn.calc_check_digit(body)


def membership_number_of_code(code: str) -> str | None:
    """The membership number a standing code carries, or ``None`` for any other code (a bill's, a mistyped one)."""
    digits = (code or "").replace(" ", "")
    if not (len(digits) == LENGTH and digits.isdigit() and digits.startswith(MEMBER_PREFIX) and luhn.is_valid(digits)):
        return None
    number = digits[len(MEMBER_PREFIX) : -1].lstrip("0")
    return number if len(number) == MEMBERSHIP_LENGTH else None


def payment_code_format(code: str) -> str:
    """``8812345678901234`` → ``8812 3456 7890 1234`` for reading aloud and typing."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
