"""Concurrent enrolments on real PostgreSQL: the committed budget never exceeds the budget."""

from __future__ import annotations

import pytest

from rangkul.audit.actors import Actor
from rangkul.contributions.tests.factories import ensure_reference_data, member
from rangkul.core.tests.races import race
from rangkul.sponsorships.models import SponsoredMonth, Sponsorship, SponsorshipMember
from rangkul.sponsorships.services import sponsorship_enrol
from rangkul.sponsorships.tests.factories import TODAY, sponsor, sponsorship

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_enrolments_never_overspend_the_budget(regions):
    ensure_reference_data()
    org = sponsor()
    # Room for exactly five members' three months at 16,800.
    s = sponsorship(org, budget_idr=5 * 3 * 16_800)
    workers = [member(organisation_code=org.code) for _ in range(12)]
    batches = [workers[i::4] for i in range(4)]  # four connections, three members each
    errors = race(
        [
            lambda batch=batch: sponsorship_enrol(
                actor=Actor.system("test"), sponsorship=Sponsorship.objects.get(pk=s.pk), workers=batch, today=TODAY
            )
            for batch in batches
        ]
    )
    assert errors == []
    s.refresh_from_db()
    assert SponsorshipMember.objects.filter(sponsorship=s).count() == 5
    assert (
        s.committed_idr
        == s.budget_idr
        == sum(SponsoredMonth.objects.filter(sponsorship=s).values_list("amount_idr", flat=True))
    )


def test_one_member_enrolled_at_once_in_two_sponsorships_gets_each_month_once(regions):
    ensure_reference_data()
    org = sponsor()
    first = sponsorship(org, code="A-2026")
    second = sponsorship(org, code="B-2026")
    worker = member(organisation_code=org.code)
    errors = race(
        [
            lambda target=target: sponsorship_enrol(
                actor=Actor.system("test"), sponsorship=target, workers=[worker], today=TODAY
            )
            for target in (first, second)
        ]
    )
    assert errors == []
    assert SponsoredMonth.objects.filter(worker=worker).count() == 3
    assert sorted(Sponsorship.objects.values_list("committed_idr", flat=True)) == [0, 3 * 16_800]
