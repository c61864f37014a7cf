"""Writes for partner organisations, their users and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.accounts.roles import Role
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ValidationFailed
from rangkul.partners.models import (
    ImportJob,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationUser,
)
from rangkul.regions.selectors import regency_exists
from rangkul.registry.models import Worker


@transaction.atomic
def organisation_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    region_code: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    branch: Any = None,
) -> Organisation:
    code = (code or "").strip().lower()
    errors: dict[str, list[Any]] = {}
    if not code:
        errors["code"] = [_("Give the organisation a short code.")]
    elif Organisation.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used by another organisation.")]
    if not (name or "").strip():
        errors["name"] = [_("Write the organisation's name.")]
    if kind not in OrganisationKind.values:
        errors["kind"] = [_("Choose the kind of organisation from the list.")]
    if region_code and not regency_exists(region_code):
        errors["region"] = [_("This regency or city is not in the region list.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    organisation = Organisation.objects.create(
        code=code,
        name=name.strip(),
        kind=kind,
        region_id=region_code or None,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip(),
        branch=branch,
    )
    audit_record(
        actor=actor,
        action="partners.organisation_created",
        subject=organisation,
        after={"code": code, "name": organisation.name, "kind": kind, "region": region_code or ""},
    )
    return organisation


@transaction.atomic
def organisation_set_phone_attestation(*, actor: Actor, organisation: Organisation, attests: bool) -> Organisation:
    """Record that the organisation vouches for its members' mobile numbers (or withdraws it)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {"attests_phone_verification": organisation.attests_phone_verification}
    organisation.attests_phone_verification = attests
    organisation.attested_by = actor.user if attests else None
    organisation.attested_at = timezone.now() if attests else None
    organisation.save(update_fields=["attests_phone_verification", "attested_by", "attested_at"])
    audit_record(
        actor=actor,
        action="partners.phone_attestation_changed",
        subject=organisation,
        before=before,
        after={"attests_phone_verification": attests},
    )
    return organisation


@transaction.atomic
def organisation_user_add(*, actor: Actor, organisation: Organisation, user: Any) -> OrganisationUser:
    """Let a user act for the organisation; they get the partner_admin role."""
    link, _created = OrganisationUser.objects.update_or_create(user=user, defaults={"organisation": organisation})
    user.groups.add(*Group.objects.filter(name=Role.PARTNER_ADMIN.value))
    audit_record(
        actor=actor,
        action="partners.organisation_user_added",
        subject=organisation,
        after={"user": user.get_username()},
    )
    return link


@transaction.atomic
def membership_add(
    *, actor: Actor, organisation: Organisation, worker: Worker, source_import: ImportJob | None = None
) -> tuple[Membership, bool]:
    membership, created = Membership.objects.get_or_create(
        organisation=organisation, worker=worker, defaults={"source_import": source_import}
    )
    if created:
        audit_record(
            actor=actor,
            action="partners.member_added",
            subject=worker,
            after={"organisation": organisation.code},
        )
    return membership, created
