from __future__ import annotations

from django import template

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
