"""WhatsApp templates and the review status Meta gave each: only approved templates are sendable.

Staff record a template when they submit it to Meta and record Meta's decision (approved,
rejected with its reason, paused) as it arrives; every change is audited. Campaign approval
and sending read the status (``campaigns.templates_not_approved``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ValidationFailed
from rangkul.outreach.campaigns import RUN_PERMISSION, CampaignNotAllowed
from rangkul.outreach.models import TemplateStatus, WhatsAppTemplate


@transaction.atomic
def whatsapp_template_record(
    *, actor: Actor, name: str, status: str, language: str = "id", body: str = "", reason: str = ""
) -> WhatsAppTemplate:
    """Register a template or record its new status."""
    if not actor.has_perm(RUN_PERMISSION):
        raise CampaignNotAllowed(_("You may not manage WhatsApp templates."))
    name = name.strip()
    errors: dict[str, list[Any]] = {}
    if not re.fullmatch(r"[a-z0-9_]{1,100}", name):
        errors["name"] = [_("Lower-case letters, digits and _ only, as registered with WhatsApp.")]
    if status not in TemplateStatus.values:
        errors["status"] = [_("Choose a status.")]
    if status == TemplateStatus.REJECTED and not reason.strip():
        errors["reason"] = [_("Give the reason Meta gave for the rejection.")]
    if errors:
        raise ValidationFailed(_("Check the template."), fields=errors)
    template = WhatsAppTemplate.objects.select_for_update().filter(name=name).first()
    before = {"status": template.status, "reason": template.reason} if template else None
    if template is None:
        template = WhatsAppTemplate(name=name)
    template.language = language.strip() or "id"
    if body.strip():
        template.body = body.strip()
    template.status = status
    template.reason = reason.strip()[:255]
    template.updated_at = timezone.now()
    template.updated_by = actor.user
    template.save()
    audit_record(
        actor=actor,
        action="whatsapp_template.status",
        subject=template,
        before=before,
        after={"status": status, "reason": template.reason},
    )
    return template
