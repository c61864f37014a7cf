"""Channel adapters without the database: amounts and signatures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from rangkul.payments.channels import CallbackUnreadable, amount_parse, callback_authentic, midtrans_signature
from rangkul.payments.models import AuthStyle, Channel

SERVER_KEY = "SB-Mid-server-key"


@given(st.integers(min_value=1, max_value=10**12))
def test_whole_rupiah_amounts_are_read_in_every_form(amount):
    assert amount_parse(amount, field="a") == amount
    assert amount_parse(str(amount), field="a") == amount
    assert amount_parse(f"{amount}.00", field="a") == amount


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**9), places=2, allow_nan=False))
def test_fractions_of_a_rupiah_are_refused(amount):
    if amount == amount.to_integral_value():
        assert amount_parse(str(amount), field="a") == int(amount)
    else:
        with pytest.raises(CallbackUnreadable):
            amount_parse(str(amount), field="a")


@pytest.mark.parametrize("value", [0, -5, "abc", "", None, True, "1e3x"])
def test_not_amounts(value):
    with pytest.raises(CallbackUnreadable):
        amount_parse(value, field="a")


def _midtrans() -> Channel:
    return Channel(code="midtrans", auth_style=AuthStyle.SIGNATURE_SHA512, secret_env="RANGKUL_CHANNEL_MIDTRANS_SECRET")


def _body(order_id: str, status_code: str, gross_amount: str) -> dict[str, str]:
    return {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": gross_amount,
        "signature_key": midtrans_signature(
            order_id=order_id, status_code=status_code, gross_amount=gross_amount, server_key=SERVER_KEY
        ),
    }


@given(
    order_id=st.text(alphabet="0123456789", min_size=16, max_size=16),
    amount=st.integers(min_value=1, max_value=10**9),
    field=st.sampled_from(["order_id", "status_code", "gross_amount"]),
)
@override_settings(CHANNEL_MIDTRANS_SECRET=SERVER_KEY)
def test_any_change_to_a_signed_field_breaks_the_signature(order_id, amount, field):
    channel = _midtrans()
    body = _body(order_id, "200", f"{amount}.00")
    assert callback_authentic(channel, headers={}, body=body)
    tampered = {**body, field: body[field] + "1"}
    assert not callback_authentic(channel, headers={}, body=tampered)


@override_settings(CHANNEL_MIDTRANS_SECRET=SERVER_KEY)
def test_signature_without_the_fields_is_refused():
    channel = _midtrans()
    assert not callback_authentic(channel, headers={}, body={"signature_key": "00"})
    assert not callback_authentic(channel, headers={}, body={**_body("1", "200", "1.00"), "signature_key": 5})
