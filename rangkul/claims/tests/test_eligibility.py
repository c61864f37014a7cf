"""Every eligibility reason, from the member's record; ineligible claims are still stored."""

from __future__ import annotations

import datetime as dt

import pytest

from rangkul.audit.actors import Actor
from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose
from rangkul.claims.tests.factories import SPOUSE, file, insured
from rangkul.contributions.tests.factories import member

pytestmark = pytest.mark.django_db


def _codes(claim: Claim) -> list[str]:
    return [r["code"] for r in claim.reasons]


def test_heir_files_an_eligible_jkm_claim(regions):
    claim = file(insured())
    assert claim.eligible and claim.reasons == []
    assert claim.benefit_idr == 42_000_000
    assert [line["benefit"] for line in claim.lines] == ["jkm_lump_sum", "jkm_periodic", "jkm_funeral"]
    assert claim.status == ClaimStatus.SUBMITTED
    assert list(claim.history.values_list("status", flat=True)) == ["submitted"]
    assert claim.months_paid == 3  # January to March, the event's month


def test_event_before_the_first_paid_month_is_refused_with_the_dates(regions):
    claim = file(insured(), event_date=dt.date(2025, 12, 20))
    assert not claim.eligible and _codes(claim) == ["before_first_paid_month"]
    facts = claim.reasons[0]["facts"]
    assert facts["first_month"] == "2026-01" and facts["event_date"] == "2025-12-20"
    assert "2026-01" in claim.reasons[0]["message"]
    assert claim.benefit_idr == 0 and claim.lines == []
    assert Claim.objects.filter(pk=claim.pk).exists()  # stored all the same


def test_event_in_an_unpaid_month_names_the_last_paid_month(regions):
    claim = file(insured(months=2), event_date=dt.date(2026, 5, 10))
    assert _codes(claim) == ["unpaid_month"]
    assert claim.reasons[0]["facts"]["month"] == "2026-05"
    assert claim.reasons[0]["facts"]["last_paid_month"] == "2026-02"


def test_cover_starts_on_the_payment_day_not_before(regions):
    worker = insured(paid_on=dt.date(2026, 3, 20), months=1)  # first month paid mid-month (ADR 0007)
    claim = file(worker, event_date=dt.date(2026, 3, 18))
    assert _codes(claim) == ["cover_not_started"]
    facts = claim.reasons[0]["facts"]
    assert (facts["month"], facts["paid_on"], facts["covered_from"]) == ("2026-03", "2026-03-20", "2026-03-20")
    assert file(worker, event_date=dt.date(2026, 3, 21)).eligible


def test_never_paid(regions):
    assert _codes(file(member(heirs=[]), claimant=ClaimantIn("Siapa Saja", "spouse"))) == ["never_paid"]


def test_jht_withdrawal_needs_jht(regions):
    claim = file(insured(), program="JHT", event="withdrawal", claimant=ClaimantIn("x", "self"))
    assert _codes(claim) == ["program_not_held"]


def test_jkm_scholarship_needs_three_years_of_contributions(regions):
    claim = file(insured(), event="scholarship")
    assert _codes(claim) == ["scholarship_too_few_years"]
    assert claim.reasons[0]["facts"] == {"required": 36, "months_paid": 3}


def test_jkk_scholarship_has_no_minimum_period(regions):
    assert file(insured(), program="JKK", event="scholarship").eligible


def test_only_the_member_claims_an_accident(regions):
    claim = file(insured(), program="JKK", event="accident")
    assert _codes(claim) == ["claimant_must_be_member"]
    worker = insured()
    own = file(worker, program="JKK", event="accident", months_unable=2, claimant=ClaimantIn(worker.full_name, "self"))
    assert own.eligible and own.benefit_idr == 2_000_000


def test_the_member_cannot_claim_their_own_death(regions):
    assert _codes(file(insured(), claimant=ClaimantIn("x", "self"))) == ["member_cannot_claim_death"]


def test_claimant_must_be_a_recorded_heir(regions):
    assert _codes(file(insured(), claimant=ClaimantIn("Orang Lain", "child"))) == ["claimant_not_heir"]


def test_heirs_come_in_order(regions):
    claim = file(insured(), claimant=ClaimantIn("Pak Darto", "parent"))
    assert _codes(claim) == ["heir_not_first_in_order"]
    assert claim.reasons[0]["facts"] == {"first_relationship": "spouse"}


def test_funeral_arranger_only_without_heirs(regions):
    arranger = ClaimantIn("Pak RT", "funeral_arranger")
    assert _codes(file(insured(), claimant=arranger)) == ["funeral_arranger_with_heirs"]
    claim = file(insured(heirs=False), claimant=arranger)
    assert claim.eligible and claim.benefit_idr == 10_000_000


def test_no_second_claim_for_an_approved_death(regions, officer, approver):
    worker = insured()
    first = file(worker)
    claim_propose(actor=Actor.for_user(officer), claim=first, decision="approve", note="documents complete")
    claim_approve(actor=Actor.for_user(approver), claim=first, note="ok")
    again = file(worker, event_date=dt.date(2026, 3, 11))
    assert _codes(again) == ["already_claimed"]
    assert again.reasons[0]["facts"] == {"claim_number": first.number}


def test_reasons_are_in_plain_indonesian(regions, settings):
    from django.utils import translation

    with translation.override("id"):
        claim = file(insured(), claimant=ClaimantIn("Pak Darto", "parent"))
    assert "ahli waris" in claim.reasons[0]["message"].lower()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_date": dt.date(2099, 1, 1)}, "event_date"),
        ({"claimant": ClaimantIn(SPOUSE, "cousin")}, "claimant.relationship"),
        ({"claimant": ClaimantIn("  ", "spouse")}, "claimant.full_name"),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored(regions, overrides, field):
    with pytest.raises(ClaimInputInvalid) as error:
        file(insured(), **overrides)
    assert field in error.value.fields
    assert not Claim.objects.exists()
