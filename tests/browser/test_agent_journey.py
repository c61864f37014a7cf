"""A field agent on a cheap phone with JavaScript off: registers a worker, collects two months in cash,
hands over the receipt; the member is covered and gets the receipt by SMS."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import PASSWORD
from rangkul.accounts.tests.factories import UserFactory
from rangkul.agents.models import Agent, AgentRule, Collection, SyncOperation
from rangkul.agents.services import agent_create
from rangkul.agents.sync import agent_sync
from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import coverage_on, month_total_idr
from rangkul.core.periods import Period
from rangkul.messaging.backends import locmem
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.payments.models import Channel
from rangkul.payments.tests.factories import seed_reference_data
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import make_nik
from tests.browser.conftest import PHONE_VIEWPORT, SERVICE_WORKER_ACTIVATED, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent_user(transactional_db, regions, roles, settings):
    seed_reference_data()
    if not Channel.objects.filter(code="agent_cash").exists():
        importlib.import_module("rangkul.payments.migrations.0007_agent_cash_channel").load(apps, None)
    if not AgentRule.objects.exists():
        importlib.import_module("rangkul.agents.migrations.0002_load_agent_rules").load(apps, None)
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    user = UserFactory(username="perisai", password=PASSWORD)
    agent_create(actor=Actor.system("test"), user=user, organisation=OrganisationFactory(code="koperasi-tani"))
    return user


@pytest.fixture
def no_js_phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_agent_registers_and_collects_two_months_without_javascript(live_server, no_js_phone: Page, agent_user):
    page = no_js_phone
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill("perisai")
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/agen/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pekerjaan hari ini")
    assert_accessible(page)

    page.get_by_test_id("agent-nav-register").click()
    assert_accessible(page)
    page.locator("input[name=nik]").fill(make_nik(serial=7701))
    page.locator("input[name=full_name]").fill("Wahyu Lestari")
    page.locator("input[name=birth_date]").fill("1990-05-17")
    page.locator("input[name=sex][value=M]").check()
    page.locator("input[name=phone]").fill("081234567701")
    page.locator("input[name=village_code]").fill("33.74.01.1001")
    page.locator("select[name=occupation]").select_option("pedagang")
    page.get_by_test_id("agent-register-submit").click()

    worker = Worker.objects.get()
    expect(page.get_by_test_id("membership-number")).to_have_text(worker.membership_number)
    assert_accessible(page)
    page.locator("select[name=months]").select_option("2")
    page.get_by_test_id("agent-quote").click()
    expect(page.get_by_test_id("agent-amount")).to_contain_text("2 bulan")
    page.get_by_test_id("agent-collect").click()

    collection = Collection.objects.get()
    expect(page.get_by_test_id("receipt-number")).to_have_text(collection.receipt_number)
    assert_accessible(page)
    assert len(collection.months) == 2
    assert coverage_on(worker, timezone.localdate())
    [sms] = [m for m in locmem.outbox if m.purpose == "receipt"]
    assert sms.to == worker.phone and collection.receipt_number in sms.body


@pytest.fixture
def js_phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def test_offline_registration_and_collection_are_sent_when_the_connection_returns(
    live_server, js_phone: BrowserContext, agent_user
):
    # The agent lets the app know where the phone is: the work carries it, as a ~100 m cell.
    js_phone.grant_permissions(["geolocation"], origin=live_server.url)
    js_phone.set_geolocation({"latitude": -6.99051, "longitude": 110.42291, "accuracy": 20})
    page = js_phone.new_page()
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill("perisai")
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/agen/$"))
    page.goto(live_server.url + "/agen/daftar/")
    expect(page.get_by_test_id("agent-queue")).to_have_text("Semua pekerjaan terkirim.")
    expect(page.locator("input[name=location]")).to_have_value(re.compile(r"^-6\.99051,110\.42291,20$"))

    js_phone.set_offline(True)
    nik = make_nik(birth_date=dt.date(1991, 3, 2), sex="F", serial=7702)
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=full_name]").fill("Ratna Sari")
    page.locator("input[name=birth_date]").fill("1991-03-02")
    page.locator("input[name=sex][value=F]").check()
    page.locator("input[name=phone]").fill("081234567702")
    page.locator("input[name=village_code]").fill("33.74.01.1001")
    page.locator("select[name=occupation]").select_option("pedagang")
    page.get_by_test_id("agent-register-submit").click()
    expect(page.get_by_test_id("agent-queue")).to_have_text("Menunggu dikirim: 1")
    assert not Worker.objects.exists()
    # What waits on the phone is sealed: neither the NIK nor the name is readable in IndexedDB.
    stored = page.evaluate(
        """() => new Promise((ok) => {
            const request = indexedDB.open("rangkul-agent");
            request.onsuccess = () => {
                const read = request.result.transaction("queue").objectStore("queue").getAll();
                read.onsuccess = () => ok(read.result.map((op) => ({
                    plain: JSON.stringify(op), sealed: op.box && op.box.sealed instanceof ArrayBuffer,
                })));
            };
        })"""
    )
    assert len(stored) == 1 and stored[0]["sealed"]
    assert "Ratna" not in stored[0]["plain"] and nik not in stored[0]["plain"]
    assert "110.42" not in stored[0]["plain"]  # the position is sealed with the work

    offline = page.get_by_test_id("offline-collect")
    expect(offline).to_be_visible()
    offline.locator("select").select_option("2")
    current = Period.of(timezone.localdate())
    prices = [
        month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=p)
        for p in (current, current + 1)
    ]
    amount = sum(p or 0 for p in prices)  # what the rate card says for these two months
    offline.locator("input").fill(str(amount))
    page.get_by_test_id("offline-collect-submit").click()
    expect(page.get_by_test_id("agent-queue")).to_have_text("Menunggu dikirim: 2")
    assert not Worker.objects.exists()

    js_phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("agent-queue")).to_have_text("Semua pekerjaan terkirim.")
    worker = Worker.objects.get()
    collection = Collection.objects.get()
    assert collection.worker == worker and len(collection.months) == 2
    assert coverage_on(worker, timezone.localdate())
    [sms] = [m for m in locmem.outbox if m.purpose == "receipt"]
    assert sms.to == worker.phone and collection.receipt_number in sms.body
    operations = SyncOperation.objects.order_by("recorded_at")
    assert [(op.kind, op.location) for op in operations] == [
        ("register", "-6.991,110.423"),
        ("collect", "-6.991,110.423"),
    ]
    assert len({op.device for op in operations}) == 1 and operations[0].device.startswith("dev-")


def test_existing_member_is_found_and_collected_for_offline(live_server, js_phone: BrowserContext, agent_user):
    """The portfolio is kept on the phone (sealed); offline the agent finds a member registered
    earlier, collects two months, and the collection is sent when the connection returns."""
    agent = Agent.objects.get(user=agent_user)
    [registered] = agent_sync(
        agent=agent,
        operations=[
            {
                "id": "earlier-registration",
                "kind": "register",
                "recorded_at": timezone.now().isoformat(),
                "data": {
                    "nik": make_nik(birth_date=dt.date(1985, 8, 9), sex="F", serial=7703),
                    "full_name": "Dewi Anggraini",
                    "birth_date": "1985-08-09",
                    "sex": "F",
                    "phone": "081234567703",
                    "village_code": "33.74.01.1001",
                    "occupation": "pedagang",
                    "declared_income_idr": 1_000_000,
                    "jht": False,
                },
            }
        ],
    )
    worker = Worker.objects.get(membership_number=registered["membership_number"])
    page = js_phone.new_page()
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill("perisai")
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/agen/$"))
    page.get_by_test_id("agent-nav-lookup").click()
    # ``ready`` resolves once a worker is active, which may still be "activating": wait for the end.
    assert page.evaluate(SERVICE_WORKER_ACTIVATED) == "activated"
    page.reload()  # now served through the service worker, which keeps the empty search page
    kept = page.wait_for_function(
        """() => new Promise((ok) => {
            const request = indexedDB.open("rangkul-agent");
            request.onsuccess = () => {
                const db = request.result;
                if (!db.objectStoreNames.contains("portfolio")) return ok(null);
                const read = db.transaction("portfolio").objectStore("portfolio").get("snapshot");
                read.onsuccess = () => ok(read.result ? {
                    agent: read.result.agent, plain: JSON.stringify(read.result),
                    sealed: read.result.box && read.result.box.sealed instanceof ArrayBuffer,
                } : null);
            };
        })"""
    ).json_value()
    assert kept["agent"] == agent.code and kept["sealed"]
    assert "Dewi" not in kept["plain"] and worker.membership_number not in kept["plain"]

    js_phone.set_offline(True)
    page.reload()  # the search page without a connection
    page.locator("input[name=q]").fill("dewi")
    page.get_by_test_id("agent-lookup-submit").click()
    found = page.get_by_test_id("offline-member")
    expect(found).to_contain_text(worker.membership_number)
    expect(found).to_contain_text(worker.nik_masked)
    assert_accessible(page)
    found.click()
    collect = page.get_by_test_id("offline-member-collect")
    expect(collect).to_be_visible()
    collect.locator("select").select_option("2")
    current = Period.of(timezone.localdate())
    prices = [
        month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=p)
        for p in (current, current + 1)
    ]
    expect(collect.locator("input")).to_have_value(str(sum(p or 0 for p in prices)))  # the rate card's amount
    assert_accessible(page)
    page.get_by_test_id("offline-member-collect-submit").click()
    expect(page.get_by_test_id("agent-queue")).to_have_text("Menunggu dikirim: 1")
    assert not Collection.objects.exists()

    js_phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("agent-queue")).to_have_text("Semua pekerjaan terkirim.")
    collection = Collection.objects.get()
    assert collection.worker == worker and len(collection.months) == 2 and collection.credit_idr == 0
    assert coverage_on(worker, timezone.localdate())
    [sms] = [m for m in locmem.outbox if m.purpose == "receipt"]
    assert sms.to == worker.phone and collection.receipt_number in sms.body
    # The app was not allowed to know where the phone is: the work went through without a position.
    assert SyncOperation.objects.get(kind="collect").location == ""
