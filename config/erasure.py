"""The apps above the registry in a member's erasure (``REGISTRY_ERASURE_BLOCKERS`` and ``_STEPS``).

The registry sits below the apps that hold these facts, so it cannot import them; the composition
root, which may import every app, joins them here, as it mounts their URLs and API routers.

A blocker answers why the member's data cannot be erased now ("" when it can). A step erases the
member's personal data its app holds, inside the erasure's transaction and before the registry
replaces its own record, and answers ``{"app.model": {"rows": n, "fields": [...]}}`` for the audit
row: field names and counts, never values.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from rangkul.agents.models import ReceiptReport
from rangkul.claims.eligibility import SELF
from rangkul.claims.models import Claim
from rangkul.claims.selectors import OPEN_STATUSES
from rangkul.partners.models import ImportRowResult, Membership
from rangkul.registry.models import Worker

Erased = dict[str, dict[str, Any]]


def open_claims(worker: Worker) -> str:
    """An undecided or unpaid claim needs the member's and heirs' identities until it is paid."""
    if Claim.objects.filter(worker=worker, status__in=OPEN_STATUSES).exists():
        return _("The member has an open claim: decide and pay it before erasing personal data.")
    return ""


def partner_supplied_data(worker: Worker) -> Erased:
    """What partners wrote about the member: the name on each membership, the values in import reports.

    The membership itself stays (the organisation's count and the sponsorships built on it); an
    import report keeps its row, outcome and message, without the value the partner's file held.
    """
    memberships = Membership.objects.filter(worker=worker).exclude(supplied_name="").update(supplied_name="")
    results = ImportRowResult.objects.filter(worker=worker).exclude(value="").update(value="")
    return {
        "partners.membership": {"rows": memberships, "fields": ["supplied_name"]},
        "partners.importrowresult": {"rows": results, "fields": ["value"]},
    }


def claimant_own_phone(worker: Worker) -> Erased:
    """The member's own mobile number on the claims they filed for themselves.

    Claims are kept (a retention exception, docs/security.md), and no claim is open at this point
    (``open_claims``), so no one needs to call the member about it. The name, tax number and bank
    account stay with the paid claim as financial records; an heir's contact stays, since the
    heir did not ask and scholarship checks and pension instalments may still reach them.
    """
    claims = Claim.objects.filter(worker=worker, claimant_relationship=SELF).exclude(claimant_phone="")
    return {"claims.claim": {"rows": claims.update(claimant_phone=""), "fields": ["claimant_phone"]}}


def missing_receipt_notes(worker: Worker) -> Erased:
    """Free-text notes on the member's missing-receipt reports; the report (date, amount, agent) stays.

    The fraud signals count reports per agent; the note may quote the member and is not needed for it.
    """
    reports = ReceiptReport.objects.filter(worker=worker).exclude(note="").update(note="")
    return {"agents.receiptreport": {"rows": reports, "fields": ["note"]}}
