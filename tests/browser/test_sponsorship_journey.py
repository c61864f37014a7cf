"""A local government's officer, on a phone with JavaScript off, creates a sponsorship, enrols its
members, issues the month's group bill, has it paid in the sandbox and sees the members covered."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.analytics.services import coverage_snapshot_take
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import coverage_on
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.partners.models import Organisation, OrganisationKind
from rangkul.partners.services import organisation_user_add
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.payments.tests.factories import seed_reference_data
from rangkul.sponsorships.models import SponsorshipBill
from rangkul.sponsorships.services import SponsorshipInput, sponsorship_create, sponsorship_enrol
from tests.browser.conftest import PHONE_VIEWPORT, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(transactional_db, regions, roles):
    seed_reference_data()
    organisation = OrganisationFactory(
        code="pemkot-smg", name="Pemerintah Kota Semarang", kind=OrganisationKind.LOCAL_GOVERNMENT
    )
    user = UserFactory(username="sponsor", password=PASSWORD)
    user.groups.add(*Group.objects.filter(name=Role.SPONSOR_OFFICER.value))
    organisation_user_add(actor=Actor.system("system"), organisation=organisation, user=user)
    return user


@pytest.fixture
def no_js_phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID", viewport=PHONE_VIEWPORT, java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_sponsor_creates_enrols_bills_and_sees_the_members_covered(live_server, no_js_phone: Page, officer) -> None:
    page = no_js_phone
    month = str(Period.of(timezone.localdate()))
    workers = [member(organisation_code="pemkot-smg", registered_on=timezone.localdate()) for _ in range(2)]

    page.goto(live_server.url + "/akun/masuk/")
    page.locator("input[name=username]").fill("sponsor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    # A local government's officer also has the partner pages (registering and importing workers).
    page.get_by_test_id("nav-sponsor").click()
    expect(page).to_have_url(re.compile(r"/sponsor/$"))

    page.goto(live_server.url + "/sponsor/baru/")
    assert_accessible(page)
    page.locator("input[name=code]").fill("APBD-SMG")
    page.locator("input[name=name]").fill("Pekerja rentan Kota Semarang")
    page.locator("select[name=payer_kind]").select_option("regional_budget")
    page.locator("input[name=start_month]").fill(month)
    page.locator("input[name=months]").fill("3")
    page.locator("input[name=budget_idr]").fill("200000")
    page.get_by_test_id("sponsorship-submit").click()
    expect(page).to_have_url(re.compile(r"/sponsor/APBD-SMG/$"))

    page.goto(live_server.url + "/sponsor/APBD-SMG/anggota/")
    for worker in workers:
        page.get_by_text(worker.membership_number).click()
    page.get_by_test_id("enrol-submit").click()
    expect(page).to_have_url(re.compile(r"/sponsor/APBD-SMG/$"))
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    expect(page.get_by_test_id("committed")).to_have_text("Rp100.800")
    assert_accessible(page)

    page.locator("select[name=month]").select_option(month)
    page.get_by_test_id("bill-submit").click()
    record = SponsorshipBill.objects.get()
    expect(page.get_by_test_id("bill-row")).to_contain_text(record.bill.payment_code)
    expect(page.get_by_test_id("billed")).to_have_text("Rp33.600")

    # The treasurer pays the code at the sandbox "bank"; the callback goes through the real intake.
    page.goto(live_server.url + "/bayar/simulasi/")
    page.locator("input[name=payment_code]").fill(record.bill.payment_code)
    page.locator("[data-testid=sandbox-code-form] button[type=submit]").click()
    page.get_by_test_id("sandbox-pay").click()
    expect(page.get_by_test_id("sandbox-result")).to_be_visible()

    page.goto(live_server.url + "/sponsor/APBD-SMG/")
    expect(page.get_by_test_id("paid")).to_have_text("Rp33.600")
    for worker in workers:
        assert coverage_on(worker, Period.of(timezone.localdate()).last_day)


def test_a_regents_officer_reads_the_regency_view_on_a_phone(live_server, no_js_phone: Page, officer) -> None:
    page = no_js_phone
    organisation = Organisation.objects.get(code="pemkot-smg")
    Organisation.objects.filter(pk=organisation.pk).update(region_id="33.74")
    workers = [member(organisation_code="pemkot-smg", registered_on=timezone.localdate()) for _ in range(2)]
    sponsorship = sponsorship_create(
        actor=Actor.system("test"),
        organisation=organisation,
        data=SponsorshipInput(
            code="APBD-SMG",
            name="Pekerja rentan",
            payer_kind="regional_budget",
            start_month=str(Period.of(timezone.localdate())),
            months=2,
            budget_idr=200_000,
        ),
    )
    sponsorship_enrol(actor=Actor.system("test"), sponsorship=sponsorship, workers=workers)
    coverage_snapshot_take()

    page.goto(live_server.url + "/akun/masuk/")
    page.locator("input[name=username]").fill("sponsor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + "/sponsor/")
    page.get_by_test_id("nav-region").click()
    expect(page).to_have_url(re.compile(r"/sponsor/wilayah/33\.74/$"))
    expect(page.get_by_test_id("region-sponsored")).to_have_text("2")
    expect(page.get_by_test_id("region-sponsors")).to_contain_text("Pemerintah Kota Semarang")
    expect(page.get_by_test_id("region-comparison")).to_be_visible()
    # Nothing wider than the phone: the tables scroll inside their own frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    assert_accessible(page)
