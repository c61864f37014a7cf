from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from rangkul.core.crypto import mask_nik as _mask_nik
from rangkul.core.crypto import mask_phone as _mask_phone
from rangkul.core.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(value: int | None) -> str:
    """``{{ 16800|rupiah }}`` → ``Rp16.800``."""
    if value in (None, ""):
        return ""
    try:
        return format_rupiah(int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.filter
def mask_nik(value: str | None) -> str:
    return _mask_nik(value)


@register.filter
def mask_phone(value: str | None) -> str:
    return _mask_phone(value)


# Indonesia's three time zones by province code (Kemendagri): WITA for Bali, Nusa Tenggara, the
# eastern half of Kalimantan and Sulawesi; WIT for Maluku and Papua; WIB elsewhere.
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
_ZONES = {
    "WIB": zoneinfo.ZoneInfo("Asia/Jakarta"),
    "WITA": zoneinfo.ZoneInfo("Asia/Makassar"),
    "WIT": zoneinfo.ZoneInfo("Asia/Jayapura"),
}


def zone_for_region(region_code: str | None) -> str:
    """``"WIB"``, ``"WITA"`` or ``"WIT"`` for a region code (any level: "91", "91.71.01.1001")."""
    province = (region_code or "")[:2]
    if province in _WIT_PROVINCES:
        return "WIT"
    if province in _WITA_PROVINCES:
        return "WITA"
    return "WIB"


@register.filter
def waktu(value: dt.datetime | None, region_code: str | None = None) -> str:
    """``{{ bill.expires_at|waktu:worker.village_id }}`` → ``7 Desember 2026 14.30 WITA``.

    A time always says which of Indonesia's zones it is in: the member's own (from their
    region), Jakarta's (WIB) otherwise.
    """
    if not isinstance(value, dt.datetime):
        return ""
    zone = zone_for_region(region_code)
    local = timezone.localtime(value, _ZONES[zone])
    return f"{date_format(local, 'j F Y')} {local:%H.%M} {zone}"
