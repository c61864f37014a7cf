"""A campaign to the whole population: segment counted, audience frozen, control drawn, quiet hours
scheduled, every recipient queued (ADR 0041), against writing one plain row per member."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import override_settings

from bench.core import Context, Result, scenario
from bench.scenarios.members import ensure_population
from rangkul.accounts.models import User
from rangkul.accounts.roles import Role, roles_sync
from rangkul.audit.actors import Actor
from rangkul.messaging.backends import locmem
from rangkul.outreach.campaigns import campaign_approve, campaign_create, campaigns_dispatch
from rangkul.outreach.models import Campaign, CampaignRecipient, RecipientState
from rangkul.outreach.segments import Segment, SegmentStatus, segment_count
from rangkul.registry.models import Worker

# 13:30 UTC: 20:30 in Java, 21:30 in Bali, 22:30 in Papua: two zones wait for their morning.
APPROVED_AT = dt.datetime(2026, 12, 7, 13, 30, tzinfo=dt.UTC)
# 03:30 UTC the next day: 10:30 WIB, 11:30 WITA, 12:30 WIT.
MORNING = dt.datetime(2026, 12, 8, 3, 30, tzinfo=dt.UTC)


def _staff(name: str) -> User:
    user, _created = User.objects.get_or_create(username=name)
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return User.objects.get(pk=user.pk)  # permissions read afresh


def _plain_copy_seconds() -> tuple[float, int]:
    """The floor: one row per active member copied into a scratch table, nothing decided."""
    with transaction.atomic(), connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_campaign_floor AS "
            "SELECT id, village_id FROM registry_worker WHERE status = 'active' AND phone <> ''"
        )
        cursor.execute("SELECT COUNT(*) FROM bench_campaign_floor")
        rows = cursor.fetchone()[0]
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_campaign_floor")
    return seconds, rows


def _clear() -> None:
    """Campaigns leave nothing behind in the benchmark database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {CampaignRecipient._meta.db_table}")
    else:
        CampaignRecipient.objects.all().delete()
    Campaign.objects.all().delete()


@scenario("campaign_approval")
def campaign_approval(ctx: Context) -> list[Result]:
    members = ensure_population(ctx)
    roles_sync()
    maker, checker = _staff("bench_campaign_maker"), _staff("bench_campaign_checker")
    _clear()
    # Every membership status: the segment runs its joins and still reaches (nearly) everyone.
    segment = Segment(statuses=tuple(sorted(SegmentStatus.VALUES)), lapsed_within_days=3660)
    start = time.perf_counter()
    counted = segment_count(segment, today=APPROVED_AT.date())
    count_seconds = time.perf_counter() - start
    campaign = campaign_create(
        actor=Actor.for_user(maker),
        name="Bench",
        segment=segment,
        body_id="Halo {name}, iuran bulan ini {amount}. {link}",
        scheduled_for=APPROVED_AT,
        control_percent=10,
    )
    start = time.perf_counter()
    counts = campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=APPROVED_AT)
    elapsed = time.perf_counter() - start
    floor_seconds, floor_rows = _plain_copy_seconds()
    waiting = CampaignRecipient.objects.filter(
        campaign=campaign, state=RecipientState.PENDING, send_after__gt=APPROVED_AT
    ).count()
    _clear()
    # Sending (caps, opt-outs, quiet hours checked per message) runs later, in chunks: its rate is
    # shown on a small campaign (one regency) approved and sent the next morning, when every zone is awake.
    regency = Worker.objects.order_by("pk").values_list("village_id", flat=True).first() or ""
    small = campaign_create(
        actor=Actor.for_user(maker),
        name="Bench slice",
        segment=Segment(regions=(regency[:5],)),
        body_id="Halo {name}, iuran bulan ini {amount}. {link}",
        scheduled_for=MORNING,
        control_percent=10,
    )
    campaign_approve(actor=Actor.for_user(checker), campaign=small, now=MORNING)
    with override_settings(SMS_BACKEND="rangkul.messaging.backends.locmem.SmsBackend"):
        start = time.perf_counter()
        sent = campaigns_dispatch(now=MORNING)
        dispatch_seconds = time.perf_counter() - start
    locmem.clear()
    handled = sum(sent.get(key, 0) for key in ("sent", "capped", "opted_out"))
    _clear()
    return [
        Result(
            scenario="campaign approval (1 statement)",
            figure=counts["audience"] / elapsed if elapsed else 0.0,
            unit="members/s",
            baseline=floor_rows / floor_seconds if floor_seconds else 0.0,
            baseline_label="plain copy of active members' ids, rows/s",
            target="1M members ≤ 60 s (≥ 16,667 members/s)",
            details={
                "members": members,
                **counts,
                "segment_count": counted,
                "segment_count_seconds": round(count_seconds, 2),
                "approve_seconds": round(elapsed, 2),
                "waiting_for_morning": waiting,
                "floor_seconds": round(floor_seconds, 2),
                "dispatch_slice": handled,
                "dispatch_msgs_per_s": round(handled / dispatch_seconds) if dispatch_seconds else 0,
            },
        )
    ]
