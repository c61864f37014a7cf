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
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rangkul.accounts.services import api_key_create
from rangkul.contributions.tests.factories import member

EXAMPLES = int(os.environ.get("RANGKUL_FUZZ_EXAMPLES", "4"))
# What the answers must be: never a 5xx, and only statuses, content types, headers and bodies the
# document describes. (How strictly the document describes the inputs is left to the endpoints'
# own tests: a field's format, such as a month "YYYY-MM", is checked by the API, not the schema.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def partner_key(db, regions):
    """A partner's key, with one member it may see, so that reads reach real data."""
    member(organisation_code="fuzz")
    return api_key_create(actor=None, name="Fuzz partner", organisation_code="fuzz")


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
