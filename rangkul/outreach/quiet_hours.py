"""Quiet hours in the member's own time: WIB, WITA or WIT, from the province code (data/province_timezones.json).

No campaign message is sent between ``OUTREACH_QUIET_START_HOUR`` (21:00) and
``OUTREACH_QUIET_END_HOUR`` (07:00) local time; a message due inside that window is
moved to the end of it. The province is the first two digits of the member's village code.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

_DATA = Path(__file__).with_name("data") / "province_timezones.json"


@cache
def _table() -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return data["zones"], data["provinces"]


def zone_name(province_code: str) -> str:
    """``WIB``, ``WITA`` or ``WIT`` for a province code (``33``, or any longer region code)."""
    _zones, provinces = _table()
    code = (province_code or "")[:2]
    if code in provinces:
        return provinces[code]
    return zone_fallback(code)


def zone_for(province_code: str) -> ZoneInfo:
    zones, _provinces = _table()
    return ZoneInfo(zones[zone_name(province_code)])


def zone_provinces() -> dict[str, str]:
    """Province code → zone name, as listed in the data file (others fall back by first digit)."""
    _zones, provinces = _table()
    return dict(provinces)


def zone_fallback(province_code: str) -> str:
    """The zone of a province code not listed in the data file, from its first digit."""
    first = (province_code or "")[:1]
    return "WIT" if first in {"8", "9"} else "WITA" if first in {"5", "7"} else "WIB"


def zone_names() -> tuple[str, ...]:
    zones, _provinces = _table()
    return tuple(zones)


def in_quiet_hours(when: dt.datetime, province_code: str) -> bool:
    return _quiet_in(when, zone_for(province_code))


def _quiet_in(when: dt.datetime, zone: ZoneInfo) -> bool:
    local = when.astimezone(zone)
    start, end = settings.OUTREACH_QUIET_START_HOUR, settings.OUTREACH_QUIET_END_HOUR
    if start == end:
        return False
    if start > end:  # the window crosses midnight (21:00–07:00)
        return local.hour >= start or local.hour < end
    return start <= local.hour < end


def next_allowed(when: dt.datetime, province_code: str) -> dt.datetime:
    """``when`` itself, or the end of the quiet hours it falls in (in the member's time zone)."""
    return next_allowed_in_zone(when, zone_name(province_code))


def next_allowed_in_zone(when: dt.datetime, zone_code: str) -> dt.datetime:
    """``next_allowed`` for every province of one zone (``WIB``, ``WITA`` or ``WIT``)."""
    zones, _provinces = _table()
    zone = ZoneInfo(zones[zone_code])
    if not _quiet_in(when, zone):
        return when
    local = when.astimezone(zone)
    end = settings.OUTREACH_QUIET_END_HOUR
    day = local.date() if local.hour < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(end), tzinfo=zone).astimezone(dt.UTC)
