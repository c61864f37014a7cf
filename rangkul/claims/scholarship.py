"""Scholarship years after the first: the yearly check, then the payout of that year.

A scholarship claim's lines hold the whole schedule (benefits.scholarship_lines): instalment
``n`` is the school year starting in ``event year + n - 1``. The first year is paid on
approval. Each later year falls due at the start of its school year (the month is in the rule
table), and is paid only after staff record a check for it: each child on the schedule still in
school, at the level the schedule expects, under the age limit of the rule table, not married
and not working (PP 82/2019 art. 25A as amended by PP 49/2023). A child who left school,
married, works or reached the age limit leaves the schedule for this and later years; a child
at another level than expected is held for the year. The check is audited with its evidence
(a document on the claim, or a confirmation noted by staff).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.claims.errors import ClaimErrorCode, ClaimInputInvalid, ClaimWrongStatus, NotAllowed, PayoutRefused
from rangkul.claims.models import (
    CheckEvidence,
    ChildSchoolStatus,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimStatus,
    DocumentKind,
    ScholarshipCheck,
)
from rangkul.claims.rules import claim_tables_for

PAY, END, HOLD = "pay", "end", "hold"
# The line detail written by benefits.scholarship_lines: "child 1 smp year 2 (2027/2028)".
_DETAIL = re.compile(r"^child (?P<child>\d+) (?P<level>\S+) year")
CHECKABLE = (ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.PAYMENT_FAILED)


@dataclass(frozen=True)
class ChildFinding:
    """What staff found for one child: the school status and the level the child is in."""

    status: str
    level: str = ""


def line_child(line: Mapping[str, Any]) -> tuple[int, str]:
    match = _DETAIL.match(str(line.get("detail", "")))
    return (int(match["child"]), match["level"]) if match else (0, "")


def is_scholarship(claim: Claim) -> bool:
    return claim.event == ClaimEvent.SCHOLARSHIP


def school_year_of(claim: Claim, instalment: int) -> int:
    return claim.event_date.year + instalment - 1


def due_on(claim: Claim, instalment: int) -> dt.date:
    """The first day of the instalment's school year (the first year is due on approval)."""
    month = claim_tables_for(claim.event_date).scholarship_school_year_month
    return dt.date(school_year_of(claim, instalment), month, 1)


def _checks(claim: Claim) -> dict[int, ScholarshipCheck]:
    return {c.instalment: c for c in ScholarshipCheck.objects.filter(claim=claim)}


def _ended_before(checks: Mapping[int, ScholarshipCheck], instalment: int) -> set[int]:
    return {
        int(row["child"])
        for n, check in checks.items()
        if n < instalment
        for row in check.children
        if row.get("outcome") == END
    }


def scheduled_lines(claim: Claim, instalment: int, checks: Mapping[int, ScholarshipCheck] | None = None) -> list[Any]:
    """The claim's lines for one instalment, without children whose scholarship ended before it."""
    lines = [line for line in claim.lines if int(line.get("instalment", 1)) == instalment]
    if not is_scholarship(claim) or instalment == 1:
        return lines
    ended = _ended_before(_checks(claim) if checks is None else checks, instalment)
    return [line for line in lines if line_child(line)[0] not in ended]


def payable_lines(claim: Claim, instalment: int, *, today: dt.date | None = None) -> list[Any]:
    """The lines one payout of ``instalment`` pays; refuses a later scholarship year not due or not checked."""
    if not is_scholarship(claim) or instalment == 1:
        return scheduled_lines(claim, instalment)
    checks = _checks(claim)
    lines = scheduled_lines(claim, instalment, checks)
    if not lines:
        return []
    today = today or timezone.localdate()
    due = due_on(claim, instalment)
    if today < due:
        raise PayoutRefused(
            _("Scholarship year %(n)s is due on %(day)s.") % {"n": instalment, "day": due.isoformat()},
            code=ClaimErrorCode.SCHOLARSHIP_NOT_DUE,
        )
    check = checks.get(instalment)
    if check is None:
        raise PayoutRefused(
            _("Scholarship year %(n)s is paid after the yearly check: record it first.") % {"n": instalment},
            code=ClaimErrorCode.SCHOLARSHIP_CHECK_MISSING,
        )
    paying = {int(row["child"]) for row in check.children if row.get("outcome") == PAY}
    return [line for line in lines if line_child(line)[0] in paying]


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _outcome(claim: Claim, child: int, expected_level: str, finding: ChildFinding, start: dt.date) -> tuple[str, str]:
    tables = claim_tables_for(claim.event_date)
    if finding.status != ChildSchoolStatus.IN_SCHOOL:
        return END, finding.status
    record = claim.children[child - 1] if 0 < child <= len(claim.children) else {}
    birth = dt.date.fromisoformat(record["birth_date"]) if record.get("birth_date") else None
    if birth is not None and _age_on(birth, start) >= tables.scholarship_end_age:
        return END, "age_limit"
    if finding.level != expected_level:
        return HOLD, "level_differs"
    return PAY, ""


@transaction.atomic
def scholarship_check_record(
    *,
    actor: Actor,
    claim: Claim,
    instalment: int,
    evidence: str,
    findings: Mapping[int, ChildFinding],
    note: str,
    document: ClaimDocument | None = None,
    today: dt.date | None = None,
) -> ScholarshipCheck:
    """Record the yearly check of one later scholarship year (once; audited with its evidence)."""
    if not actor.has_perm("accounts.process_claims"):
        raise NotAllowed(_("You may not do this with claims."))
    note = note.strip()
    if not note:
        raise ClaimInputInvalid(_("Give the reason for this step."), fields={"note": [_("Required.")]})
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not is_scholarship(claim) or instalment < 2:
        raise ClaimWrongStatus(_("Only a later year of a scholarship has a yearly check."))
    if claim.status not in CHECKABLE:
        raise ClaimWrongStatus(_("Only an approved scholarship has yearly checks."))
    start = due_on(claim, instalment)
    if (today or timezone.localdate()) < start:
        raise ClaimWrongStatus(
            _("Scholarship year %(n)s starts on %(day)s; check it then.") % {"n": instalment, "day": start.isoformat()}
        )
    checks = _checks(claim)
    earlier = instalment - 1
    if earlier >= 2 and earlier not in checks and scheduled_lines(claim, earlier, checks):
        # In order: a child who left school last year must not be paid this year.
        raise ClaimWrongStatus(_("Record the check of year %(n)s first.") % {"n": earlier})
    lines = scheduled_lines(claim, instalment, checks)
    if not lines:
        raise ClaimWrongStatus(_("Nobody is left on the schedule for this year."))
    if evidence not in CheckEvidence.values:
        raise ClaimInputInvalid(_("Say how the check was made."), fields={"evidence": [_("Required.")]})
    if evidence == CheckEvidence.DOCUMENT and (
        document is None or document.claim_id != claim.pk or document.kind != DocumentKind.SCHOOL_ENROLMENT
    ):
        message = _("Choose a proof of school enrolment stored on this claim.")
        raise ClaimInputInvalid(message, fields={"document": [message]})
    expected = dict(line_child(line) for line in lines)
    if set(findings) != set(expected):
        raise ClaimInputInvalid(_("Record what was found for every child on this year's schedule."))
    rows = []
    for child, level in sorted(expected.items()):
        finding = findings[child]
        if finding.status not in ChildSchoolStatus.values:
            message = _("Choose the child's situation.")
            raise ClaimInputInvalid(message, fields={f"child_{child}_status": [message]})
        outcome, reason = _outcome(claim, child, level, finding, start)
        rows.append(
            {
                "child": child,
                "status": finding.status,
                "level": finding.level,
                "expected_level": level,
                "outcome": outcome,
                "reason": reason,
            }
        )
    try:
        with transaction.atomic():
            check = ScholarshipCheck.objects.create(
                claim=claim,
                instalment=instalment,
                school_year=school_year_of(claim, instalment),
                evidence=evidence,
                document=document if evidence == CheckEvidence.DOCUMENT else None,
                children=rows,
                note=note,
                checked_at=timezone.now(),
                checked_by=actor.user,
                checked_by_label=actor.username,
            )
    except IntegrityError as exc:
        raise ClaimWrongStatus(_("This year's check is already recorded.")) from exc
    audit_record(
        actor=actor,
        action="claim.scholarship_check",
        subject=claim,
        subject_label=claim.number,
        after={
            "instalment": instalment,
            "school_year": check.school_year,
            "evidence": evidence,
            "document": check.document_id,
            "outcomes": [{"child": r["child"], "outcome": r["outcome"], "reason": r["reason"]} for r in rows],
        },
        reason=note,
    )
    return check


@dataclass(frozen=True)
class ScheduleRow:
    instalment: int
    school_year: int
    due_on: dt.date | None
    scheduled_idr: int
    check: ScholarshipCheck | None
    payout: Any
    checkable: bool
    payable: bool


def scholarship_schedule(claim: Claim, *, today: dt.date | None = None) -> list[ScheduleRow]:
    """Every year of a scholarship claim, with its check and payout, for the staff page."""
    if not is_scholarship(claim):
        return []
    today = today or timezone.localdate()
    checks = _checks(claim)
    payouts = {p.instalment: p for p in claim.payouts.all()}
    approved = claim.status in CHECKABLE
    rows = []
    for n in sorted({int(line.get("instalment", 1)) for line in claim.lines}):
        lines = scheduled_lines(claim, n, checks)
        due = due_on(claim, n) if n > 1 else None
        is_due = due is None or today >= due
        check = checks.get(n)
        rows.append(
            ScheduleRow(
                instalment=n,
                school_year=school_year_of(claim, n),
                due_on=due,
                scheduled_idr=sum(int(line["amount_idr"]) for line in lines),
                check=check,
                payout=payouts.get(n),
                checkable=approved and n > 1 and is_due and check is None and bool(lines),
                payable=approved and is_due and n not in payouts and (n == 1 or check is not None) and bool(lines),
            )
        )
    return rows


def scholarship_years_due(claims: Iterable[Claim], *, today: dt.date | None = None) -> list[tuple[Claim, ScheduleRow]]:
    """Later scholarship years that are due and not paid yet: waiting for their check or their transfer."""
    today = today or timezone.localdate()
    due = []
    for claim in claims:
        for row in scholarship_schedule(claim, today=today):
            if row.instalment > 1 and row.scheduled_idr and row.payout is None and (row.checkable or row.payable):
                due.append((claim, row))
    return due
