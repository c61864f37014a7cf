"""The local-government incentive view: a regency's members, its sponsors, its rate over time, its neighbours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.analytics.models import CoverageAreaCount, CoverageSnapshot
from rangkul.audit.actors import Actor
from rangkul.contributions.tests.factories import member
from rangkul.core.errors import NotFound
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation, OrganisationUser
from rangkul.regions.models import WorkforceFigure, WorkforceRelease
from rangkul.sponsorships.incentive import regency_incentive
from rangkul.sponsorships.services import sponsorship_enrol
from rangkul.sponsorships.tests.factories import sponsor, sponsorship

pytestmark = pytest.mark.django_db

SEMARANG_CITY, SEMARANG_REGENCY = "33.74", "33.22"


def _snapshot(day, counts):
    snapshot = CoverageSnapshot.objects.create(
        day=day, taken_at=timezone.now(), members=sum(m for m, _a in counts.values()), seconds=0
    )
    CoverageAreaCount.objects.bulk_create(
        CoverageAreaCount(snapshot=snapshot, code=code, members=members, active=active)
        for code, (members, active) in counts.items()
    )
    return snapshot


def _workforce():
    release = WorkforceRelease.objects.create(
        version="t", title="t", content_sha256="0" * 64, loaded_at=timezone.now(), is_current=True
    )
    for code, informal in ((SEMARANG_CITY, 400_000), (SEMARANG_REGENCY, 300_000)):
        WorkforceFigure.objects.create(
            release=release,
            level="regency",
            code=code,
            definition="bps_informal",
            reference_month=dt.date(2025, 8, 1),
            informal_workers=informal,
        )


@pytest.fixture
def sponsored_city(regions):
    this_month = str(Period.of(timezone.localdate()))
    city = sponsor("pemkot-smg")
    Organisation.objects.filter(pk=city.pk).update(region_id=SEMARANG_CITY)
    city.refresh_from_db()
    company = sponsor("pt-jaya", kind="company")
    # Two members in the city sponsored by the city, one by a company; one in the regency by the company.
    in_city = [member(organisation_code=city.code, registered_on=timezone.localdate()) for _ in range(2)]
    by_company = member(organisation_code=company.code, registered_on=timezone.localdate())
    outside = member(organisation_code=company.code, registered_on=timezone.localdate(), village_code="33.22.01.2001")
    sponsorship_enrol(
        actor=Actor.system("test"), sponsorship=sponsorship(city, start_month=this_month), workers=in_city
    )
    sponsorship_enrol(
        actor=Actor.system("test"),
        sponsorship=sponsorship(company, code="CSR-JAYA", payer_kind="csr", start_month=this_month),
        workers=[by_company, outside],
    )
    today = timezone.localdate()
    _workforce()
    _snapshot(today - dt.timedelta(days=40), {SEMARANG_CITY: (900, 600), SEMARANG_REGENCY: (500, 450)})
    _snapshot(today, {SEMARANG_CITY: (1_000, 800), SEMARANG_REGENCY: (500, 450)})
    return city


def test_the_view_counts_sponsored_members_by_sponsor_and_compares_the_provinces_regencies(sponsored_city):
    view = regency_incentive(regency_code=SEMARANG_CITY, today=timezone.localdate())
    assert view.name and view.province_code == "33"
    assert (view.here.rate.members, view.here.rate.members_active) == (1_000, 800)
    assert view.here.rate.rate_percent == pytest.approx(0.2)  # 800 of 400,000 informal workers
    assert view.sponsored == 3
    assert [(row.organisation, row.payer_kind, row.members) for row in view.sponsors] == [
        ("Sponsor pemkot-smg", "regional_budget", 2),
        ("Sponsor pt-jaya", "csr", 1),
    ]
    # Over time: one point per month, oldest first.
    assert [p.members_active for p in view.series][-1] == 800 and len(view.series) in (1, 2)
    # The regency (450 of 300,000 = 0.15 %) ranks after the city (0.2 %).
    assert [(row.rate.code, row.sponsored) for row in view.comparison] == [(SEMARANG_CITY, 3), (SEMARANG_REGENCY, 1)]
    assert view.rank == 1


def test_an_unknown_regency_is_not_found(sponsored_city):
    with pytest.raises(NotFound):
        regency_incentive(regency_code="99.99", today=timezone.localdate())


def _sponsor_officer(organisation, username="bupati_staff"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=Role.SPONSOR_OFFICER.value))
    OrganisationUser.objects.create(organisation=organisation, user=user)
    return user


def test_the_page_works_without_javascript_and_is_scoped(client, roles, sponsored_city):
    officer = _sponsor_officer(sponsored_city)
    client.force_login(officer)
    page = client.get("/sponsor/wilayah/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="region-comparison"' in html and "<script" not in html.split("<main", 1)[-1]
    assert "Sponsor pemkot-smg" in html and "Sponsor pt-jaya" in html
    assert 'aria-current="true"' in html
    # A sponsor officer sees their own regency only.
    assert client.get(f"/sponsor/wilayah/{SEMARANG_REGENCY}/").status_code == 403
    # Office staff choose any regency of the country.
    analyst = UserFactory(username="analis")
    analyst.groups.add(Group.objects.get(name=Role.ANALYST.value))
    client.force_login(analyst)
    assert client.get(f"/sponsor/wilayah/?kode={SEMARANG_REGENCY}").status_code == 200
    assert client.get("/sponsor/wilayah/99.99/").status_code == 404
    # Someone with neither role is refused.
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/sponsor/wilayah/").status_code == 403
