"""Input types for API schemas that the OpenAPI document describes as strictly as they are checked.

A JSON number is not a date (pydantic would read ``0`` as 1970-01-01), and a contribution month is
written ``YYYY-MM``; the document says so, and a property-based fuzzer holds the API to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator

# A contribution month as the API takes it: four-digit year, two-digit month.
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONTH_SCHEMA: dict[str, Any] = {"pattern": MONTH_PATTERN, "examples": ["2026-01"]}


def _date_text_only(value: Any) -> Any:
    """Let through text (parsed as an ISO date next) and date objects; refuse numbers and the rest."""
    if isinstance(value, (str, dt.date)) or value is None:
        return value
    raise ValueError("a date is written YYYY-MM-DD")  # pydantic reports a ValueError as a 422


IsoDate = Annotated[dt.date, BeforeValidator(_date_text_only)]
