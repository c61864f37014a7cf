"""Contribution months.

A ``Period`` is one contribution month (``YYYY-MM``). In the database it is a
``DateField`` holding the first day of the month (``PeriodField``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError("month must be 1..12")
        if not 1900 <= self.year <= 9999:
            raise ValueError("year out of range")

    @classmethod
    def parse(cls, value: str) -> Period:
        """``"2026-03"`` → ``Period(2026, 3)``; ``ValueError`` on anything else."""
        match = _PERIOD_RE.match(value.strip()) if isinstance(value, str) else None
        if not match:
            raise ValueError("expected YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        # Months are few and immutable: each is built once and shared (hot in bulk runs).
        found = _KNOWN.get(day.year * 12 + day.month - 1)
        return found if found is not None else cls.from_index(day.year * 12 + day.month - 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return (self + 1).first_day - dt.timedelta(days=1)

    @property
    def index(self) -> int:
        """Months since year 0: makes arithmetic and distances trivial."""
        return self.year * 12 + (self.month - 1)

    @classmethod
    def from_index(cls, index: int) -> Period:
        found = _KNOWN.get(index)
        if found is None:
            found = cls(index // 12, index % 12 + 1)
            if len(_KNOWN) < _KNOWN_MAX:
                _KNOWN[index] = found
        return found

    def __add__(self, months: int) -> Period:
        return Period.from_index(self.index + months)

    def __sub__(self, other: Period | int) -> Any:
        if isinstance(other, Period):
            return self.index - other.index
        return Period.from_index(self.index - other)

    def day(self, day: int) -> dt.date:
        return dt.date(self.year, self.month, day)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


_KNOWN: dict[int, Period] = {}
_KNOWN_MAX = 12 * 400  # every month of four centuries: far more than any run meets


def period_range(start: Period, count: int) -> Iterator[Period]:
    for offset in range(count):
        yield start + offset


class PeriodField(models.DateField):
    """Stores a ``Period`` as the first day of its month."""

    description = "Contribution month (first day of the month)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Period | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return Period.of(value)

    def to_python(self, value: Any) -> Period | None:
        if value is None or isinstance(value, Period):
            return value
        if isinstance(value, dt.date):
            return Period.of(value)
        if isinstance(value, str) and _PERIOD_RE.match(value.strip()):
            return Period.parse(value)
        parsed = super().to_python(value)
        return Period.of(parsed) if parsed else None

    def get_prep_value(self, value: Any) -> Any:
        # A date or "YYYY-MM" means its month; the column always holds the month's first day.
        if isinstance(value, (Period, dt.date, str)):
            period = self.to_python(value)
            return period.first_day if period is not None else None
        return super().get_prep_value(value)

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)
