from __future__ import annotations

import datetime as dt

import pytest

from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.models import BillStatus, ContributionMonth
from rangkul.contributions.selectors import coverage_on, ledger_totals
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.core.periods import Period
from rangkul.sponsorships.models import SponsoredMonth, SponsorshipStatus
from rangkul.sponsorships.selectors import candidates_for, sponsorship_figures
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_end, sponsorship_enrol
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = pytest.mark.django_db


def _enrol(s, workers, **kwargs):
    return sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=workers, today=TODAY, **kwargs)


@pytest.mark.parametrize(
    ("organisation_kind", "payer_kind", "monthly_idr"),
    [
        # PP 50/2025: no discount when a regional or state budget pays ...
        ("local_government", "regional_budget", 16_800),
        ("local_government", "state_budget", 16_800),
        # ... but a company, a zakat body or a partner paying gets the 50% JKK+JKM discount (Apr–Dec 2026).
        ("company", "csr", 8_400),
        ("zakat_donor", "zakat", 8_400),
        ("cooperative", "partner", 8_400),
    ],
)
def test_sponsored_months_are_priced_for_the_payer(regions, organisation_kind, payer_kind, monthly_idr):
    org = sponsor(kind=organisation_kind)
    s = sponsorship(org, payer_kind=payer_kind)
    worker = member(organisation_code=org.code)
    result = _enrol(s, [worker])
    assert result.added == [worker.membership_number]
    assert result.committed_idr == 3 * monthly_idr
    assert list(SponsoredMonth.objects.filter(sponsorship=s).values_list("amount_idr", flat=True)) == [monthly_idr] * 3
    s.refresh_from_db()
    assert s.committed_idr == 3 * monthly_idr


def test_the_budget_is_never_overspent_members_enrol_in_the_stated_order(regions):
    org = sponsor()
    # Enough for two members' three months at 16,800 and a little more, not for a third.
    s = sponsorship(org, budget_idr=2 * 3 * 16_800 + 10_000)
    first, second, third = (member(organisation_code=org.code) for _ in range(3))
    result = _enrol(s, [first, second, third])
    assert result.added == [first.membership_number, second.membership_number]
    assert [(r.membership_number, r.code) for r in result.refused] == [(third.membership_number, "budget_exceeded")]
    figures = sponsorship_figures(sponsorship=s)
    assert (figures.members, figures.committed_idr, figures.remaining_idr) == (2, 100_800, 10_000)


def test_a_month_sponsored_elsewhere_is_refused_for_that_month(regions):
    org = sponsor()
    may_to_july = sponsorship(org)
    june_to_august = sponsorship(org, code="APBD-JUN", start_month="2026-06")
    worker = member(organisation_code=org.code)
    _enrol(may_to_july, [worker])
    result = _enrol(june_to_august, [worker])
    assert result.added == [worker.membership_number]
    assert [r.code for r in result.refused] == ["month_already_sponsored"]
    assert "APBD-SMG-2026" in result.refused[0].message and "2026-06, 2026-07" in result.refused[0].message
    assert list(SponsoredMonth.objects.filter(sponsorship=june_to_august).values_list("period", flat=True)) == [
        Period(2026, 8)
    ]
    assert result.committed_idr == 16_800
    # Every month taken: refused outright.
    same = sponsorship(org, code="SAME", start_month="2026-05", months=2)
    again = _enrol(same, [worker])
    assert again.added == [] and [r.code for r in again.refused] == ["month_already_sponsored"]


def test_only_the_sponsors_own_members_in_the_cohort_are_enrolled(regions):
    org = sponsor()
    s = sponsorship(org, cohort_occupations=["ojek_online"])
    stranger = member(occupation_code="ojek_online")
    trader = member(organisation_code=org.code)
    driver = member(organisation_code=org.code, occupation_code="ojek_online")
    result = _enrol(s, [stranger, trader, driver, driver])
    assert result.added == [driver.membership_number]
    assert {r.membership_number: r.code for r in result.refused} == {
        stranger.membership_number: "not_your_member",
        trader.membership_number: "outside_cohort",
    }
    assert [r.code for r in _enrol(s, [driver]).refused] == ["already_enrolled"]
    # The sponsor's page offers the matching members not yet enrolled.
    other_driver = member(organisation_code=org.code, occupation_code="ojek_online")
    assert candidates_for(sponsorship=s) == [other_driver]


def test_a_welfare_list_sponsorship_needs_the_sponsors_confirmation(regions):
    org = sponsor()
    s = sponsorship(org, cohort_welfare_list=True)
    worker = member(organisation_code=org.code)
    with pytest.raises(ValidationFailed):
        _enrol(s, [worker])
    assert _enrol(s, [worker], welfare_attested=True).added == [worker.membership_number]


def test_months_before_enrolment_are_not_committed(regions):
    org = sponsor()
    s = sponsorship(org)
    worker = member(organisation_code=org.code)
    result = sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=[worker], today=dt.date(2026, 6, 20))
    assert result.committed_idr == 2 * 16_800
    with pytest.raises(Conflict):
        sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=[worker], today=dt.date(2026, 8, 1))


def test_the_months_group_bill_pays_each_member_for_that_month(regions):
    org = sponsor()
    s = sponsorship(org, programs=["JKK", "JKM"])
    saver = member(organisation_code=org.code, jht=True)
    plain = member(organisation_code=org.code)
    _enrol(s, [saver, plain])
    record = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 6))
    s.refresh_from_db()
    assert s.status == SponsorshipStatus.ACTIVE
    # The sponsor pays JKK and JKM only: the saver's JHT stays the saver's to pay.
    assert sorted(record.bill.lines.values_list("program", flat=True)) == ["JKK", "JKK", "JKM", "JKM"]
    assert (record.members, record.amount_idr) == (2, 2 * 16_800)
    group_bill_pay(
        actor=Actor.system("test"),
        bill=record.bill,
        amount_idr=record.amount_idr,
        payment_reference="APBD-JUNE",
        channel="sandbox",
        paid_at=at(dt.date(2026, 5, 20)),
    )
    for worker in (saver, plain):
        assert coverage_on(worker, dt.date(2026, 6, 10))
        assert not coverage_on(worker, dt.date(2026, 5, 10))
    assert not ContributionMonth.objects.filter(worker=saver, program="JHT").exists()
    figures = sponsorship_figures(sponsorship=s)
    assert (figures.billed_idr, figures.paid_idr) == (33_600, 33_600)
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    # Paid: the month cannot be billed again.
    with pytest.raises(Conflict):
        sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 6))


def test_a_new_bill_for_the_month_withdraws_the_open_one(regions):
    org = sponsor()
    s = sponsorship(org)
    _enrol(s, [member(organisation_code=org.code)])
    first = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 5))
    second = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 5))
    first.bill.refresh_from_db()
    assert first.bill.status == BillStatus.CANCELLED and second.bill.status == BillStatus.OPEN
    assert sponsorship_figures(sponsorship=s).billed_idr == 16_800
    with pytest.raises(ValidationFailed):
        sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 9))


def test_a_sponsor_cannot_name_a_cheaper_payer_than_it_is(regions):
    # A local government pays from its budget: naming itself a company would buy the discount.
    with pytest.raises(ValidationFailed) as caught:
        sponsorship(sponsor(), payer_kind="csr")
    assert set(caught.value.fields) == {"payer_kind"}
    with pytest.raises(ValidationFailed):
        sponsorship(sponsor("kopmaju", kind="cooperative"), payer_kind="regional_budget")


def test_invalid_sponsorships_are_refused_with_field_errors(regions):
    org = sponsor()
    with pytest.raises(ValidationFailed) as caught:
        sponsorship(org, code="x", payer_kind="lottery", start_month="2026-13", months=0, budget_idr=0, programs=["JP"])
    assert set(caught.value.fields) == {"code", "payer_kind", "start_month", "months", "budget_idr", "programs"}
    sponsorship(org)
    with pytest.raises(ValidationFailed) as duplicate:
        sponsorship(org)
    assert set(duplicate.value.fields) == {"code"}


def test_an_ended_sponsorship_takes_no_members_and_issues_no_bills(regions):
    org = sponsor()
    s = sponsorship(org)
    worker = member(organisation_code=org.code)
    _enrol(s, [worker])
    ended = sponsorship_end(actor=Actor.system("test"), sponsorship=s)
    assert ended.status == SponsorshipStatus.ENDED
    with pytest.raises(Conflict):
        _enrol(s, [member(organisation_code=org.code)])
    with pytest.raises(Conflict):
        sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=Period(2026, 6))
    with pytest.raises(Conflict):
        sponsorship_end(actor=Actor.system("test"), sponsorship=s)
