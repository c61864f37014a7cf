"""JHT returns: paid only on the rates the agency declared, loaded from a CSV citing each one."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.benefits import DeclaredRate, JhtRateNotDeclared, JhtRates, jht_statement
from rangkul.claims.errors import ClaimWrongStatus, PayoutRefused
from rangkul.claims.jht_rates import claim_jht_recalculate, has_estimate
from rangkul.claims.models import JhtDeclaredRate
from rangkul.claims.rules import claim_tables_for
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, payout_send
from rangkul.claims.tests.factories import file, insured
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

CONTRIBUTIONS = {Period(2024, 1) + i: 20_000 for i in range(30)}  # Jan 2024 .. Jun 2026
UNTIL = dt.date(2026, 6, 30)


def _rates(*years: int, estimate: str = "0.05") -> JhtRates:
    return JhtRates({y: DeclaredRate(Decimal("0.06"), f"declared {y}") for y in years}, Decimal(estimate))


def _load(tmp_path, text: str, *args: str) -> dict:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    out = []

    class Sink:
        def write(self, value: str) -> None:
            out.append(value)

        def flush(self) -> None:
            pass

    call_command("load_jht_rates", str(path), *args, stdout=Sink(), stderr=Sink())
    return json.loads(out[-1])


def test_a_year_without_a_declared_rate_is_refused():
    with pytest.raises(JhtRateNotDeclared) as error:
        jht_statement(_rates(2024), contributions=CONTRIBUTIONS, until=UNTIL)
    assert "2025, 2026" in str(error.value.message)
    rows = jht_statement(_rates(2024), contributions=CONTRIBUTIONS, until=UNTIL, allow_estimate=True)
    assert [(r.year, r.rate, r.estimate) for r in rows] == [
        (2024, Decimal("0.06"), False),
        (2025, Decimal("0.05"), True),
        (2026, Decimal("0.05"), True),
    ]
    assert not any(
        r.estimate for r in jht_statement(_rates(2024, 2025, 2026), contributions=CONTRIBUTIONS, until=UNTIL)
    )


def test_the_shipped_rule_file_declares_no_rate():
    tables = claim_tables_for(UNTIL)
    assert tables.jht_estimate_rate == Decimal("0.05") and not hasattr(tables, "jht_returns")


def _jht_claim():
    worker = insured(jht=True, paid_on=dt.date(2026, 1, 5), months=12)
    return file(
        worker,
        program="JHT",
        event="withdrawal",
        event_date=dt.date(2026, 11, 30),
        claimant=ClaimantIn(worker.full_name, "self", "", "", "BRI", "1234567890"),
    )


def test_an_estimated_claim_is_not_approved_until_recalculated_on_declared_rates(regions, officer, approver, tmp_path):
    claim = _jht_claim()
    assert claim.eligible and has_estimate(claim.lines)
    returns = next(line for line in claim.lines if line["benefit"] == "jht_returns")
    assert returns["estimate"] is True and "2026" in returns["detail"]
    with pytest.raises(ClaimWrongStatus):
        claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
    with pytest.raises(JhtRateNotDeclared):  # still nothing declared
        claim_jht_recalculate(actor=Actor.for_user(officer), claim=claim, note="rates?")

    summary = _load(tmp_path, "year,rate,citation\n2026,6.5%,Pengumuman Direksi BPJS TK hasil pengembangan JHT 2026\n")
    assert summary == {"rows": 1, "loaded": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    claim = claim_jht_recalculate(actor=Actor.for_user(officer), claim=claim, note="declared rate for 2026 loaded")
    assert not has_estimate(claim.lines)
    returns = next(line for line in claim.lines if line["benefit"] == "jht_returns")
    assert "hasil pengembangan JHT 2026" in returns["citation"]
    assert claim.benefit_idr == sum(line["amount_idr"] for line in claim.lines)
    assert AuditEvent.objects.filter(action="claim.jht_recalculate", subject_label=claim.number).exists()
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
    claim = claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")
    assert payout_send(actor=Actor.for_user(approver), claim=claim).status == "sent"


def test_an_estimate_is_never_paid_even_if_it_got_past_approval(regions, officer, approver):
    claim = _jht_claim()
    # Forced past the proposal's guard (e.g. by an operator's data fix): the payout still refuses.
    claim.status = "approved"
    claim.save(update_fields=["status"])
    with pytest.raises(PayoutRefused):
        payout_send(actor=Actor.for_user(approver), claim=claim)
    assert not claim.payouts.exists()


def test_the_loader_refuses_a_file_without_citations_and_loads_nothing(tmp_path):
    with pytest.raises(CommandError):
        _load(tmp_path, "year,rate\n2025,0.06\n")
    with pytest.raises(CommandError):
        _load(tmp_path, "year,rate,citation\n2024,0.055,Pengumuman 2024\n2025,0.06,\n2026,abc,x\n")
    assert not JhtDeclaredRate.objects.exists()


def test_loading_again_is_idempotent_and_a_change_needs_replace(tmp_path):
    text = 'year,rate,citation\n2024,0.0575,Pengumuman 2024\n2025,"5,5%",Pengumuman 2025\n'
    assert _load(tmp_path, text)["loaded"] == 2
    assert JhtDeclaredRate.objects.get(year=2025).rate == Decimal("0.055")
    assert _load(tmp_path, text)["unchanged"] == 2
    changed = "year,rate,citation\n2025,0.056,Pengumuman 2025 (ralat)\n"
    with pytest.raises(CommandError):
        _load(tmp_path, changed)
    assert _load(tmp_path, changed, "--replace")["updated"] == 1
    event = AuditEvent.objects.filter(action="claims.jht_rate_load", subject_id="2025").order_by("-id").first()
    assert event.before["rate"] == "0.055000" and event.after["rate"] == "0.056000"


def test_the_public_projection_says_it_is_an_estimate(client, tmp_path):
    body = client.get(
        "/api/v1/benefits?program=JHT&event=withdrawal&declared_income_idr=1000000&years=2&on=2026-01-10"
    ).json()
    assert body["estimate"] is True
    assert [line.get("estimate", False) for line in body["lines"]] == [False, True]
    _load(tmp_path, "year,rate,citation\n2026,0.06,Pengumuman 2026\n2027,0.06,Pengumuman 2027\n")
    body = client.get(
        "/api/v1/benefits?program=JHT&event=withdrawal&declared_income_idr=1000000&years=2&on=2026-01-10"
    ).json()
    assert body["estimate"] is False
