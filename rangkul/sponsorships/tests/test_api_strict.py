"""The sponsorships API refuses what its OpenAPI document forbids, and the document says what it forbids."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.core.api_types import MONTH_PATTERN
from rangkul.core.periods import Period
from rangkul.sponsorships.models import PayerKind, Sponsorship
from rangkul.sponsorships.services import MAX_MONTHS
from rangkul.sponsorships.tests.factories import sponsor

pytestmark = pytest.mark.django_db


def _auth(code: str) -> dict[str, str]:
    key = api_key_create(actor=Actor.system("system"), name=f"{code}-app", organisation_code=code)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _body(**overrides):
    return {
        "code": "APBD-SMG",
        "name": "Perlindungan pekerja rentan",
        "payer_kind": "regional_budget",
        "start_month": str(Period.of(timezone.localdate())),
        "months": 3,
        "budget_idr": 100_800,
        "programs": ["JKK", "JKM"],
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_month": "2026-5"}, "start_month"),
        ({"start_month": "2026-13"}, "start_month"),
        ({"start_month": 202605}, "start_month"),
        ({"payer_kind": "lottery"}, "payer_kind"),
        ({"programs": ["JKK", "JP"]}, "programs.1"),
        ({"programs": ["jkk", "jkm"]}, "programs.0"),
        ({"months": "3"}, "months"),  # text is not a JSON integer
        ({"months": MAX_MONTHS + 1}, "months"),
        ({"budget_idr": "100800"}, "budget_idr"),
        ({"budget_idr": 0}, "budget_idr"),
        ({"code": "A B"}, "code"),
        ({"cohort": {"welfare_list": "yes"}}, "cohort.welfare_list"),
        ({"cohort": {"min_age": "18"}}, "cohort.min_age"),
        ({"cohort": {"region_code": "Semarang"}}, "cohort.region_code"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_sponsorship_the_document_forbids_is_a_422_in_the_error_shape(client, regions, overrides, field):
    org = sponsor()
    response = client.post(
        "/api/v1/sponsorships", _body(**overrides), content_type="application/json", **_auth(org.code)
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"], body
    assert not Sponsorship.objects.exists()


@pytest.mark.parametrize("month", ["2026-5", "May 2026", "2026-00", 202605])
def test_a_bill_month_outside_the_pattern_is_a_422(client, regions, month):
    org = sponsor()
    auth = _auth(org.code)
    assert client.post("/api/v1/sponsorships", _body(), content_type="application/json", **auth).status_code == 201
    response = client.post(
        "/api/v1/sponsorships/APBD-SMG/bills", {"month": month}, content_type="application/json", **auth
    )
    assert response.status_code == 422 and "month" in response.json()["fields"]


def test_enrolment_takes_a_json_boolean_for_the_welfare_confirmation(client, regions):
    org = sponsor()
    auth = _auth(org.code)
    client.post("/api/v1/sponsorships", _body(), content_type="application/json", **auth)
    response = client.post(
        "/api/v1/sponsorships/APBD-SMG/members",
        {"membership_numbers": [], "welfare_list_confirmed": "yes"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422 and "welfare_list_confirmed" in response.json()["fields"]


def test_the_document_describes_the_sponsorship_inputs_strictly(client):
    document = client.get("/api/v1/openapi.json").json()
    components = document["components"]["schemas"]

    def body_schema(path: str) -> dict:
        ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    created = body_schema("/api/v1/sponsorships")
    props = created["properties"]
    assert created["additionalProperties"] is False
    assert props["start_month"]["pattern"] == MONTH_PATTERN
    assert props["payer_kind"]["enum"] == list(PayerKind.values)  # one list, kept equal to the model's choices
    assert props["programs"]["items"]["enum"] == ["JKK", "JKM", "JHT"]
    assert props["months"]["type"] == "integer" and props["months"]["maximum"] == MAX_MONTHS
    assert props["budget_idr"]["minimum"] == 1
    assert body_schema("/api/v1/sponsorships/{code}/bills")["properties"]["month"]["pattern"] == MONTH_PATTERN
    members = body_schema("/api/v1/sponsorships/{code}/members")["properties"]
    assert members["welfare_list_confirmed"]["type"] == "boolean"
