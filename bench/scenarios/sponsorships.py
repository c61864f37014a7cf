"""A sponsorship's group bill for the whole population: issued, paid, and the hand-over run before its end.

The cohort (every member, one month, JKK and JKM at the regional budget's price) is written
in bulk as enrolment would leave it; the figures measured are the bill's issue, the
allocation of its payment to every member-month, and the hand-over run (a text and a
payment code for each member), each beside a same-run baseline.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench.core import Context, Result, scenario
from bench.scenarios.members import ensure_population
from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.ledger import Line, journal_post
from rangkul.contributions.models import Bill, BillLine, ContributionMonth, JournalEntry, JournalLine, MonthShare
from rangkul.contributions.selectors import ledger_totals, rules_for_memo
from rangkul.core.periods import Period
from rangkul.core.processes import PartsRunner, forked
from rangkul.partners.models import Organisation, OrganisationKind
from rangkul.registry.models import Worker, WorkerStatus
from rangkul.sponsorships.handover import handover_run
from rangkul.sponsorships.models import (
    SponsoredMonth,
    Sponsorship,
    SponsorshipBill,
    SponsorshipMember,
    SponsorshipStatus,
)
from rangkul.sponsorships.pricing import sponsored_month_idr, sponsored_programs
from rangkul.sponsorships.services import share_source, sponsorship_bill_issue

CHANNEL = "bench_sponsor"
PREFIX = "BENCH-"
CHUNK = 5000


def _clean() -> None:
    """Remove what earlier runs left: the bench sponsorships, their bills and the months they paid."""
    entries = JournalEntry.objects.filter(reference__startswith=f"{CHANNEL}:")
    with transaction.atomic():
        BillLine.objects.filter(settled_entry__in=entries).update(settled_entry=None)
        ContributionMonth.objects.filter(entry__in=entries).delete()
        JournalLine.objects.filter(entry__in=entries).delete()
        entries.delete()
        bills = list(
            SponsorshipBill.objects.filter(sponsorship__code__startswith=PREFIX).values_list("bill_id", flat=True)
        )
        codes = list(Sponsorship.objects.filter(code__startswith=PREFIX).values_list("code", flat=True))
        MonthShare.objects.filter(source__in=[f"sponsorship:{c}" for c in codes]).delete()
        Sponsorship.objects.filter(code__startswith=PREFIX).delete()
        Bill.objects.filter(pk__in=bills).delete()


def _cohort(members: int, period: Period, *, code: str, months: int = 1) -> Sponsorship:
    """A sponsorship with ``members`` members for ``months`` months from ``period``, written in bulk."""
    organisation, _created = Organisation.objects.get_or_create(
        code="bench-pemkab",
        defaults={"name": "Pemerintah Kabupaten (bench)", "kind": OrganisationKind.LOCAL_GOVERNMENT},
    )
    sponsorship = Sponsorship.objects.create(
        code=code,
        name="Bench cohort",
        organisation=organisation,
        payer_kind="regional_budget",
        programs=["JKK", "JKM"],
        start_month=period,  # type: ignore[misc]  # PeriodField takes a Period
        months=months,
        budget_idr=10**15,
        status=SponsorshipStatus.ACTIVE,
    )
    rules_for = rules_for_memo()
    now = timezone.now()
    workers = Worker.objects.filter(status=WorkerStatus.ACTIVE).select_related("occupation").order_by("pk")
    committed = 0
    position = 0
    batch: list[Worker] = []

    def flush(batch: list[Worker]) -> int:
        nonlocal position
        rows_m, rows_s, rows_share = [], [], []
        total = 0
        for worker in batch:
            programs = sponsored_programs(sponsor_programs=sponsorship.programs, worker=worker)
            position += 1
            cost = 0
            for p in (period + i for i in range(months)):
                amount = sponsored_month_idr(
                    worker=worker, period=p, programs=programs, payer_kind="regional_budget", rules_for=rules_for
                )
                cost += amount
                rows_s.append(
                    SponsoredMonth(sponsorship=sponsorship, worker=worker, period=p, amount_idr=amount)  # type: ignore[misc]
                )
                rows_share.append(
                    MonthShare(  # type: ignore[misc]  # PeriodField takes a Period
                        worker=worker,
                        period=p,
                        programs=list(programs),
                        payer_kind="regional_budget",
                        source=share_source(sponsorship),
                    )
                )
            rows_m.append(
                SponsorshipMember(
                    sponsorship=sponsorship, worker=worker, committed_idr=cost, enrolled_at=now, position=position
                )
            )
            total += cost
        SponsorshipMember.objects.bulk_create(rows_m, batch_size=CHUNK)
        SponsoredMonth.objects.bulk_create(rows_s, batch_size=CHUNK)
        MonthShare.objects.bulk_create(rows_share, batch_size=CHUNK)
        return total

    for worker in workers.iterator(chunk_size=CHUNK):
        batch.append(worker)
        if len(batch) == CHUNK:
            committed += flush(batch)
            batch = []
        if position + len(batch) >= members:
            break
    committed += flush(batch[: max(0, members - position)])
    Sponsorship.objects.filter(pk=sponsorship.pk).update(committed_idr=committed)
    sponsorship.refresh_from_db()
    return sponsorship


def _read_baseline(sponsorship: Sponsorship, period: Period) -> float:
    """Reading the month's sponsored rows with their members: the least any bill must do."""
    start = time.perf_counter()
    rows = list(
        SponsoredMonth.objects.filter(sponsorship=sponsorship, period=period.first_day)
        .select_related("worker__occupation")
        .values_list("worker_id", "amount_idr", "worker__declared_income_idr", "worker__occupation__sector")
    )
    assert rows
    return time.perf_counter() - start


def _write_baseline(members: int) -> float:
    """One journal entry with a line per member (the ledger's write volume of the payment), rolled back."""
    lines = [Line(f"clearing:{CHANNEL}", debit_idr=members)] + [
        Line("member_credit", credit_idr=1) for _ in range(members)
    ]
    start = time.perf_counter()
    with transaction.atomic():
        journal_post(actor=Actor.system("system"), kind="bench_baseline", reference=str(time.time()), lines=lines)
        transaction.set_rollback(True)
    return time.perf_counter() - start


@scenario("sponsorship_group_bill")
def sponsorship_group_bill(ctx: Context) -> list[Result]:
    population = ensure_population(ctx)
    _clean()
    period = Period.of(timezone.localdate()) + 1
    members = min(ctx.members, population)
    started = time.perf_counter()
    sponsorship = _cohort(members, period, code=f"{PREFIX}BILL")
    setup = time.perf_counter() - started
    start = time.perf_counter()
    record = sponsorship_bill_issue(actor=Actor.system("system"), sponsorship=sponsorship, period=period)
    issue = time.perf_counter() - start
    read = _read_baseline(sponsorship, period)
    start = time.perf_counter()
    shares = group_bill_pay(
        actor=Actor.system("system"),
        bill=record.bill,
        amount_idr=record.amount_idr,
        payment_reference=f"BILL-{int(time.time())}",
        channel=CHANNEL,
    )
    pay = time.perf_counter() - start
    write = _write_baseline(record.members)
    totals = ledger_totals()
    paid_months = ContributionMonth.objects.filter(period=period.first_day, payer_kind="regional_budget").count()
    details: dict[str, Any] = {
        "members": members,
        "billed_members": record.members,
        "amount_idr": record.amount_idr,
        "cohort_setup_seconds": round(setup, 1),
        "members_paid": len(shares),
        "program_months_paid": paid_months,
        "ledger_balanced": totals["debit_idr"] == totals["credit_idr"],
    }
    return [
        Result(
            scenario="sponsorship group bill issue",
            figure=issue,
            unit="s",
            baseline=read,
            baseline_label="s to read the month's sponsored rows",
            higher_is_better=False,
            target="≤ 10 s for 100,000 members (PostgreSQL, 2 cores)",
            details=details,
        ),
        Result(
            scenario="sponsorship group bill payment",
            figure=pay,
            unit="s",
            baseline=write,
            baseline_label="s to post one entry with a line per member",
            higher_is_better=False,
            target="≤ 30 s for 100,000 members (PostgreSQL, 2 cores)",
            details={"members_paid": len(shares), "ledger_balanced": details["ledger_balanced"]},
        ),
    ]


@scenario("sponsorship_handover")
def sponsorship_handover(ctx: Context) -> list[Result]:
    """The hand-over run in one session (as a run inside a transaction, or on SQLite, always runs)."""
    return _handover(ctx, parts_runner=None, label="sponsorship hand-over run")


@scenario("sponsorship_handover_parts")
def sponsorship_handover_parts(ctx: Context) -> list[Result]:
    """The hand-over run as the daily command runs it: PostgreSQL, its parts in forked sessions at once."""
    return _handover(
        ctx,
        parts_runner=forked,
        label=f"sponsorship hand-over run, {settings.SPONSORSHIP_HANDOVER_PARTS} parts at once",
    )


def _handover(ctx: Context, *, parts_runner: PartsRunner | None, label: str) -> list[Result]:
    population = ensure_population(ctx)
    _clean()
    period = Period.of(timezone.localdate()) + 1
    members = min(ctx.members, population)
    sponsorship = _cohort(members, period, code=f"{PREFIX}HANDOVER")
    day = period.last_day - dt.timedelta(days=7)
    start = time.perf_counter()
    summary = handover_run(today=day, thresholds=[7], parts_runner=parts_runner)
    elapsed = time.perf_counter() - start
    # Baseline: one pass over the members to hand over, with their member rows.
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.worker_id, w.phone, w.declared_income_idr FROM sponsorships_sponsorshipmember m "
            "JOIN registry_worker w ON w.id = m.worker_id WHERE m.sponsorship_id = %s",
            [sponsorship.pk],
        )
        scanned = len(cursor.fetchall())
    scan = time.perf_counter() - start
    coded = sponsorship.handover_notices.exclude(payment_code="").count()
    return [
        Result(
            scenario=label,
            figure=elapsed,
            unit="s",
            baseline=scan,
            baseline_label="s to scan the members with their rows",
            higher_is_better=False,
            target="≤ 60 s for 1,000,000 sponsored members",
            details={
                "members": members,
                "scanned": scanned,
                "texts": summary.sent,
                "with_payment_code": coded,
                "members_per_second": round(summary.sent / elapsed) if elapsed else 0,
            },
        )
    ]
