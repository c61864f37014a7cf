from __future__ import annotations

import datetime as dt

import pytest

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.contributions.payment_codes import payment_code_is_valid
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_key(db):
    return api_key_create(actor=Actor.system("system"), name="Koperasi Ojek", organisation_code="KOP-OJEK")


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


def test_partner_issues_a_bill_for_its_member(client, regions, partner_key):
    worker = member(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/bills",
        {"months": 3},
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert payment_code_is_valid(body["payment_code"])
    assert body["amount_idr"] == sum(line["amount_idr"] for line in body["lines"])
    assert len(body["lines"]) == 6
    assert {"period", "program", "amount_idr", "discount_idr"} <= set(body["lines"][0])


def test_partner_cannot_bill_another_organisations_member(client, regions, partner_key):
    worker = member(organisation_code="OTHER")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/bills",
        {"months": 1},
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.parametrize("months", [0, 13, "x"])
def test_bill_length_is_validated(client, regions, partner_key, months):
    worker = member(organisation_code="KOP-OJEK")
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/bills",
        {"months": months},
        content_type="application/json",
        headers=_auth(partner_key),
    )
    assert response.status_code == 422
    assert "months" in response.json()["fields"]


def test_bills_need_authentication(client, regions):
    worker = member()
    response = client.post(
        f"/api/v1/workers/{worker.membership_number}/bills", {"months": 1}, content_type="application/json"
    )
    assert response.status_code == 401


def test_coverage_endpoint(client, regions, partner_key):
    worker = member(organisation_code="KOP-OJEK", registered_on=dt.date(2026, 1, 5))
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=16_800,
        payment_reference="X1",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 10)),
    )
    url = f"/api/v1/workers/{worker.membership_number}/coverage"
    covered = client.get(url, {"on": "2026-01-20"}, headers=_auth(partner_key)).json()
    assert covered["covered"] is True and covered["programs"] == ["JKK", "JKM"]
    assert covered["paid_through"] == "2026-01"
    not_covered = client.get(url, {"on": "2026-02-20"}, headers=_auth(partner_key)).json()
    assert not_covered["covered"] is False and not_covered["programs"] == []
    bad = client.get(url, {"on": "20-02-2026"}, headers=_auth(partner_key))
    assert bad.status_code == 422
