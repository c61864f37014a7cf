"""Campaign services: create (maker), approve (checker, another person), dispatch due messages.

Writes only; reading results is ``rangkul.outreach.campaign_selectors``. ADR 0034 explains the
control group, the caps, quiet hours and the uplift interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ApplicationError, ValidationFailed
from rangkul.messaging.optout import opted_out_phones
from rangkul.messaging.queue import message_queue, messages_deliver
from rangkul.outreach.audience import send_after_by_zone
from rangkul.outreach.errors import OutreachErrorCode
from rangkul.outreach.member_values import member_values
from rangkul.outreach.models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignStatus,
    FallbackChannel,
    RecipientState,
    Reminder,
    TemplateStatus,
    WhatsAppTemplate,
)
from rangkul.outreach.optout_links import email_text
from rangkul.outreach.quiet_hours import in_quiet_hours, next_allowed
from rangkul.outreach.segments import Segment, segment_workers
from rangkul.outreach.sql import campaign_recipients_insert
from rangkul.outreach.templating import (
    subject_validate,
    template_render,
    template_validate,
    template_variables,
)
from rangkul.registry.models import Worker

logger = logging.getLogger(__name__)

RUN_PERMISSION = "accounts.run_campaigns"
APPROVE_PERMISSION = "accounts.approve_campaigns"


class CampaignNotAllowed(ApplicationError):
    status = 403
    default_code = OutreachErrorCode.CAMPAIGN_NOT_ALLOWED


class CampaignStateError(ApplicationError):
    status = 409
    default_code = OutreachErrorCode.CAMPAIGN_STATE


@transaction.atomic
def campaign_create(
    *,
    actor: Actor,
    name: str,
    segment: Segment,
    body_id: str,
    body_en: str = "",
    scheduled_for: dt.datetime,
    control_percent: int | None = None,
    conversion_days: int | None = None,
    channel: str = "sms",
    whatsapp_template: str = "",
    body_b_id: str = "",
    whatsapp_template_b: str = "",
    fallback_channel: str = "",
    email_subject: str = "",
) -> Campaign:
    if not actor.has_perm(RUN_PERMISSION):
        raise CampaignNotAllowed(_("You may not create campaigns."))
    segment.validate()
    template_validate(body_id, field="body_id")
    if body_b_id.strip():
        template_validate(body_b_id, field="body_b_id")
    if body_en.strip():
        template_validate(body_en, field="body_en")
    percent = settings.OUTREACH_CONTROL_PERCENT if control_percent is None else control_percent
    if not 0 <= percent <= 50:
        raise ValidationFailed(
            _("The control group is between 0 and 50 percent."),
            fields={"control_percent": [_("The control group is between 0 and 50 percent.")]},
        )
    days = settings.OUTREACH_CONVERSION_DAYS if conversion_days is None else conversion_days
    if not 1 <= days <= 365:
        raise ValidationFailed(
            _("The conversion window is between 1 and 365 days."),
            fields={"conversion_days": [_("The conversion window is between 1 and 365 days.")]},
        )
    if not name.strip():
        raise ValidationFailed(_("Give the campaign a name."), fields={"name": [_("Give the campaign a name.")]})
    if channel not in CampaignChannel.values:
        raise ValidationFailed(_("Choose a channel."), fields={"channel": [_("Choose a channel.")]})
    fallback_channel = fallback_channel if channel == CampaignChannel.EMAIL else ""
    if fallback_channel not in FallbackChannel.values:
        message = _("Choose what members without an e-mail address get.")
        raise ValidationFailed(message, fields={"fallback_channel": [message]})
    email_subject = " ".join(email_subject.split()) if channel == CampaignChannel.EMAIL else ""
    subject_validate(email_subject, field="email_subject")
    whatsapp = CampaignChannel.WHATSAPP in (channel, fallback_channel)
    if whatsapp and not re.fullmatch(r"[a-z0-9_]{1,100}", whatsapp_template.strip()):
        message = _("Give the name of the approved WhatsApp template (lower-case letters, digits and _).")
        raise ValidationFailed(message, fields={"whatsapp_template": [message]})
    template_b_bad = not re.fullmatch(r"[a-z0-9_]{1,100}", whatsapp_template_b.strip())
    if whatsapp and body_b_id.strip() and template_b_bad:
        message = _("Version B needs its own approved WhatsApp template.")
        raise ValidationFailed(message, fields={"whatsapp_template_b": [message]})
    if whatsapp:
        unknown = templates_not_registered(_campaign_templates(whatsapp_template, whatsapp_template_b, body_b_id))
        if unknown:
            unregistered = _("Register the WhatsApp template first: %(names)s.") % {"names": ", ".join(unknown)}
            raise ValidationFailed(unregistered, fields={"whatsapp_template": [unregistered]})
    campaign = Campaign.objects.create(
        name=name.strip(),
        segment=segment.as_dict(),
        body_id=body_id.strip(),
        body_en=body_en.strip(),
        scheduled_for=scheduled_for,
        control_percent=percent,
        conversion_days=days,
        channel=channel,
        whatsapp_template=whatsapp_template.strip() if whatsapp else "",
        body_b_id=body_b_id.strip(),
        whatsapp_template_b=whatsapp_template_b.strip() if whatsapp and body_b_id else "",
        fallback_channel=fallback_channel,
        email_subject=email_subject,
        created_by=actor.user,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="campaign.create",
        subject=campaign,
        after={
            "segment": campaign.segment,
            "scheduled_for": scheduled_for.isoformat(),
            "control_percent": percent,
            "channel": channel,
            "fallback_channel": fallback_channel,
        },
    )
    return campaign


@transaction.atomic
def campaign_approve(*, actor: Actor, campaign: Campaign, now: dt.datetime | None = None) -> dict[str, int]:
    """A second staff member approves: the audience is frozen and the messages scheduled."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not actor.has_perm(APPROVE_PERMISSION):
        raise CampaignNotAllowed(_("You may not approve campaigns."))
    if campaign.created_by_id == actor.user.pk:
        raise CampaignNotAllowed(_("Another staff member must approve a campaign you created."))
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignStateError(_("This campaign is no longer waiting for approval."))
    waiting = templates_not_approved(campaign)
    if waiting:
        raise CampaignStateError(
            _("WhatsApp has not approved the template %(names)s yet: the campaign cannot be approved.")
            % {"names": ", ".join(waiting)}
        )
    segment = Segment.from_dict(campaign.segment)
    members_sql, members_params = (
        segment_workers(segment, today=timezone.localdate(now)).values_list("pk", "village_id").query.sql_with_params()
    )
    seed = secrets.randbits(62)
    # One INSERT … SELECT: the segment, the control draw and the quiet-hour schedule in SQL (ADR 0041).
    audience, control = campaign_recipients_insert(
        campaign_id=campaign.pk,
        members_sql=members_sql,
        members_params=members_params,
        percent=campaign.control_percent,
        seed=seed,
        send_after=send_after_by_zone(scheduled_for=campaign.scheduled_for, now=now),
        split=bool(campaign.body_b_id),
    )
    campaign.status = CampaignStatus.SENDING
    campaign.approved_by = actor.user
    campaign.approved_at = now
    campaign.control_seed = seed
    campaign.save(update_fields=["status", "approved_by", "approved_at", "control_seed"])
    counts = {"audience": audience, "to_send": audience - control, "control": control}
    audit_record(actor=actor, action="campaign.approve", subject=campaign, after=counts)
    return counts


def _campaign_templates(template: str, template_b: str, body_b: str) -> list[str]:
    return [name.strip() for name in (template, template_b if body_b.strip() else "") if name.strip()]


def templates_not_registered(names: Sequence[str]) -> list[str]:
    known = set(WhatsAppTemplate.objects.filter(name__in=names).values_list("name", flat=True))
    return [name for name in names if name not in known]


def templates_not_approved(campaign: Campaign) -> list[str]:
    """The campaign's WhatsApp templates that may not be sent now (only approved templates are sendable)."""
    if CampaignChannel.WHATSAPP not in (campaign.channel, campaign.fallback_channel):
        return []
    names = _campaign_templates(campaign.whatsapp_template, campaign.whatsapp_template_b, campaign.body_b_id)
    approved = set(
        WhatsAppTemplate.objects.filter(name__in=names, status=TemplateStatus.APPROVED).values_list("name", flat=True)
    )
    return [name for name in names if name not in approved]


@transaction.atomic
def campaign_cancel(*, actor: Actor, campaign: Campaign) -> None:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not actor.has_perm(RUN_PERMISSION) and not actor.has_perm(APPROVE_PERMISSION):
        raise CampaignNotAllowed(_("You may not cancel campaigns."))
    if campaign.status not in {CampaignStatus.DRAFT, CampaignStatus.SENDING}:
        raise CampaignStateError(_("This campaign can no longer be cancelled."))
    before = campaign.status
    campaign.status = CampaignStatus.CANCELLED
    campaign.save(update_fields=["status"])
    campaign.recipients.filter(state=RecipientState.PENDING).delete()
    audit_record(actor=actor, action="campaign.cancel", subject=campaign, before={"status": before})


def recent_message_counts(worker_ids: Sequence[int], *, since: dt.datetime) -> Counter[int]:
    """Messages each member was sent since ``since``: campaign messages and reminders together."""
    counts: Counter[int] = Counter()
    campaign_rows = (
        CampaignRecipient.objects.filter(worker_id__in=worker_ids, sent_at__gte=since)
        .values("worker_id")
        .annotate(n=Count("pk"))
        .values_list("worker_id", "n")
    )
    reminder_rows = (
        Reminder.objects.filter(worker_id__in=worker_ids, sent_at__gte=since)
        .values("worker_id")
        .annotate(n=Count("pk"))
        .values_list("worker_id", "n")
    )
    for worker_id, n in [*campaign_rows, *reminder_rows]:
        counts[worker_id] += n
    return counts


def campaigns_dispatch(*, now: dt.datetime | None = None, chunk_size: int = 500) -> dict[str, int]:
    """Send every due message of approved campaigns (the periodic task and command call this).

    Per message, at the moment of sending: the number has not opted out, the member has had
    fewer than ``OUTREACH_WEEKLY_CAP`` messages (campaigns and reminders) in the last seven
    days, and it is not quiet hours where they live. A capped or opted-out message is
    skipped for good; one caught by quiet hours waits for the morning.
    """
    now = now or timezone.now()
    totals: Counter[str] = Counter()
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING).order_by("pk"):
        if templates_not_approved(campaign):
            # Paused or rejected by Meta since approval: the messages wait, nothing is sent unapproved.
            totals["template_not_approved"] += 1
            continue
        while True:
            with transaction.atomic():
                # Rows another run holds are skipped (PostgreSQL): two runs at once hand nothing over twice.
                chunk = list(
                    campaign.recipients.filter(state=RecipientState.PENDING, send_after__lte=now)
                    .order_by("send_after", "pk")
                    .select_for_update(skip_locked=True)
                    .values_list("pk", "worker_id", "variant")[:chunk_size]
                )
                if not chunk:
                    break
                counts, queued = _dispatch_chunk(campaign, chunk, now=now)
            if queued:
                # Handed to the queue, then tried at once; refusals are retried by the queue's own run.
                delivery = messages_deliver(ids=queued, now=now)
                for key in ("sent", "retry", "failed"):
                    counts[key] += delivery.get(key, 0)
            for key, value in counts.items():
                totals[key] += value
        if not campaign.recipients.filter(state=RecipientState.PENDING).exists():
            Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(status=CampaignStatus.DONE)
    result = {str(key): value for key, value in totals.items() if value}
    logger.info("campaign dispatch %s", result)
    return result


def _dispatch_chunk(
    campaign: Campaign, chunk: list[tuple[int, int, str]], *, now: dt.datetime
) -> tuple[Counter[str], list[int]]:
    worker_ids = [w for _pk, w, _v in chunk]
    workers = {w.pk: w for w in Worker.objects.filter(pk__in=worker_ids).select_related("occupation")}
    opted = opted_out_phones(w.phone for w in workers.values())
    recent = recent_message_counts(worker_ids, since=now - dt.timedelta(days=7))
    values = member_values(list(workers.values()), today=timezone.localdate(now))
    cap = settings.OUTREACH_WEEKLY_CAP
    # Version A is the campaign's message; B, when written, goes to the other half of the message group.
    versions = {
        variant: (body, template, template_variables(body))
        for variant, body, template in (
            ("a", campaign.body_id, campaign.whatsapp_template),
            ("b", campaign.body_b_id, campaign.whatsapp_template_b),
        )
    }
    skipped: dict[str, list[int]] = {
        RecipientState.OPTED_OUT: [],
        RecipientState.NO_ADDRESS: [],
        RecipientState.CAPPED: [],
    }
    later: list[tuple[int, dt.datetime]] = []
    queued: list[int] = []
    counts: Counter[str] = Counter()
    for pk, worker_id, variant in chunk:
        worker = workers[worker_id]
        province = worker.village_id[:2]
        channel, to = recipient_channel(campaign, phone=worker.phone, email=worker.email)
        if worker.phone in opted:
            skipped[RecipientState.OPTED_OUT].append(pk)
        elif not channel:
            skipped[RecipientState.NO_ADDRESS].append(pk)
        elif recent[worker_id] >= cap:
            skipped[RecipientState.CAPPED].append(pk)
        elif in_quiet_hours(now, province):
            later.append((pk, next_allowed(now, province)))
            counts["quiet_hours"] += 1
        else:
            member = values[worker_id]
            body, template, variables = versions["b" if variant == "b" else "a"]
            whatsapp = channel == CampaignChannel.WHATSAPP
            email = channel == CampaignChannel.EMAIL
            text = template_render(body, member)
            message = message_queue(
                channel=channel,
                to=to,
                body=email_text(text, stop_link=member.stop_link) if email else text,
                purpose="campaign",
                template=template if whatsapp else "",
                parameters=[getattr(member, name) for name in variables] if whatsapp else [],
                subject=template_render(campaign.email_subject, member) if email else "",
                unsubscribe_url=member.stop_link if email else "",
                now=now,
            )
            CampaignRecipient.objects.filter(pk=pk).update(state=RecipientState.SENT, sent_at=now, message=message)
            queued.append(message.pk)
    for state, pks in skipped.items():
        if pks:
            CampaignRecipient.objects.filter(pk__in=pks).update(state=state)
            counts[state] += len(pks)
    for pk, when in later:
        CampaignRecipient.objects.filter(pk=pk).update(send_after=when)
    return counts, queued


def recipient_channel(campaign: Campaign, *, phone: str, email: str) -> tuple[str, str]:
    """The channel and address a member is sent on: the campaign's channel, or for an e-mail
    campaign and a member without an address, the campaign's fallback (``("", "")``: nothing)."""
    if campaign.channel != CampaignChannel.EMAIL:
        return (campaign.channel, phone) if phone else ("", "")
    if email.strip():
        return CampaignChannel.EMAIL, email.strip()
    if campaign.fallback_channel and phone:
        return campaign.fallback_channel, phone
    return "", ""
