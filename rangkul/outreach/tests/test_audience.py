"""The set-based approval against the row-by-row definition it replaced (ADR 0041).

Hypothesis draws small populations across time zones (listed provinces and ones that fall back
by their first digit), segments, control shares, schedules and approval times; the recipients
``campaign_approve`` writes in one statement must be exactly those the Python definition gives:
the same members, the same control group, the same send times.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.contributions.tests.factories import member
from rangkul.outreach.audience import RankKey, control_rank, control_size, control_split, variant_of
from rangkul.outreach.campaigns import campaign_approve, campaign_create
from rangkul.outreach.models import CampaignRecipient, RecipientState
from rangkul.outreach.quiet_hours import next_allowed
from rangkul.outreach.segments import Segment, segment_workers
from rangkul.regions.models import District, Province, Regency, Village

UTC = dt.UTC
# Java (listed, WIB), Bali (listed, WITA), Papua (listed, WIT) and three codes the data file does
# not list, which take their zone from the first digit: 22 → WIB, 54 → WITA, 84 → WIT.
EXTRA_PROVINCES = ("51", "91", "22", "54", "84")


def _village(province: str) -> str:
    code = f"{province}.01.01.1001"
    Province.objects.get_or_create(code=province, defaults={"name": f"P{province}"})
    Regency.objects.get_or_create(code=f"{province}.01", defaults={"name": "R", "province_id": province})
    District.objects.get_or_create(code=f"{province}.01.01", defaults={"name": "D", "regency_id": f"{province}.01"})
    Village.objects.get_or_create(code=code, defaults={"name": "V", "district_id": f"{province}.01.01"})
    return code


@pytest.fixture
def people(regions, roles):
    def staff(name: str) -> User:
        user = cast(User, UserFactory(username=name))
        user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
        return user

    villages = ["33.74.01.1001", *(_village(p) for p in EXTRA_PROVINCES)]
    return staff("maker"), staff("checker"), villages


def reference(
    segment: Segment, *, percent: int, seed: int, scheduled_for: dt.datetime, now: dt.datetime, split: bool
) -> set:
    """The approval as it was written row by row: the ORM's segment, the Python draw, per-province times."""
    members = list(segment_workers(segment, today=now.date()).values_list("pk", "village_id"))
    sent, control = control_split([pk for pk, _v in members], percent=percent, seed=seed)
    variants = {pk: variant_of(i) if split else "" for i, pk in enumerate(sent)}
    start = max(scheduled_for, now)
    return {
        (
            pk,
            pk in control,
            RecipientState.CONTROL if pk in control else RecipientState.PENDING,
            variants.get(pk, ""),
            next_allowed(start, village[:2]),
        )
        for pk, village in members
    }


population = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(["M", "F"]), st.integers(18, 60)), min_size=0, max_size=14
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people_spec=population,
    percent=st.integers(0, 50),
    sex=st.sampled_from(["", "M", "F"]),
    max_age=st.one_of(st.none(), st.integers(20, 60)),
    approve_hour=st.integers(0, 23),
    delay_hours=st.integers(-3, 30),
    split=st.booleans(),
)
def test_set_based_approval_matches_the_python_definition(
    people, people_spec, percent, sex, max_age, approve_hour, delay_hours, split
):
    maker, checker, villages = people
    now = dt.datetime(2026, 3, 10, approve_hour, 17, tzinfo=UTC)
    scheduled_for = now + dt.timedelta(hours=delay_hours)
    with transaction.atomic():
        for village, person_sex, age in people_spec:
            member(village_code=villages[village], sex=person_sex, birth_date=dt.date(2026 - age, 1, 2))
        segment = Segment(sex=sex, max_age=max_age)
        campaign = campaign_create(
            actor=Actor.for_user(maker),
            name="Uji",
            segment=segment,
            body_id="Halo {name}",
            scheduled_for=scheduled_for,
            control_percent=percent,
            body_b_id="Apa kabar {name}" if split else "",
        )
        counts = campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=now)
        campaign.refresh_from_db()
        assert campaign.control_seed is not None
        written = set(
            CampaignRecipient.objects.filter(campaign=campaign).values_list(
                "worker_id", "is_control", "state", "variant", "send_after"
            )
        )
        expected = reference(
            segment, percent=percent, seed=campaign.control_seed, scheduled_for=scheduled_for, now=now, split=split
        )
        assert written == expected
        control = sum(1 for row in written if row[1])
        assert counts == {"audience": len(written), "to_send": len(written) - control, "control": control}
        transaction.set_rollback(True)


@given(ids=st.sets(st.integers(1, 10**12), max_size=200), percent=st.integers(0, 50), seed=st.integers(0, 2**62))
def test_the_draw_is_exact_whatever_the_ids(ids: set[int], percent: int, seed: int) -> None:
    sent, control = control_split(list(ids), percent=percent, seed=seed)
    assert len(control) == control_size(len(ids), percent) and set(sent) | set(control) == ids
    key = RankKey.from_seed(seed)
    # Every control member ranks at or below every member sent: the draw is the lowest ranks.
    if sent and control:
        assert max((control_rank(pk, key), pk) for pk in control) < min((control_rank(pk, key), pk) for pk in sent)
    assert all(0 <= control_rank(pk, key) < 2**31 for pk in ids)


def test_the_control_share_rounds_half_to_even() -> None:
    assert [control_size(n, 10) for n in (5, 15, 25, 7)] == [0, 2, 2, 1]
    assert control_size(3, 50) == 2 and control_size(1, 50) == 0


def test_each_zone_is_scheduled_out_of_its_own_night(people: Any) -> None:
    maker, checker, villages = people
    # 13:30 UTC: 20:30 WIB, 21:30 WITA, 22:30 WIT: Java may still be sent, Bali and Papua wait.
    now = dt.datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    workers = {v[:2]: member(village_code=v) for v in villages}
    campaign = campaign_create(
        actor=Actor.for_user(maker),
        name="Malam",
        segment=Segment(),
        body_id="Halo {name}",
        scheduled_for=now,
        control_percent=0,
    )
    campaign_approve(actor=Actor.for_user(checker), campaign=campaign, now=now)
    times = dict(CampaignRecipient.objects.values_list("worker_id", "send_after"))
    morning_wita = dt.datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 07:00 WITA on the 11th
    morning_wit = dt.datetime(2026, 3, 10, 22, 0, tzinfo=UTC)  # 07:00 WIT on the 11th
    assert times[workers["33"].pk] == now and times[workers["22"].pk] == now
    assert times[workers["51"].pk] == morning_wita and times[workers["54"].pk] == morning_wita
    assert times[workers["91"].pk] == morning_wit and times[workers["84"].pk] == morning_wit
