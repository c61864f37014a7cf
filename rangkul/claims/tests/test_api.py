"""The public contract for claims: file, read, and the benefit calculator."""

from __future__ import annotations

import pytest

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.claims.models import Claim
from rangkul.claims.tests.factories import SPOUSE, insured

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_key(db):
    return api_key_create(actor=Actor.system("system"), name="Koperasi Ojek", organisation_code="KOP-OJEK")


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


def _body(**overrides):
    body = {
        "program": "JKM",
        "event": "death",
        "event_date": "2026-03-10",
        "claimant": {"full_name": SPOUSE, "relationship": "spouse", "phone": "+6281299990000"},
    }
    body.update(overrides)
    return body


def test_partner_files_a_claim_for_its_member_and_reads_it(client, regions, partner_key):
    worker = insured(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(),
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"claim_number", "status", "eligible", "reasons", "benefit_idr", "lines"} <= set(body)
    assert body["eligible"] is True and body["reasons"] == [] and body["benefit_idr"] == 42_000_000
    assert [(line["benefit"], line["amount_idr"]) for line in body["lines"]] == [
        ("jkm_lump_sum", 20_000_000),
        ("jkm_periodic", 12_000_000),
        ("jkm_funeral", 10_000_000),
    ]
    claim = Claim.objects.get(number=body["claim_number"])
    assert claim.channel == "api" and claim.filed_by_label == "partner KOP-OJEK"
    read = client.get(f"/api/v1/claims/{body['claim_number']}", headers=_auth(partner_key))
    assert read.status_code == 200
    assert read.json()["history"][0]["status"] == "submitted"
    assert read.json()["benefit_idr"] == 42_000_000


def test_ineligible_claim_is_stored_and_answered_with_its_reasons(client, regions, partner_key):
    worker = insured(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(event_date="2025-11-02"),
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["eligible"] is False and body["benefit_idr"] == 0
    assert body["reasons"][0]["code"] == "before_first_paid_month"
    assert body["reasons"][0]["facts"]["first_month"] == "2026-01"


def test_another_organisations_member_and_claim_are_not_found(client, regions, partner_key):
    worker = insured(organisation_code="OTHER")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(),
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 404
    other = api_key_create(actor=Actor.system("system"), name="Other", organisation_code="OTHER")
    number = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(),
        content_type="application/json",
        headers=_auth(other),
    ).json()["claim_number"]
    assert client.get(f"/api/v1/claims/{number}", headers=_auth(partner_key)).status_code == 404
    assert client.get(f"/api/v1/claims/{number}").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"program": "JP"}, "program"),
        ({"event_date": "10-03-2026"}, "event_date"),
        ({"event_date": "2099-01-01"}, "event_date"),
        ({"event": "accident"}, "event"),  # JKM pays for no accident
        ({"claimant": {"full_name": "x", "relationship": "cousin"}}, "claimant.relationship"),
        ({"claimant": {"relationship": "spouse"}}, "claimant.full_name"),
        ({"claimant": {"full_name": "x", "relationship": "spouse", "phone": "not a phone"}}, "claimant.phone"),
        ({"program": "JKK", "event": "disability", "disability": "nose"}, "disability"),
    ],
)
def test_bad_input_is_a_422_with_fields(client, regions, partner_key, overrides, field):
    worker = insured(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims",
        _body(**overrides),
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"], body
    assert not Claim.objects.exists()


def test_staff_file_through_the_api_with_a_session(client, regions, administrator):
    worker = insured()
    client.force_login(administrator)
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/claims", _body(), content_type="application/json"
    )
    assert response.status_code == 201
    assert Claim.objects.get().channel == "office"


@pytest.mark.parametrize(
    ("query", "lines"),
    [
        (
            "program=JKM&event=death&declared_income_idr=1000000",
            {"jkm_lump_sum": 20_000_000, "jkm_periodic": 12_000_000, "jkm_funeral": 10_000_000},
        ),
        (
            "program=JKK&event=death&declared_income_idr=3000000",
            {"jkk_death": 144_000_000, "jkk_periodic": 12_000_000, "jkk_funeral": 10_000_000},
        ),
        (
            "program=JKK&event=accident&declared_income_idr=2000000&months_unable=15",
            {"stmb_full": 24_000_000, "stmb_reduced": 3_000_000},
        ),
        ("program=JKK&event=disability&declared_income_idr=1000000", {"total_disability": 56_000_000}),
    ],
)
def test_public_benefit_calculator(client, query, lines):
    response = client.get(f"/api/v1/benefits?{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {line["benefit"]: line["amount_idr"] for line in body["lines"]} == lines
    assert body["total_idr"] == sum(lines.values())
    assert all(line["citation"] for line in body["lines"])


def test_public_jht_projection(client):
    body = client.get(
        "/api/v1/benefits?program=JHT&event=withdrawal&declared_income_idr=1000000&years=2&on=2026-01-10"
    ).json()
    lines = {line["benefit"]: line["amount_idr"] for line in body["lines"]}
    assert lines["jht_contributions"] == 24 * 20_000
    assert lines["jht_returns"] > 0


@pytest.mark.parametrize(
    "query",
    [
        "program=JKM&event=death",
        "program=XX&event=death&declared_income_idr=1",
        "program=JKM&event=accident&declared_income_idr=1",
        "program=JKK&event=death&declared_income_idr=-5",
        "program=JKK&event=death&declared_income_idr=abc",
        "program=JKM&event=death&declared_income_idr=1&on=1999-01-01",
    ],
)
def test_public_calculator_refuses_bad_input_with_422(client, query):
    response = client.get(f"/api/v1/benefits?{query}")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "fields"}
