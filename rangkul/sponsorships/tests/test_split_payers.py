"""Split payers: a sponsor pays JKK and JKM, the member pays JHT, against the same member-months."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.contributions.errors import NothingPayable
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.models import BillStatus, ContributionMonth, JournalEntry, JournalLine
from rangkul.contributions.selectors import coverage_on, ledger_totals, member_credit_idr
from rangkul.contributions.services import bill_issue, payment_allocate
from rangkul.contributions.tests.factories import at, member
from rangkul.core.errors import Conflict
from rangkul.core.periods import Period
from rangkul.partners.models import OrganisationUser
from rangkul.sponsorships.payers import PaidBy, payer_lines
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_end, sponsorship_enrol
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = pytest.mark.django_db

MAY = Period(2026, 5)
# JHT is 2% of the declared income (PP 44/2015): Rp20,000 on the factory's Rp1,000,000.
JHT_IDR = 20_000


def _sponsored_member(*, jht=True, months=3):
    org = sponsor()
    s = sponsorship(org, months=months)
    worker = member(organisation_code=org.code, registered_on=dt.date(2026, 5, 1), jht=jht)
    assert sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=[worker], today=TODAY).added
    return s, worker


def _sponsor_pays(s, period, reference):
    record = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=period)
    group_bill_pay(
        actor=Actor.system("test"),
        bill=record.bill,
        amount_idr=record.amount_idr,
        payment_reference=reference,
        channel="sandbox",
        paid_at=at(TODAY),
    )
    return record


def test_the_members_own_bill_for_a_sponsored_month_carries_only_jht(regions):
    s, worker = _sponsored_member()
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=4, today=TODAY)
    lines = sorted((str(line.period), line.program) for line in bill.lines.all())
    # May to July: only JHT (the sponsor pays JKK and JKM); August is the member's own, whole.
    assert lines == [
        ("2026-05", "JHT"),
        ("2026-06", "JHT"),
        ("2026-07", "JHT"),
        ("2026-08", "JHT"),
        ("2026-08", "JKK"),
        ("2026-08", "JKM"),
    ]
    # The sponsor's bill carries only the sponsor's programs, at the regional budget's price.
    record = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=MAY)
    assert sorted(record.bill.lines.values_list("program", flat=True)) == ["JKK", "JKM"]
    assert record.amount_idr == 16_800


def test_sponsor_and_member_post_separate_balanced_entries_and_the_report_names_each_payer(regions):
    s, worker = _sponsored_member()
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=TODAY)
    assert bill.amount_idr == JHT_IDR
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=bill.amount_idr,
        payment_reference="OWN-1",
        channel="sandbox",
        paid_at=at(TODAY),
        bill=bill,
    )
    # Paid JHT only: not yet covered for JKK in May.
    assert not coverage_on(worker, dt.date(2026, 5, 20), "JKK")
    assert coverage_on(worker, dt.date(2026, 5, 20), "JHT")
    _sponsor_pays(s, MAY, "SP-1")
    assert coverage_on(worker, dt.date(2026, 5, 20), "JKK") and coverage_on(worker, dt.date(2026, 5, 20), "JKM")
    rows = {m.program: m for m in ContributionMonth.objects.filter(worker=worker, period=MAY.first_day)}
    assert {p: r.payer_kind for p, r in rows.items()} == {"JHT": "", "JKK": "regional_budget", "JKM": "regional_budget"}
    assert rows["JHT"].entry_id != rows["JKK"].entry_id == rows["JKM"].entry_id
    for entry in JournalEntry.objects.filter(pk__in=[rows["JHT"].entry_id, rows["JKK"].entry_id]):
        totals = entry.lines.aggregate(d=Sum("debit_idr"), c=Sum("credit_idr"))
        assert totals["d"] == totals["c"] > 0
    assert member_credit_idr(worker_id=worker.pk) == 0
    lines = [line for line in payer_lines(sponsorship=s) if line.month == MAY]
    assert [(line.program, line.paid_by, line.amount_idr) for line in lines] == [
        ("JKK", PaidBy.SPONSOR, 10_000),
        ("JKM", PaidBy.SPONSOR, 6_800),
        ("JHT", PaidBy.MEMBER, JHT_IDR),
    ]
    assert lines[0].journal_reference.startswith("sandbox:SP-1/")
    assert lines[2].journal_reference == "sandbox:OWN-1"
    june = [line.paid_by for line in payer_lines(sponsorship=s, membership_number="x") if line.month == MAY + 1]
    assert june == []  # filtered to a member number that is not there


def test_a_member_without_jht_owes_nothing_for_a_sponsored_month(regions):
    _s, worker = _sponsored_member(jht=False)
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=1, today=TODAY)
    assert {(str(line.period), line.program) for line in bill.lines.all()} == {("2026-08", "JKK"), ("2026-08", "JKM")}


def test_ending_a_sponsorship_gives_its_unpaid_months_back_to_the_member_whole(regions):
    s, worker = _sponsored_member()
    _sponsor_pays(s, MAY, "SP-1")
    sponsorship_end(actor=Actor.system("test"), sponsorship=s)
    bill = bill_issue(actor=Actor.system("test"), worker=worker, months=2, today=TODAY)
    assert sorted((str(line.period), line.program) for line in bill.lines.all()) == [
        ("2026-05", "JHT"),
        ("2026-06", "JHT"),
        ("2026-06", "JKK"),
        ("2026-06", "JKM"),
    ]


def test_the_payers_csv_is_the_sponsors_own(client, regions, roles):
    s, worker = _sponsored_member()
    _sponsor_pays(s, MAY, "SP-1")
    user = UserFactory(username="officer")
    user.groups.add(Group.objects.get(name=Role.SPONSOR_OFFICER.value))
    OrganisationUser.objects.create(organisation=s.organisation, user=user)
    client.force_login(user)
    response = client.get(f"/sponsor/{s.code}/pembayar.csv?anggota={worker.membership_number}")
    assert response.status_code == 200
    rows = [r.split(";") for r in b"".join(response.streaming_content).decode("utf-8-sig").splitlines()]
    assert len(rows) == 1 + 3 * 3
    assert rows[1][:5] == [worker.membership_number, "2026-05", "JKK", "sponsor", "10000"]
    assert rows[3][:3] == [worker.membership_number, "2026-05", "JHT"] and rows[3][4:6] == ["0", ""]
    other = sponsor(code="lain")
    intruder = UserFactory(username="intruder")
    intruder.groups.add(Group.objects.get(name=Role.SPONSOR_OFFICER.value))
    OrganisationUser.objects.create(organisation=other, user=intruder)
    client.force_login(intruder)
    assert client.get(f"/sponsor/{s.code}/pembayar.csv").status_code == 404


steps = st.lists(
    st.one_of(
        st.tuples(st.just("sponsor"), st.integers(0, 2)),
        st.tuples(st.just("own_bill"), st.integers(1, 5)),
        st.tuples(st.just("cash"), st.integers(5_000, 150_000)),
        st.tuples(st.just("end"), st.just(0)),
    ),
    min_size=1,
    max_size=10,
)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps, jht=st.booleans())
def test_any_order_of_sponsor_and_member_payments_keeps_the_ledger_and_coverage_right(regions, sequence, jht):
    with transaction.atomic():
        _run(sequence, jht=jht)
        transaction.set_rollback(True)


def _run(sequence, *, jht):
    s, worker = _sponsored_member(jht=jht)
    sponsored = {MAY + k for k in range(3)}
    paid_in = 0
    ended = False
    for number, (action, value) in enumerate(sequence):
        if action == "sponsor" and not ended:
            try:
                record = _sponsor_pays(s, MAY + value, f"SP-{number}")
            except Conflict:
                continue  # every program of that month is paid already
            paid_in += record.amount_idr
        elif action == "own_bill":
            try:
                bill = bill_issue(actor=Actor.system("test"), worker=worker, months=value, today=TODAY)
            except NothingPayable:
                continue
            if not ended:
                # The member's bill never carries a program the sponsor pays for a sponsored month.
                assert not bill.lines.filter(
                    period__in=[p.first_day for p in sponsored], program__in=["JKK", "JKM"]
                ).exists()
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                amount_idr=bill.amount_idr,
                payment_reference=f"OWN-{number}",
                channel="sandbox",
                paid_at=at(TODAY),
                bill=bill,
            )
            bill.refresh_from_db()
            assert bill.status == BillStatus.PAID
            paid_in += bill.amount_idr
        elif action == "cash":
            payment_allocate(
                actor=Actor.system("test"),
                worker=worker,
                amount_idr=value,
                payment_reference=f"CASH-{number}",
                channel="sandbox",
                paid_at=at(TODAY),
            )
            paid_in += value
        elif action == "end" and not ended:
            sponsorship_end(actor=Actor.system("test"), sponsorship=s)
            ended = True
        _check(worker, paid_in, sponsored, ended=ended)


def _check(worker, paid_in, sponsored, *, ended):
    totals = ledger_totals()
    assert totals["debit_idr"] == totals["credit_idr"]
    lines = JournalLine.objects.filter(worker=worker)
    received = lines.filter(account__code__startswith="clearing:").aggregate(s=Sum("debit_idr"))["s"] or 0
    allocated = lines.filter(account__code__startswith="contribution:").aggregate(s=Sum("credit_idr"))["s"] or 0
    credit = member_credit_idr(worker_id=worker.pk)
    # Money conserved to the rupiah: every rupiah in is a paid program-month or the member's credit.
    assert received == paid_in == allocated + credit and credit >= 0
    rows = list(ContributionMonth.objects.filter(worker=worker))
    assert sum(r.amount_idr for r in rows) == allocated
    programs = {"JKK", "JKM"} | ({"JHT"} if worker.jht else set())
    for row in rows:
        assert row.program in programs
        if row.period in sponsored and not ended:
            # Coverage per program follows who paid: the sponsor's programs, the member's JHT.
            assert row.payer_kind == ("" if row.program == "JHT" else "regional_budget")
        elif row.period not in sponsored:
            assert row.payer_kind == ""
    for row in rows:
        day = row.period.day(20)
        assert coverage_on(worker, day, row.program) == (row.covered_from <= day)
