"""Referral codes for communities, agents and branches: created (audited), counted, printed.

A code reaches the registration page in its link (``/peserta/daftar/?ref=CODE``, the QR code on
the flyer); the registry stores it with the member, and the counts here read it back: members
registered with the code, those of them who paid, and what they paid (ADR 0041).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.models import BranchOffice
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.models import ContributionMonth
from rangkul.core.errors import ValidationFailed
from rangkul.outreach.campaigns import RUN_PERMISSION, CampaignNotAllowed
from rangkul.outreach.models import ReferralCode, ReferralKind
from rangkul.registry.models import Worker
from rangkul.registry.services.registration import referral_code_clean

# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_PREFIX = {ReferralKind.COMMUNITY: "K", ReferralKind.AGENT: "A", ReferralKind.BRANCH: "C"}


def _new_code(kind: str) -> str:
    return _PREFIX[ReferralKind(kind)] + "".join(secrets.choice(_ALPHABET) for _ in range(6))


@transaction.atomic
def referral_code_create(*, actor: Actor, kind: str, owner_code: str, name: str, code: str = "") -> ReferralCode:
    """A new code for a community, an agent or a branch; ``code`` is drawn when not given."""
    if not actor.has_perm(RUN_PERMISSION):
        raise CampaignNotAllowed(_("You may not create referral codes."))
    errors: dict[str, list[Any]] = {}
    if kind not in ReferralKind.values:
        errors["kind"] = [_("Choose a community, an agent or a branch.")]
    owner = owner_code.strip()
    if not owner:
        errors["owner_code"] = [_("Give the organisation, agent or branch code.")]
    elif kind == ReferralKind.BRANCH and not BranchOffice.objects.filter(code=owner).exists():
        errors["owner_code"] = [_("No branch office has this code.")]
    if not name.strip():
        errors["name"] = [_("Give the name to print on the flyer.")]
    wanted = referral_code_clean(code) if code.strip() else ""
    if code.strip() and not wanted:
        errors["code"] = [_("A code has 3 to 20 letters, digits or dashes.")]
    if errors:
        raise ValidationFailed(_("Check the referral code."), fields=errors)
    for _attempt in range(5):
        candidate = wanted or _new_code(kind)
        try:
            with transaction.atomic():
                referral = ReferralCode.objects.create(
                    code=candidate,
                    kind=kind,
                    owner_code=owner[:40],
                    name=name.strip()[:120],
                    created_by=actor.user,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            if wanted:
                message = _("This code is taken.")
                raise ValidationFailed(message, fields={"code": [message]}) from None
            continue
        audit_record(
            actor=actor,
            action="referral.create",
            subject=referral,
            after={"code": candidate, "kind": kind, "owner": owner},
        )
        return referral
    raise ValidationFailed(_("No free code was found; try again."))


def referral_link(code: str) -> str:
    """The public registration page carrying the code (what the QR code holds)."""
    path = reverse("portal:register") + "?" + urlencode({"ref": code})
    return urljoin(settings.OUTREACH_LINK_URL, path)


@dataclass(frozen=True)
class ReferralCount:
    referral: ReferralCode
    registered: int
    paying: int
    paid_idr: int


def referral_counts() -> list[ReferralCount]:
    """Per code: members registered with it, how many of them paid at least one month, and the sum paid."""
    codes = list(ReferralCode.objects.order_by("code"))
    paid = ContributionMonth.objects.filter(worker=OuterRef("pk"))
    members = (
        Worker.objects.filter(referral_code__in=[r.code for r in codes])
        .annotate(has_paid=Exists(paid))
        .values("referral_code")
        .annotate(n=Count("pk"), paying=Count("pk", filter=Q(has_paid=True)))
    )
    registered = {row["referral_code"]: (row["n"], row["paying"]) for row in members}
    amounts = dict(
        ContributionMonth.objects.filter(worker__referral_code__in=[r.code for r in codes])
        .values("worker__referral_code")
        .annotate(total=Sum("amount_idr"))
        .values_list("worker__referral_code", "total")
    )
    return [
        ReferralCount(r, registered.get(r.code, (0, 0))[0], registered.get(r.code, (0, 0))[1], amounts.get(r.code) or 0)
        for r in codes
    ]
