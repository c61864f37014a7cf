"""Linking people already registered to a partner: only who matches, seen only after they agree.

An import that names someone already in Rangkul (another organisation's member, or
someone who registered alone) must not hand their record to the partner on the NIK
alone: the name and birth date in the row must match the record too, the partner sees
only what it supplied until the member agrees (SMS asking for consent; the branch
records the answer), and the member is told in every case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import Conflict
from rangkul.messaging.services import sms_queue
from rangkul.partners.errors import PartnerErrorCode
from rangkul.partners.models import MemberConsent, Membership, Organisation
from rangkul.registry import identity
from rangkul.registry.models import Worker

NOT_THE_SAME_PERSON = _(
    "This NIK is already registered with Rangkul under another name or date of birth. Check the NIK, name and "
    "date of birth against the KTP; nobody was added to your members."
)
LINKED_PENDING = _(
    "Already registered with Rangkul; added to your members once the member agrees (they were sent an SMS). "
    "Until then you see only the name you supplied."
)


def same_person(*, full_name: str, birth_date: dt.date | None, worker: Worker) -> bool:
    """The row names the registered person: the same birth date and the same name (case and spaces aside)."""
    return birth_date == worker.birth_date and identity.name_search_key(full_name) == worker.name_normalized


def consent_needed(*, organisation: Organisation, worker: Worker) -> bool:
    """A person the organisation did not register itself must agree before it sees their record."""
    return worker.registered_by_organisation != organisation.code


def linked_notify(*, organisation: Organisation | None, memberships: Sequence[Membership]) -> int:
    """Text each member newly linked with consent pending (not those already linked); one query for the batch."""
    pending = [m for m in memberships if m.consent == MemberConsent.PENDING]
    if not pending or organisation is None:
        return 0
    already = set(
        Membership.objects.filter(organisation=organisation, worker_id__in=[m.worker_id for m in pending]).values_list(
            "worker_id", flat=True
        )
    )
    sent = 0
    for membership in pending:
        phone = membership.worker.phone
        if membership.worker_id in already or not phone:
            continue
        body = gettext(
            "Rangkul: %(organisation)s has listed you as its member. It sees only the name it gave until you agree. "
            "To agree, or if you do not know this organisation, contact your BPJS Ketenagakerjaan branch office."
        ) % {"organisation": organisation.name[:60]}
        sms_queue(to=phone, body=body, purpose="partner_consent")
        sent += 1
    return sent


@transaction.atomic
def membership_consent_record(*, actor: Actor, membership: Membership, via: str = "branch") -> Membership:
    """The member agreed (told the branch): the organisation now sees their record."""
    membership = Membership.objects.select_for_update().select_related("worker", "organisation").get(pk=membership.pk)
    if membership.consent == MemberConsent.GIVEN:
        raise Conflict(_("The member's consent is already recorded."), code=PartnerErrorCode.CONSENT_GIVEN)
    membership.consent = MemberConsent.GIVEN
    membership.consent_at = timezone.now()
    membership.save(update_fields=["consent", "consent_at"])
    audit_record(
        actor=actor,
        action="partners.member_consent_recorded",
        subject=membership.worker,
        before={"consent": MemberConsent.PENDING.value},
        after={"consent": MemberConsent.GIVEN.value, "organisation": membership.organisation.code, "via": via},
    )
    return membership
