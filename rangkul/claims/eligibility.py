"""Eligibility from the member's record, explained with enumerated reasons.

Each reason has a code (compared as an enum member), a plain message for the claimant and
the staff, and the facts that decide it (dates as ISO strings) so a refusal can be checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from rangkul.claims.benefits import Event, Program
from rangkul.contributions.selectors import ProgramMonth
from rangkul.core.periods import Period

SELF = "self"
FUNERAL_ARRANGER = "funeral_arranger"

# DOMAIN.md: spouse and children first; if none, parents, grandchildren, grandparents,
# siblings, parents-in-law, a person named in a will. Spouse and children share a rank.
HEIR_RANKS: dict[str, int] = {
    "spouse": 0,
    "child": 0,
    "parent": 1,
    "grandchild": 2,
    "grandparent": 3,
    "sibling": 4,
    "parent_in_law": 5,
    "named_in_will": 6,
}
CLAIMANT_RELATIONSHIPS = (SELF, *HEIR_RANKS, FUNERAL_ARRANGER)
DEATH_EVENTS = frozenset({Event.DEATH, Event.SCHOLARSHIP})


class Reason(StrEnum):
    PROGRAM_NOT_HELD = "program_not_held"
    NEVER_PAID = "never_paid"
    BEFORE_FIRST_PAID_MONTH = "before_first_paid_month"
    UNPAID_MONTH = "unpaid_month"
    COVER_NOT_STARTED = "cover_not_started"
    SCHOLARSHIP_TOO_FEW_YEARS = "scholarship_too_few_years"
    CLAIMANT_MUST_BE_MEMBER = "claimant_must_be_member"
    MEMBER_CANNOT_CLAIM_DEATH = "member_cannot_claim_death"
    CLAIMANT_NOT_HEIR = "claimant_not_heir"
    HEIR_NOT_FIRST_IN_ORDER = "heir_not_first_in_order"
    FUNERAL_ARRANGER_WITH_HEIRS = "funeral_arranger_with_heirs"
    ALREADY_CLAIMED = "already_claimed"


def reason_message(code: str, facts: dict[str, Any]) -> str:
    """The plain message for a reason (translated in the current language)."""
    messages = {
        Reason.PROGRAM_NOT_HELD: _("The member had not joined %(program)s."),
        Reason.NEVER_PAID: _("No contribution for %(program)s has ever been paid."),
        Reason.BEFORE_FIRST_PAID_MONTH: _(
            "The event (%(event_date)s) happened before protection began: the first paid month is "
            "%(first_month)s, protected from %(covered_from)s."
        ),
        Reason.UNPAID_MONTH: _(
            "The event (%(event_date)s) happened in %(month)s, a month that was not paid; the last paid "
            "month before it is %(last_paid_month)s."
        ),
        Reason.COVER_NOT_STARTED: _(
            "%(month)s was paid on %(paid_on)s; protection began on %(covered_from)s, after the event (%(event_date)s)."
        ),
        Reason.SCHOLARSHIP_TOO_FEW_YEARS: _(
            "A scholarship after a death not from work needs %(required)s months of contributions; "
            "%(months_paid)s were paid."
        ),
        Reason.CLAIMANT_MUST_BE_MEMBER: _("Only the member can claim this benefit."),
        Reason.MEMBER_CANNOT_CLAIM_DEATH: _("A death benefit is claimed by an heir or whoever arranged the funeral."),
        Reason.CLAIMANT_NOT_HEIR: _("The claimant is not among the heirs recorded for the member."),
        Reason.HEIR_NOT_FIRST_IN_ORDER: _(
            "An heir who comes earlier in the order of heirs is recorded (%(first_relationship)s)."
        ),
        Reason.FUNERAL_ARRANGER_WITH_HEIRS: _(
            "The member has recorded heirs: the funeral benefit goes to them, not to whoever arranged the funeral."
        ),
        Reason.ALREADY_CLAIMED: _("Claim %(claim_number)s for the same event has already been approved or paid."),
    }
    return messages[Reason(code)] % facts


@dataclass(frozen=True)
class Finding:
    code: Reason
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": reason_message(self.code, self.facts), "facts": self.facts}


@dataclass(frozen=True)
class HeirOnFile:
    full_name: str
    relationship: str


@dataclass(frozen=True)
class Assessment:
    findings: tuple[Finding, ...]
    months_paid: int

    @property
    def eligible(self) -> bool:
        return not self.findings


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


def coverage_findings(
    *, program: Program, event_date: dt.date, months: Sequence[ProgramMonth], holds_program: bool
) -> list[Finding]:
    """Was the member covered for ``program`` on the event date? If not, the dates that decide it."""
    facts: dict[str, Any] = {"program": program.value, "event_date": event_date.isoformat()}
    if not holds_program and not months:
        return [Finding(Reason.PROGRAM_NOT_HELD, facts)]
    if not months:
        return [Finding(Reason.NEVER_PAID, facts)]
    first = months[0]
    if Period.of(event_date) < first.period:
        return [
            Finding(
                Reason.BEFORE_FIRST_PAID_MONTH,
                {**facts, "first_month": str(first.period), "covered_from": first.covered_from.isoformat()},
            )
        ]
    month = Period.of(event_date)
    paid = next((m for m in months if m.period == month), None)
    if paid is None:
        earlier = [m for m in months if m.period < month]
        return [
            Finding(
                Reason.UNPAID_MONTH,
                {**facts, "month": str(month), "last_paid_month": str(earlier[-1].period) if earlier else "-"},
            )
        ]
    if paid.covered_from > event_date:
        return [
            Finding(
                Reason.COVER_NOT_STARTED,
                {
                    **facts,
                    "month": str(month),
                    "paid_on": paid.paid_on.isoformat(),
                    "covered_from": paid.covered_from.isoformat(),
                },
            )
        ]
    return []


def claimant_findings(
    *, event: Event, relationship: str, claimant_name: str, heirs: Sequence[HeirOnFile]
) -> list[Finding]:
    """Who may claim: the member for their own events; for a death, the first heirs in order."""
    if event not in DEATH_EVENTS:
        return [] if relationship == SELF else [Finding(Reason.CLAIMANT_MUST_BE_MEMBER)]
    if relationship == SELF:
        return [Finding(Reason.MEMBER_CANNOT_CLAIM_DEATH)]
    if relationship == FUNERAL_ARRANGER:
        return [Finding(Reason.FUNERAL_ARRANGER_WITH_HEIRS)] if heirs else []
    if not heirs:
        return []  # none recorded: the heir certificate among the documents decides, checked by the officer
    on_file = {(h.relationship, _normal(h.full_name)) for h in heirs}
    if (relationship, _normal(claimant_name)) not in on_file:
        return [Finding(Reason.CLAIMANT_NOT_HEIR)]
    first = min(heirs, key=lambda h: HEIR_RANKS.get(h.relationship, 99))
    if HEIR_RANKS.get(relationship, 99) > HEIR_RANKS.get(first.relationship, 99):
        return [Finding(Reason.HEIR_NOT_FIRST_IN_ORDER, {"first_relationship": first.relationship})]
    return []


def assess(
    *,
    program: Program,
    event: Event,
    event_date: dt.date,
    months: Sequence[ProgramMonth],
    holds_program: bool,
    relationship: str,
    claimant_name: str,
    heirs: Sequence[HeirOnFile],
    earlier_claim_number: str | None,
    scholarship_min_months: int,
) -> Assessment:
    """Every finding against a claim; no findings means eligible."""
    findings = coverage_findings(program=program, event_date=event_date, months=months, holds_program=holds_program)
    paid_before = sum(1 for m in months if m.covered_from <= event_date)
    if event is Event.SCHOLARSHIP and program is Program.JKM and paid_before < scholarship_min_months:
        findings.append(
            Finding(Reason.SCHOLARSHIP_TOO_FEW_YEARS, {"required": scholarship_min_months, "months_paid": paid_before})
        )
    findings += claimant_findings(event=event, relationship=relationship, claimant_name=claimant_name, heirs=heirs)
    if earlier_claim_number:
        findings.append(Finding(Reason.ALREADY_CLAIMED, {"claim_number": earlier_claim_number}))
    return Assessment(findings=tuple(findings), months_paid=paid_before)
