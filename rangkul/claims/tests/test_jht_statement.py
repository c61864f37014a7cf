"""The member's JHT statement: the figures against a history computed by hand, who may read it, the PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.statement import jht_statement_for, jht_statement_pdf
from rangkul.claims.tests.factories import declared_jht_rates, file, insured
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import at
from rangkul.core.pdf import page_text

TODAY = dt.date(2026, 3, 15)


def _history(**overrides):
    """JHT paid Oct 2024 – Apr 2026 at Rp20.000 a month: 15 months on 7 Oct 2024, 4 more on 6 Jan 2026."""
    worker = insured(paid_on=dt.date(2024, 10, 7), months=15, jht=True, **overrides)
    payment_allocate(
        actor=Actor.system("test"),
        worker=worker,
        amount_idr=36_800 * 4,
        payment_reference=f"P-{worker.pk}-2026",
        channel="sandbox",
        paid_at=at(dt.date(2026, 1, 6)),
    )
    return worker


@pytest.fixture
def rates(db):
    """2024 declared at 6%, 2026 at 4%; 2025 not declared (the rule file's estimate rate, 5%)."""
    declared_jht_rates(2024, rate="0.06")
    declared_jht_rates(2026, rate="0.04")


@pytest.fixture
def freeze(monkeypatch):
    """Call after the history is made: the pages then read the statement as of ``TODAY``."""

    def on() -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)

    return on


def _as_member(client, worker):
    session = client.session
    session["portal_worker_id"] = worker.pk
    session.save()


def test_statement_figures_match_the_hand_computed_history(regions, rates):
    statement = jht_statement_for(worker=_history(), today=TODAY)
    rows = {row.year: row for row in statement.years}
    assert list(rows) == [2024, 2025, 2026]
    # 2024, declared 6%: Oct, Nov, Dec held 3, 2 and 1 months: 20.000 × 6% × 6/12 = 600.
    assert (rows[2024].contributions_idr, rows[2024].months, rows[2024].return_idr) == (60_000, 3, 600)
    assert rows[2024].closing_idr == 60_600 and not rows[2024].estimate
    assert rows[2024].citation == "Declared JHT return 2024 (test)"
    # 2025, not declared: estimate 5%. Opening 60.600 × 5% = 3.030; twelve months 20.000 × 5% × 78/12 = 6.500.
    assert (rows[2025].opening_idr, rows[2025].contributions_idr, rows[2025].return_idr) == (60_600, 240_000, 9_530)
    assert rows[2025].closing_idr == 310_130 and rows[2025].estimate and rows[2025].citation == ""
    # 2026 to 15 March, declared 4%: 310.130 × 4% × 3/12 = 3.101,3; Jan–Mar 20.000 × 4% × 6/12 = 400 → 3.501.
    assert (rows[2026].contributions_idr, rows[2026].months, rows[2026].return_idr) == (60_000, 3, 3_501)
    assert rows[2026].closing_idr == 373_631 and not rows[2026].estimate
    assert rows[2026].rate_percent == "4%" and rows[2025].rate_percent == "5%"
    assert statement.balance_idr == 373_631
    assert statement.contributions_idr == 360_000 and statement.returns_idr == 13_631
    assert statement.estimate and statement.estimate_years == [2025]
    # April 2026 is paid ahead: listed, not counted yet.
    assert (statement.advance_months, statement.advance_idr) == (1, 20_000)


def test_a_member_without_jht_months_has_an_empty_statement(regions, rates):
    statement = jht_statement_for(worker=insured(paid_on=dt.date(2026, 1, 5), jht=False), today=TODAY)
    assert statement.years == [] and statement.balance_idr == 0 and not statement.estimate


def test_after_a_paid_jht_claim_the_statement_counts_only_later_months(regions, rates):
    worker = _history()
    declared_jht_rates(2025, rate="0.05")
    claim = file(worker, program="JHT", event="withdrawal", event_date=dt.date(2025, 12, 20))
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID)  # the payout itself is tested in test_payouts
    statement = jht_statement_for(worker=worker, today=TODAY)
    assert [row.year for row in statement.years] == [2026]
    assert statement.years[0].opening_idr == 0 and statement.contributions_idr == 60_000
    assert statement.paid_out is not None and statement.paid_out.number == claim.number


def test_member_sees_own_statement_with_the_estimate_marked(client, regions, rates, freeze):
    worker = _history()
    freeze()
    url = reverse("claims_public:jht_statement")
    assert client.get(url).status_code == 302  # not signed in: to the log-in page
    _as_member(client, worker)
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="jht-balance-amount">Rp373.631<' in content
    assert 'data-testid="jht-estimate-2025"' in content
    assert 'data-testid="jht-estimate-2024"' not in content and 'data-testid="jht-estimate-2026"' not in content
    assert "Rp310.130" in content and "Rp9.530" in content
    assert "<script" not in content.split("</head>", 1)[1]  # the page needs no script
    assert reverse("claims_public:jht_statement_pdf") in content
    assert not AuditEvent.objects.filter(action="claims.jht_statement_view").exists()  # a member's own reading


def test_the_account_menu_and_card_link_to_the_statement(client, regions, rates):
    worker = _history()
    _as_member(client, worker)
    url = reverse("claims_public:jht_statement")
    assert url in client.get(reverse("portal:account")).content.decode()
    assert url in client.get(reverse("contributions:my_card")).content.decode()


def test_another_member_sees_only_their_own(client, regions, rates, freeze):
    worker = _history()
    other = insured(paid_on=dt.date(2026, 1, 5), jht=True)
    freeze()
    _as_member(client, other)
    content = client.get(reverse("claims_public:jht_statement")).content.decode()
    assert worker.full_name not in content or worker.full_name == other.full_name
    assert "Rp373.631" not in content
    assert worker.membership_number not in page_text(client.get(reverse("claims_public:jht_statement_pdf")).content)
    # The member's URL names no member; the office URL refuses a member's session.
    office = reverse("claims:jht_statement", args=[worker.membership_number])
    assert client.get(office).status_code in {302, 403}


def test_pdf_states_the_figures_and_is_the_same_at_every_download(client, regions, rates, freeze):
    worker = _history()
    freeze()
    _as_member(client, worker)
    response = client.get(reverse("claims_public:jht_statement_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert f"saldo-jht-{worker.membership_number}-2026-03-15.pdf" in response["Content-Disposition"]
    # The standard fonts' encoding draws the mask's bullet as byte 0x7F.
    text = page_text(response.content).replace("\x7f", "•")
    assert worker.membership_number in text and worker.nik_masked in text
    for figure in ("Rp60.600", "Rp310.130", "Rp373.631", "Rp9.530", "Rp3.501", "Rp360.000", "Rp13.631", "6%", "4%"):
        assert figure in text, figure
    line_2025 = next(line for line in text.splitlines() if line.startswith("5%"))
    assert "(perkiraan)" in line_2025 or "(estimate)" in line_2025
    assert "Declared JHT return 2024 (test)" in text
    assert client.get(reverse("claims_public:jht_statement_pdf")).content == response.content
    assert jht_statement_pdf(jht_statement_for(worker=worker, today=TODAY)) == response.content


def test_staff_read_the_statement_on_the_members_office_page_and_it_is_audited(
    client, regions, rates, freeze, branch_officer
):
    worker = _history()
    far = _history(village_code="94.01.01.1001")
    freeze()
    client.login(username=branch_officer.username, password=PASSWORD)
    detail = client.get(reverse("registry:detail", args=[worker.membership_number])).content.decode()
    url = reverse("claims:jht_statement", args=[worker.membership_number])
    assert url in detail
    response = client.get(url)
    assert response.status_code == 200 and "Rp373.631" in response.content.decode()
    pdf = client.get(reverse("claims:jht_statement_pdf", args=[worker.membership_number]))
    assert pdf.status_code == 200 and "Rp373.631" in page_text(pdf.content)
    reads = AuditEvent.objects.filter(action="claims.jht_statement_view", actor_id=branch_officer.pk)
    assert sorted(e.after["format"] for e in reads) == ["page", "pdf"]
    assert {e.subject_label for e in reads} == {worker.membership_number}
    # Outside the officer's region: not found, and nothing read.
    assert client.get(reverse("claims:jht_statement", args=[far.membership_number])).status_code == 404
    assert reads.count() == 2


def test_a_staff_member_without_office_access_is_refused(client, regions, rates, analyst):
    worker = _history()
    client.login(username=analyst.username, password=PASSWORD)
    assert client.get(reverse("claims:jht_statement", args=[worker.membership_number])).status_code in {403, 404}
