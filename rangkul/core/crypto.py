"""NIK protection: sealing, keyed lookup hash and masking.

* Sealing is AES-256-GCM (``cryptography``) with a random 96-bit nonce. A sealed
  value is ``"<key_id>$<base64(nonce || ciphertext+tag)>"`` so that keys can be
  rotated: the first key in ``NIK_SEAL_KEYS`` seals, every listed key opens, and
  ``needs_reseal`` tells which rows to re-seal after a rotation. The purpose
  (``"nik"``, ``"heir_nik"``) is bound as associated data so that a sealed
  value cannot be moved to another column unnoticed.
* The lookup hash is HMAC-SHA256 under ``NIK_HASH_KEY``: equal NIKs give equal
  hashes (uniqueness, search) while the hash alone reveals nothing without the
  key. See docs/adr/0003-nik-protection.md for rotating that key.
* Masking keeps only the regency prefix: ``3374 •••• •••• ••••``. Digits 5–12
  (district and birth date) are shown beside the mask anyway and the serial
  (13–16) is the only part nobody can guess, so neither is ever printed; the
  prefix alone adds nothing a page does not already say.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "••••"
_DIGITS_16 = re.compile(r"^\d{16}$")


class SealError(Exception):
    """A sealed value could not be opened (wrong key, tampered, unknown key id)."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]


def _decode_key(raw: str, *, name: str) -> bytes:
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes.")
    return key


def parse_key_ring(value: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, raw = item.partition(":")
        if not sep or not key_id or "$" in key_id:
            raise ImproperlyConfigured("RANGKUL_NIK_SEAL_KEYS entries must look like key_id:base64key.")
        keys[key_id] = _decode_key(raw, name=f"RANGKUL_NIK_SEAL_KEYS[{key_id}]")
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("RANGKUL_NIK_SEAL_KEYS is empty.")
    return KeyRing(current_id=order[0], keys=keys)


@lru_cache(maxsize=4)
def _key_ring(value: str) -> KeyRing:
    return parse_key_ring(value)


@lru_cache(maxsize=4)
def _hash_key(value: str) -> bytes:
    return _decode_key(value, name="RANGKUL_NIK_HASH_KEY")


def key_ring() -> KeyRing:
    return _key_ring(settings.NIK_SEAL_KEYS)


def seal(plaintext: str, *, purpose: str = "nik") -> str:
    ring = key_ring()
    nonce = os.urandom(12)
    ciphertext = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{ring.current_id}${base64.b64encode(nonce + ciphertext).decode()}"


def unseal(sealed: str, *, purpose: str = "nik") -> str:
    key_id, sep, payload = sealed.partition("$")
    ring = key_ring()
    if not sep or key_id not in ring.keys:
        raise SealError("unknown key id")
    try:
        blob = base64.b64decode(payload, validate=True)
        plaintext = AESGCM(ring.keys[key_id]).decrypt(blob[:12], blob[12:], purpose.encode())
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise SealError("sealed value could not be opened") from exc
    return plaintext.decode()


def needs_reseal(sealed: str) -> bool:
    return sealed.partition("$")[0] != key_ring().current_id


def reseal(sealed: str, *, purpose: str = "nik") -> str:
    """Open with whichever key sealed it and seal again with the current key."""
    return seal(unseal(sealed, purpose=purpose), purpose=purpose)


def lookup_hash(value: str, *, purpose: str = "nik") -> str:
    """Keyed hash (hex, 64 chars) used for uniqueness and exact search."""
    message = f"{purpose}:{value.strip()}".encode()
    return hmac.new(_hash_key(settings.NIK_HASH_KEY), message, hashlib.sha256).hexdigest()


def mask_nik(nik: str | None) -> str:
    """``3374010101900001`` → ``3374 •••• •••• ••••``; anything else is fully masked.

    The one masking helper for screens, API responses, audit rows, exports and
    reports: never the serial, never the birth date.
    """
    if not nik:
        return ""
    digits = nik.strip()
    if not _DIGITS_16.match(digits):
        return f"{MASK} {MASK} {MASK} {MASK}"
    return f"{digits[:4]} {MASK} {MASK} {MASK}"


def mask_phone(phone: str | None) -> str:
    """``+6281234567890`` → ``+62812••••7890``."""
    if not phone:
        return ""
    value = phone.strip()
    if len(value) <= 7:
        return MASK
    return f"{value[:6]}{MASK}{value[-4:]}"


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
