from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from rangkul.core import crypto

NIK = "3374014101900001"
KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


def test_seal_round_trip_and_ciphertext_hides_the_nik():
    sealed = crypto.seal(NIK)
    assert NIK not in sealed
    assert crypto.unseal(sealed) == NIK
    assert crypto.seal(NIK) != sealed, "a fresh nonce every time"


def test_tampered_or_moved_values_do_not_open():
    sealed = crypto.seal(NIK)
    key_id, _, payload = sealed.partition("$")
    blob = bytearray(base64.b64decode(payload))
    blob[-1] ^= 1
    with pytest.raises(crypto.SealError):
        crypto.unseal(f"{key_id}${base64.b64encode(bytes(blob)).decode()}")
    with pytest.raises(crypto.SealError):
        crypto.unseal(sealed, purpose="heir_nik")
    with pytest.raises(crypto.SealError):
        crypto.unseal("unknown$" + payload)


def test_key_rotation_opens_old_values_and_reseals_with_the_new_key(settings):
    settings.NIK_SEAL_KEYS = f"old:{KEY_A}"
    old = crypto.seal(NIK)
    settings.NIK_SEAL_KEYS = f"new:{KEY_B},old:{KEY_A}"
    assert crypto.unseal(old) == NIK
    assert crypto.needs_reseal(old)
    fresh = crypto.reseal(old)
    assert fresh.startswith("new$")
    assert not crypto.needs_reseal(fresh)
    settings.NIK_SEAL_KEYS = f"new:{KEY_B}"
    assert crypto.unseal(fresh) == NIK
    with pytest.raises(crypto.SealError):
        crypto.unseal(old)


@pytest.mark.parametrize("value", ["", "nokey", "k1:not-base64!", f"k1:{base64.b64encode(b'short').decode()}"])
def test_bad_key_rings_are_refused(value):
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_key_ring(value)


def test_lookup_hash_is_keyed_and_stable(settings):
    first = crypto.lookup_hash(NIK)
    assert first == crypto.lookup_hash(f" {NIK} ")
    assert len(first) == 64
    assert NIK not in first
    assert crypto.lookup_hash(NIK, purpose="heir_nik") != first
    settings.NIK_HASH_KEY = KEY_B
    assert crypto.lookup_hash(NIK) != first


def test_masks():
    assert crypto.mask_nik(NIK) == "3374 •••• •••• ••••"
    assert crypto.mask_nik("123") == "•••• •••• •••• ••••"
    assert crypto.mask_nik("") == ""
    assert crypto.mask_phone("+6281234567890") == "+62812••••7890"
    assert crypto.mask_phone("12345") == "••••"


@given(st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_mask_shows_only_the_regency_prefix(nik):
    """Birth date and district are shown beside the mask; the serial is the secret, so it never is."""
    masked = crypto.mask_nik(nik)
    assert masked == f"{nik[:4]} •••• •••• ••••"
    assert sum(ch.isdigit() for ch in masked) == 4
