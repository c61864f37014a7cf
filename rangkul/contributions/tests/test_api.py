from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

URL = "/api/v1/quote"


def test_quote_is_public_and_shaped(client):
    response = client.get(
        URL, {"declared_income_idr": 1_000_000, "jht": "true", "sector": "transport", "month": "2026-05"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "total_idr": 28_400,
        "lines": [
            {"program": "JKK", "amount_idr": 5_000, "discount_idr": 5_000},
            {"program": "JKM", "amount_idr": 3_400, "discount_idr": 3_400},
            {"program": "JHT", "amount_idr": 20_000, "discount_idr": 0},
        ],
    }


def test_regional_budget_sponsor_pays_in_full(client):
    response = client.get(
        URL,
        {
            "declared_income_idr": 1_000_000,
            "jht": "false",
            "sector": "non_transport",
            "month": "2026-05",
            "sponsor_kind": "regional_budget",
        },
    )
    assert response.json()["total_idr"] == 16_800


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"declared_income_idr": 500_000, "sector": "transport", "month": "2026-05"}, "declared_income_idr"),
        ({"declared_income_idr": "abc", "sector": "transport", "month": "2026-05"}, "declared_income_idr"),
        ({"declared_income_idr": 1_000_000, "sector": "boats", "month": "2026-05"}, "sector"),
        ({"declared_income_idr": 1_000_000, "sector": "transport", "month": "2026-13"}, "month"),
        ({"declared_income_idr": 1_000_000, "sector": "transport", "month": "May"}, "month"),
        ({"declared_income_idr": 1_000_000, "sector": "transport", "month": "2019-01"}, "month"),
        ({"declared_income_idr": 1_000_000, "sector": "transport"}, "month"),
        ({"declared_income_idr": 1_000_000, "sector": "transport", "month": "2026-05", "jht": "maybe"}, "jht"),
        (
            {"declared_income_idr": 1_000_000, "sector": "transport", "month": "2026-05", "sponsor_kind": "x"},
            "sponsor_kind",
        ),
        ({"declared_income_idr": 10**15, "sector": "transport", "month": "2026-05"}, "declared_income_idr"),
    ],
)
def test_bad_input_is_422_with_field_messages(client, params, field):
    response = client.get(URL, params)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"]


def test_quote_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/quote" in schema["paths"]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    income=st.one_of(st.integers(-(10**16), 10**16).map(str), st.text(max_size=12)),
    jht=st.one_of(st.sampled_from(["true", "false", "1", "0"]), st.text(max_size=5)),
    sector=st.one_of(st.sampled_from(["transport", "non_transport"]), st.text(max_size=12)),
    month=st.one_of(
        st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 99)), st.text(max_size=8)
    ),
)
def test_quote_never_fails_with_a_server_error(client, income, jht, sector, month):
    response = client.get(URL, {"declared_income_idr": income, "jht": jht, "sector": sector, "month": month})
    assert response.status_code in (200, 422), response.content
    body = response.json()
    if response.status_code == 200:
        assert body["total_idr"] == sum(line["amount_idr"] for line in body["lines"])
    else:
        assert set(body) == {"code", "message", "fields"}
