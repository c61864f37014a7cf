from __future__ import annotations

import pytest
from django.utils import timezone

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import coverage_on, ledger_totals
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.payments.tests.factories import post_callback, sandbox_body
from rangkul.sponsorships.tests.factories import sponsor

pytestmark = pytest.mark.django_db


def _this_month() -> Period:
    return Period.of(timezone.localdate())


def _key(code: str) -> dict[str, str]:
    key = api_key_create(actor=Actor.system("system"), name=f"{code}-app", organisation_code=code)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _create(client, auth, **overrides):
    body = {
        "code": "APBD-SMG",
        "name": "Perlindungan pekerja rentan",
        "payer_kind": "regional_budget",
        "start_month": str(_this_month()),
        "months": 3,
        "budget_idr": 2 * 3 * 16_800,
        "programs": ["JKK", "JKM"],
        **overrides,
    }
    return client.post("/api/v1/sponsorships", body, content_type="application/json", **auth)


def test_a_sponsor_creates_enrols_bills_and_pays_through_the_api(client, regions):
    org = sponsor()
    auth = _key(org.code)
    created = _create(client, auth)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft" and created.json()["committed_idr"] == 0

    own = [member(organisation_code=org.code, registered_on=timezone.localdate()) for _ in range(3)]
    stranger = member(registered_on=timezone.localdate())
    numbers = [w.membership_number for w in [*own, stranger]] + ["99999999999"]
    enrolled = client.post(
        "/api/v1/sponsorships/apbd-smg/members",
        {"membership_numbers": numbers},
        content_type="application/json",
        **auth,
    )
    assert enrolled.status_code == 200, enrolled.json()
    body = enrolled.json()
    assert body["added"] == [own[0].membership_number, own[1].membership_number]
    assert {(r["membership_number"], r["code"]) for r in body["refused"]} == {
        (own[2].membership_number, "budget_exceeded"),
        (stranger.membership_number, "not_your_member"),
        ("99999999999", "not_found"),
    }
    assert all(r["message"] for r in body["refused"])

    month = str(_this_month())
    billed = client.post(
        "/api/v1/sponsorships/APBD-SMG/bills", {"month": month}, content_type="application/json", **auth
    )
    assert billed.status_code == 201, billed.json()
    bill = billed.json()
    assert (bill["amount_idr"], bill["members"], bill["month"]) == (2 * 16_800, 2, month)

    paid = post_callback(
        client, sandbox_body(payment_code=bill["payment_code"], amount_idr=bill["amount_idr"], external_id="APBD-1")
    )
    assert paid.status_code == 200, paid.json()
    last_day = _this_month().last_day
    assert coverage_on(own[0], last_day) and coverage_on(own[1], last_day)
    assert not coverage_on(own[2], last_day)

    shown = client.get("/api/v1/sponsorships/APBD-SMG", **auth).json()
    assert {k: shown[k] for k in ("code", "status", "members", "budget_idr", "committed_idr")} == {
        "code": "APBD-SMG",
        "status": "active",
        "members": 2,
        "budget_idr": 100_800,
        "committed_idr": 100_800,
    }
    assert (shown["billed_idr"], shown["paid_idr"], shown["remaining_idr"]) == (33_600, 33_600, 0)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]


def test_errors_use_the_common_shape(client, regions):
    org = sponsor()
    auth = _key(org.code)
    bad = _create(client, auth, payer_kind="lottery", start_month="May", budget_idr=0)
    assert bad.status_code == 422
    assert set(bad.json()) == {"code", "message", "fields"}
    assert set(bad.json()["fields"]) == {"payer_kind", "start_month", "budget_idr"}
    assert _create(client, auth).status_code == 201
    bad_month = client.post(
        "/api/v1/sponsorships/APBD-SMG/bills", {"month": "2099-01"}, content_type="application/json", **auth
    )
    assert bad_month.status_code == 422 and "month" in bad_month.json()["fields"]
    nobody = client.post(
        "/api/v1/sponsorships/APBD-SMG/bills", {"month": str(_this_month())}, content_type="application/json", **auth
    )
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_members"


def test_a_sponsor_never_sees_another_sponsors_sponsorship(client, regions):
    mine, theirs = sponsor("pemkot-smg"), sponsor("baznas-smg", kind="zakat_donor")
    assert _create(client, _key(mine.code)).status_code == 201
    other = _key(theirs.code)
    assert client.get("/api/v1/sponsorships/APBD-SMG", **other).status_code == 404
    enrol = client.post(
        "/api/v1/sponsorships/APBD-SMG/members", {"membership_numbers": []}, content_type="application/json", **other
    )
    assert enrol.status_code == 404
    # A key without an organisation is no sponsor.
    plain = {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(actor=Actor.system('system'), name='plain')}"}
    assert _create(client, plain, code="X-1").status_code == 403
    assert client.get("/api/v1/sponsorships/APBD-SMG").status_code == 401
