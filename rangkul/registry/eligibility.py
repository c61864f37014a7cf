"""Who may register: the limits come from the dated rule tables, read through one source.

The rule book lives in ``contributions``, a layer above the registry; the contributions app
hands its reader to ``registration_rules_source`` when it starts (``ContributionsConfig.ready``),
so the registry applies the rule book's age limits and lowest income without importing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class RegistrationRules:
    min_age: int  # at least this old at registration
    max_age: int  # registration is open to people under this age
    lowest_income_idr: int  # the lowest declared-income level of the rule table


_source: Callable[[dt.date], RegistrationRules] | None = None


def registration_rules_source(source: Callable[[dt.date], RegistrationRules]) -> None:
    """Set where the rules come from (the rule book's reader); called once at start-up."""
    global _source
    _source = source


def registration_rules(day: dt.date) -> RegistrationRules:
    """The registration limits of the rule version in force on ``day``."""
    if _source is None:
        raise ImproperlyConfigured("No source of registration rules: is rangkul.contributions installed?")
    return _source(day)
