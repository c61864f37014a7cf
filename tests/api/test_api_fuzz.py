"""Property-based API conformance: Schemathesis generates requests from the OpenAPI document and
checks every answer: never a 5xx, always a status, content type and body the document describes.

The budget is small and derandomised (the same few examples per operation on every run), so
this runs in `make test`; raise RANGKUL_FUZZ_EXAMPLES locally for a deeper search.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.contributions.tests.factories import member
from rangkul.core.api_types import MONTH_PATTERN

EXAMPLES = int(os.environ.get("RANGKUL_FUZZ_EXAMPLES", "4"))
# What the answers must be: never a 5xx, and only statuses, content types, headers and bodies the
# document describes. Besides valid requests the fuzzer sends requests the document forbids (a
# wrong type, a value outside an enum, a pattern or a range, a missing field): each must be refused
# (negative_data_rejection), so the document may not describe an input more loosely than the API
# checks it. (A valid-looking request may still be refused for a business reason, such as a month
# without contribution rules, so schema-valid requests are not required to succeed.)
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def partner_key(db, regions):
    """A partner's key, with one member it may see, so that reads reach real data."""
    member(organisation_code="fuzz")
    return api_key_create(actor=Actor.system("system"), name="Fuzz partner", organisation_code="fuzz")


@pytest.fixture(autouse=True)
def _one_connection_per_test():
    """The WSGI application runs in the test's own transaction, as Django's test client does:
    a finished request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document as the running application serves it (no database needed to build it).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, partner_key):
    # Identity encoding: the WSGI transport hands the checks the raw body, and pages are gzipped on request.
    headers = {"Authorization": f"Bearer {partner_key}", "Accept-Encoding": "identity"}
    case.call_and_validate(headers=headers, checks=CHECKS)


@pytest.mark.parametrize("on", ["1899-12-31", "0001-01-01", "1900-01-01", "9999-12-31"])
def test_coverage_on_any_calendar_day_is_an_answer_not_a_500(client, partner_key, on):
    number = member(organisation_code="fuzz").membership_number
    response = client.get(
        f"/api/v1/workers/{number}/coverage", {"on": on}, headers={"Authorization": f"Bearer {partner_key}"}
    )
    assert response.status_code == 200
    assert response.json()["covered"] is False and response.json()["programs"] == []


def test_the_document_describes_the_callbacks_real_request():
    document = schema.raw_schema
    callback = document["paths"]["/api/v1/payments/callbacks/{channel}"]["post"]
    assert callback["requestBody"]["required"] is True
    assert callback["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
    headers = {p["name"] for p in callback["parameters"] if p["in"] == "header"}
    assert headers == {"X-Callback-Token"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = {str(code) for code in operation["responses"]}
            assert {"400", "413", "422"} <= statuses, (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= statuses, (method, path)


def test_the_document_describes_inputs_as_strictly_as_the_api_checks_them():
    document = schema.raw_schema
    components = document["components"]["schemas"]
    quote = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/quote"]["get"]["parameters"]}
    assert quote["month"]["pattern"] == MONTH_PATTERN
    # Each body has its own schema: a member's bill takes "months", a sponsorship's bill a "month".
    bill_body = document["paths"]["/api/v1/workers/{membership_number}/bills"]["post"]["requestBody"]
    bill_schema = components[bill_body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert bill_schema["required"] == ["months"] and bill_schema["properties"]["months"]["maximum"] == 12
    worker = components["WorkerIn"]["properties"]
    assert worker["sex"]["enum"] == ["M", "F"]
    assert worker["payment_period_months"]["maximum"] == 12
    assert "spouse" in components["HeirIn"]["properties"]["relationship"]["enum"]


@pytest.mark.parametrize(
    ("field", "value"),
    [(None, None), ("jht", "true"), ("declared_income_idr", "1500000"), ("birth_date", 0), ("heir_birth_date", 0)],
)
def test_the_api_refuses_values_the_document_forbids(client, regions, field, value):
    body = {
        "nik": "3374011705900001",
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-17",
        "sex": "M",
        "phone": "081234567890",
        "village_code": "33.74.01.1001",
        "occupation": "ojek_online",
        "declared_income_idr": 1500000,
        "jht": True,
        "heirs": [{"full_name": "Siti Aminah", "relationship": "spouse", "birth_date": "1992-03-09"}],
    }
    if field == "heir_birth_date":
        body["heirs"][0]["birth_date"] = value
    elif field is not None:
        body[field] = value
    key = api_key_create(actor=Actor.system("system"), name="Strict", organisation_code="strict")
    response = client.post(
        "/api/v1/workers", body, content_type="application/json", headers={"Authorization": f"Bearer {key}"}
    )
    if field is None:  # the same body with well-typed values is a registration
        assert response.status_code == 201, response.content
        return
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "fields"}
