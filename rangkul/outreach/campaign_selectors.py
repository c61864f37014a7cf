"""Reading campaigns: lists, the live count, a masked preview and the results against control."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from rangkul.contributions.models import ContributionMonth
from rangkul.messaging.models import MessageStatus
from rangkul.outreach.costs import CampaignCost, campaign_cost
from rangkul.outreach.member_values import member_values
from rangkul.outreach.models import Campaign, CampaignRecipient, RecipientState
from rangkul.outreach.segments import Segment, segment_count, segment_workers
from rangkul.outreach.templating import masked, template_render
from rangkul.outreach.uplift import Uplift, uplift


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("created_by", "approved_by").order_by("-created_at", "-id")


def campaign_get(*, pk: int) -> Campaign | None:
    return campaign_list().filter(pk=pk).first()


def campaign_audience_count(campaign: Campaign, *, today: dt.date | None = None) -> int:
    return segment_count(Segment.from_dict(campaign.segment), today=today or timezone.localdate())


def campaign_email_count(campaign: Campaign, *, today: dt.date | None = None) -> int:
    """How many of the segment's members gave an e-mail address (the rest get the fallback or nothing)."""
    members = segment_workers(Segment.from_dict(campaign.segment), today=today or timezone.localdate())
    return members.exclude(email="").count()


def campaign_preview(campaign: Campaign, *, today: dt.date | None = None) -> dict[str, str] | None:
    """The Indonesian and English texts filled with the first member's data, masked; None if nobody."""
    today = today or timezone.localdate()
    worker = (
        segment_workers(Segment.from_dict(campaign.segment), today=today)
        .select_related("occupation")
        .order_by("pk")
        .first()
    )
    if worker is None:
        return None
    values = masked(member_values([worker], today=today)[worker.pk])
    return {
        "id": template_render(campaign.body_id, values),
        "en": template_render(campaign.body_en, values) if campaign.body_en else "",
        "b": template_render(campaign.body_b_id, values) if campaign.body_b_id else "",
        "subject": template_render(campaign.email_subject or "Rangkul", values) if campaign.channel == "email" else "",
    }


@dataclass(frozen=True)
class CampaignResults:
    states: dict[str, int]  # recipients by state (control, pending, sent, capped, opted out)
    delivery: dict[str, int]  # messages handed over, by the provider's last word (queued … read, failed)
    sms_fallbacks: int
    uplift: Uplift
    cost: CampaignCost
    # A/B: members and conversions per version of the message group, and A compared with B
    # as the message group is compared with control (B in the place of control).
    variants: dict[str, tuple[int, int]]
    ab: Uplift | None


def campaign_results(campaign: Campaign, *, now: dt.datetime | None = None) -> CampaignResults | None:
    """Messages by state, and conversion (a contribution paid within the window) sent vs control."""
    if campaign.approved_at is None:
        return None
    start = campaign.approved_at
    end = min(now or timezone.now(), start + dt.timedelta(days=campaign.conversion_days))
    paid = ContributionMonth.objects.filter(worker_id=OuterRef("worker_id"), paid_at__gte=start, paid_at__lte=end)
    rows = list(
        CampaignRecipient.objects.filter(campaign=campaign)
        .annotate(converted=Exists(paid))
        .values("is_control", "variant")
        .annotate(n=Count("pk"), converted_n=Count("pk", filter=Q(converted=True)))
        .order_by()
    )
    groups: dict[bool, tuple[int, int]] = {}
    variants: dict[str, tuple[int, int]] = {}
    for row in rows:
        n, c = groups.get(row["is_control"], (0, 0))
        groups[row["is_control"]] = (n + row["n"], c + row["converted_n"])
        if not row["is_control"] and row["variant"]:
            variants[row["variant"]] = (row["n"], row["converted_n"])
    states = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    for state in RecipientState.values:
        states.setdefault(state, 0)
    messages = CampaignRecipient.objects.filter(campaign=campaign, message__isnull=False)
    delivery = dict(
        messages.values("message__status").annotate(n=Count("pk")).order_by().values_list("message__status", "n")
    )
    for status in MessageStatus.values:
        delivery.setdefault(status, 0)
    sent_n, sent_c = groups.get(False, (0, 0))
    control_n, control_c = groups.get(True, (0, 0))
    effect = uplift(sent=sent_n, sent_converted=sent_c, control=control_n, control_converted=control_c)
    fallbacks = messages.filter(message__fallback__isnull=False).count()
    by_channel = dict(
        messages.values("message__channel").annotate(n=Count("pk")).order_by().values_list("message__channel", "n")
    )
    if fallbacks:
        by_channel["sms"] = by_channel.get("sms", 0) + fallbacks
    extra = effect.difference * sent_n if effect.difference is not None else None
    cost = campaign_cost(messages=by_channel, day=timezone.localdate(start), converted=sent_c, extra_conversions=extra)
    ab = None
    if "a" in variants and "b" in variants:
        (a_n, a_c), (b_n, b_c) = variants["a"], variants["b"]
        ab = uplift(sent=a_n, sent_converted=a_c, control=b_n, control_converted=b_c)
    return CampaignResults(
        states=states,
        delivery=delivery,
        sms_fallbacks=fallbacks,
        uplift=effect,
        cost=cost,
        variants=variants,
        ab=ab,
    )
