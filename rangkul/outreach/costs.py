"""What a campaign's messages cost, and the cost per conversion, from per-message prices kept as data
(``data/message_prices.json``, dated rows: a campaign is priced by the row in force when it was approved)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "message_prices.json"


@cache
def _rows() -> tuple[tuple[dt.date, dict[str, int]], ...]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    rows = [
        (dt.date.fromisoformat(row["from"]), {k: int(v) for k, v in row.items() if k != "from"})
        for row in data["prices"]
    ]
    return tuple(sorted(rows, key=lambda row: row[0]))


def message_price_idr(channel: str, day: dt.date) -> int:
    """The price of one message on ``channel`` on ``day`` (0 before the first row: unknown, not free)."""
    price = 0
    for start, prices in _rows():
        if start <= day:
            price = prices.get(channel, 0)
    return price


@dataclass(frozen=True)
class CampaignCost:
    messages: dict[str, int]  # messages handed to the provider, by channel (SMS copies included)
    total_idr: int
    per_conversion_idr: int | None  # total ÷ members of the message group who converted
    per_extra_conversion_idr: int | None  # total ÷ conversions the campaign added over control


def campaign_cost(
    *, messages: dict[str, int], day: dt.date, converted: int, extra_conversions: float | None
) -> CampaignCost:
    total = sum(message_price_idr(channel, day) * count for channel, count in messages.items())
    per = round(total / converted) if converted else None
    per_extra = round(total / extra_conversions) if extra_conversions and extra_conversions > 0 else None
    return CampaignCost(messages=messages, total_idr=total, per_conversion_idr=per, per_extra_conversion_idr=per_extra)
