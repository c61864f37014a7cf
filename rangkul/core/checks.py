from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from rangkul.core import crypto


@register(Tags.security)
def check_nik_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    try:
        crypto.parse_key_ring(settings.NIK_SEAL_KEYS)
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="rangkul.E001"))
    try:
        crypto._decode_key(settings.NIK_HASH_KEY, name="RANGKUL_NIK_HASH_KEY")
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="rangkul.E002"))
    if settings.ENV == "production" and (
        settings.NIK_SEAL_KEYS == settings._DEV_NIK_SEAL_KEYS or settings.NIK_HASH_KEY == settings._DEV_NIK_HASH_KEY
    ):
        errors.append(Error("Production must not use the development NIK keys.", id="rangkul.E003"))
    return errors
