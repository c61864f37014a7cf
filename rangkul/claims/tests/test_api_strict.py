"""The claims API refuses what its OpenAPI document forbids, and the document says what it forbids."""

from __future__ import annotations

import pytest

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.claims.api import DISABILITIES
from rangkul.claims.eligibility import CLAIMANT_RELATIONSHIPS
from rangkul.claims.models import Claim
from rangkul.claims.tests.factories import SPOUSE, insured

pytestmark = pytest.mark.django_db

CLAIMANT = {"full_name": SPOUSE, "relationship": "spouse", "phone": "+6281299990000"}


def _body(**overrides):
    return {"program": "JKM", "event": "death", "event_date": "2026-03-10", "claimant": dict(CLAIMANT), **overrides}


def _claimant(**overrides):
    return {"claimant": {**CLAIMANT, **overrides}}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"program": "jkm"}, "program"),
        ({"event": "birth"}, "event"),
        ({"event_date": 0}, "event_date"),  # a number is not a date (pydantic would read 1970-01-01)
        ({"event_date": "2026-02-30"}, "event_date"),
        ({"months_unable": "3"}, "months_unable"),  # text is not a JSON integer
        ({"months_unable": 0}, "months_unable"),
        ({"disability": "nose"}, "disability"),  # refused even where the event ignores it
        ({"children": [{"name": "Ani", "birth_date": 0, "level": "smp"}]}, "children.0.birth_date"),
        (
            {"children": [{"name": "Ani", "birth_date": "2014-01-01", "level": "smp", "year_in_level": "1"}]},
            "children.0.year_in_level",
        ),
        ({"claimant": {"full_name": SPOUSE}}, "claimant.relationship"),
        (_claimant(relationship="neighbour"), "claimant.relationship"),
        (_claimant(phone="call me"), "claimant.phone"),
        (_claimant(npwp="not-a-number!"), "claimant.npwp"),
        (_claimant(bank_code="B R I"), "claimant.bank_code"),
        (_claimant(bank_account_number="12AB"), "claimant.bank_account_number"),
        (_claimant(nik="3374011705900001"), "claimant.nik"),  # no field the document does not name
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_claim_the_document_forbids_is_a_422_in_the_error_shape(client, regions, overrides, field):
    key = api_key_create(actor=Actor.system("system"), name="Koperasi Ojek", organisation_code="KOP-OJEK")
    worker = insured(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(**overrides),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"], body
    assert not Claim.objects.exists()


def test_the_document_describes_the_claim_inputs_strictly(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/workers/{membership_number}/claims"]["post"]
    components = document["components"]["schemas"]
    claim = components[operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert claim["additionalProperties"] is False
    props = claim["properties"]
    assert props["program"]["enum"] == ["JKK", "JKM", "JHT"]
    assert set(props["event"]["enum"]) == {"death", "accident", "disability", "withdrawal", "scholarship"}
    assert props["event_date"]["format"] == "date"
    assert props["months_unable"]["type"] == "integer" and props["months_unable"]["minimum"] == 1
    assert props["disability"]["enum"] == DISABILITIES and "total" in DISABILITIES
    claimant = components[props["claimant"]["$ref"].rsplit("/", 1)[1]]
    assert claimant["additionalProperties"] is False
    assert claimant["required"] == ["full_name", "relationship"]
    assert claimant["properties"]["relationship"]["enum"] == list(CLAIMANT_RELATIONSHIPS)
    assert {"pattern", "maxLength"} <= set(claimant["properties"]["phone"])
    benefits = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/benefits"]["get"]["parameters"]}
    assert benefits["disability"]["enum"] == DISABILITIES


def test_a_benefit_query_with_an_unknown_disability_is_refused(client):
    response = client.get("/api/v1/benefits?program=JKK&event=disability&declared_income_idr=1000000&disability=nose")
    assert response.status_code == 422 and "disability" in response.json()["fields"]


@pytest.mark.parametrize("on", ["0150-08-23", "1899-12-31", "9999-12-31"])
def test_a_benefit_query_for_a_day_outside_the_calendar_of_months_is_a_422_not_a_500(client, on):
    response = client.get(f"/api/v1/benefits?program=JHT&event=withdrawal&declared_income_idr=1000000&on={on}")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "fields"} and "on" in response.json()["fields"]
