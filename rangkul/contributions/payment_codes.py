"""Payment codes: 16 digits, a fixed prefix, random digits and a Luhn check digit.

The check digit lets a channel (bank teller, minimarket till, e-wallet) reject
a mistyped code before it reaches us. Codes are unique (database constraint);
a collision simply draws again.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

PREFIX = "88"
LENGTH = 16


_RANDOM_DIGITS = LENGTH - len(PREFIX) - 1


def payment_code_generate() -> str:
    # One draw for all the random digits (uniform over them, as one draw per digit is).
    body = PREFIX + str(secrets.randbelow(10**_RANDOM_DIGITS)).zfill(_RANDOM_DIGITS)
    return body + luhn.calc_check_digit(body)


def payment_code_is_valid(code: str) -> bool:
    digits = (code or "").replace(" ", "")
    return len(digits) == LENGTH and digits.isdigit() and digits.startswith(PREFIX) and luhn.is_valid(digits)


def payment_code_format(code: str) -> str:
    """``8812345678901234`` → ``8812 3456 7890 1234`` for reading aloud and typing."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
