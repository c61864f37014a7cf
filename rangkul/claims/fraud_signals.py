"""Fraud and error signals for the approver: shown, never decided by the machine."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from rangkul.claims.eligibility import HEIR_RANKS
from rangkul.claims.models import Claim, ClaimEvent, ClaimStatus
from rangkul.contributions.selectors import program_months
from rangkul.core.periods import Period
from rangkul.registry.selectors import heir_list


@dataclass(frozen=True)
class Signal:
    code: str
    message: str


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


def claim_signals(*, claim: Claim) -> list[Signal]:
    """What an approver should look at twice; each signal says why."""
    signals: list[Signal] = []
    months = program_months(worker_id=claim.worker_id, program=claim.program)
    if months:
        first_paid = min(m.paid_on for m in months)
        days = (claim.event_date - first_paid).days
        if 0 <= days <= settings.CLAIMS_SIGNAL_EARLY_DAYS:
            signals.append(
                Signal(
                    "early_event",
                    _("The event came %(days)s days after the first payment (%(paid_on)s).")
                    % {"days": days, "paid_on": first_paid.isoformat()},
                )
            )
        month = next((m for m in months if m.period == Period.of(claim.event_date)), None)
        if month is not None and month.paid_on > claim.event_date:
            signals.append(
                Signal(
                    "paid_after_event",
                    _("The month of the event was paid on %(paid_on)s, after the event.")
                    % {"paid_on": month.paid_on.isoformat()},
                )
            )
    if claim.event == ClaimEvent.DEATH:
        others = (
            Claim.objects.filter(worker_id=claim.worker_id, event=ClaimEvent.DEATH)
            .exclude(pk=claim.pk)
            .exclude(status=ClaimStatus.REJECTED)
            .values_list("number", flat=True)
        )
        if others:
            signals.append(
                Signal(
                    "two_death_claims", _("Other claims for this death: %(numbers)s.") % {"numbers": ", ".join(others)}
                )
            )
    if claim.claimant_phone:
        sharing = _other_members_sharing(claim, claimant_phone=claim.claimant_phone)
        if sharing >= settings.CLAIMS_SIGNAL_SHARED_PHONE:
            signals.append(
                Signal(
                    "shared_phone",
                    _("The claimant's phone number is on claims for %(count)s other members.") % {"count": sharing},
                )
            )
    if claim.bank_account_hash:
        # Found by the keyed hash: no account number is opened to compare.
        sharing = _other_members_sharing(claim, bank_account_hash=claim.bank_account_hash)
        if sharing >= settings.CLAIMS_SIGNAL_SHARED_PHONE:
            signals.append(
                Signal(
                    "shared_account",
                    _("The bank account %(account)s is on claims for %(count)s other members.")
                    % {"account": claim.bank_account_masked, "count": sharing},
                )
            )
    if claim.claimant_relationship in HEIR_RANKS:
        name = _normal(claim.claimant_name)
        for heir in heir_list(worker=claim.worker):
            if _normal(heir.full_name) == name and heir.relationship != claim.claimant_relationship:
                signals.append(
                    Signal(
                        "heir_relationship_differs",
                        _("The family data on file records the claimant as %(on_file)s, not %(claimed)s.")
                        % {"on_file": heir.get_relationship_display(), "claimed": claim.claimant_relationship},
                    )
                )
    return signals


def _other_members_sharing(claim: Claim, **same: str) -> int:
    """How many other members have claims with the same value (phone, account hash) as this one."""
    return Claim.objects.filter(**same).exclude(worker_id=claim.worker_id).values("worker_id").distinct().count()
