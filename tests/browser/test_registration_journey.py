"""A worker registers on a cheap phone, logs in with a one-time code, adds an heir and downloads their data."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rangkul.messaging.backends import locmem
from rangkul.registry.models import Occupation
from rangkul.registry.tests.factories import make_nik, worker_create
from tests.browser.conftest import assert_accessible, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTH = dt.date(1992, 8, 21)
PHONE = "0812 7777 3131"
PHONE_E164 = "+6281277773131"


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    yield locmem.outbox
    locmem.clear()


@pytest.fixture
def occupations(transactional_db):
    # A transactional test flushes the seeded catalogue: put back the rows this journey uses.
    for code, name, sector in (("pedagang", "Pedagang", "non_transport"), ("ojek_online", "Ojek online", "transport")):
        Occupation.objects.get_or_create(code=code, defaults={"name": name, "sector": sector})


def last_code(purpose: str) -> str:
    for message in reversed(locmem.messages_to(PHONE_E164)):
        if message.purpose == purpose:
            match = re.search(r"\b(\d{6})\b", message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no {purpose} code was texted")


def next_step(page: Page, number: int) -> None:
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("wizard-step")).to_contain_text(str(number))
    assert_accessible(page)


def test_register_login_add_heir_and_download(
    live_server, phone_page: Page, sms_outbox, regions, branch, occupations, tmp_path: Path
) -> None:
    page = phone_page
    nik = make_nik(birth_date=BIRTH, sex="F", district="33.74.01")

    # 1. Mobile number, verified by a code texted to it, before anything about the NIK
    page.goto(live_server.url + "/peserta/daftar/identitas/")
    expect(page).to_have_url(re.compile(r"/peserta/daftar/kontak/$"))  # identity waits for a verified number
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_test_id("wizard-step")).to_contain_text("1")
    assert_accessible(page)
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=code]").fill(last_code("otp_register"))
    page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("wizard-step")).to_contain_text("2")

    # 2. Identity
    expect(page.get_by_test_id("registering-with")).to_contain_text("3131")
    assert_accessible(page)
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=full_name]").fill("dewi   lestari")
    page.locator("input[name=birth_date]").fill(BIRTH.isoformat())
    page.locator("input[name=sex][value=F]").check()
    next_step(page, 3)
    assert nik not in page.url

    # 3. Address through the chained region picker (htmx swaps the next level in)
    for level, code, below, below_code in (
        ("province", "33", "regency", "33.74"),
        ("regency", "33.74", "district", "33.74.01"),
        ("district", "33.74.01", "village", "33.74.01.1001"),
    ):
        wait_for_htmx(page)
        page.locator(f"select[name={level}]").select_option(code)
        expect(page.locator(f"select[name={below}] option[value='{below_code}']")).to_have_count(1)
    wait_for_htmx(page)
    page.locator("select[name=village]").select_option("33.74.01.1001")
    page.locator("input[name=address]").fill("Jl. Pandanaran 5 RT 02/RW 03")
    page.locator("input[name=postal_code]").fill("50134")
    assert_accessible(page)
    next_step(page, 4)

    # 4. Work and contributions
    page.locator("select[name=occupation]").select_option("pedagang")
    page.locator("input[name=declared_income_idr]").fill("999999")
    page.locator("input[name=jht][value=yes]").check()
    page.locator("input[name=payment_period_months][value='3']").check()
    page.get_by_test_id("next").click()
    # Too low: the error is announced and shown next to the field.
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".has-error input[name=declared_income_idr]")).to_be_visible()
    page.locator("input[name=declared_income_idr]").fill("1500000")
    page.locator("select[name=branch]").select_option(branch.code)
    next_step(page, 5)

    # 5. Heirs
    page.locator("input[name=full_name]").fill("Agus Lestari")
    page.locator("select[name=relationship]").select_option("spouse")
    page.get_by_test_id("add-heir").click()
    expect(page.get_by_test_id("heir-list")).to_contain_text("Agus Lestari")
    next_step(page, 6)

    # 6. Review (NIK masked) and send
    expect(page.get_by_test_id("review-nik")).to_have_text(f"{nik[:4]} •••• •••• ••••")
    assert nik not in page.content()
    page.get_by_test_id("submit-registration").click()
    number = page.get_by_test_id("membership-number")
    expect(number).to_have_text(re.compile(r"^\d{11}$"))
    membership_number = number.inner_text()
    expect(page.get_by_test_id("nik-masked")).to_have_text(f"{nik[:4]} •••• •••• ••••")
    assert nik not in page.content()
    assert_accessible(page)

    # Signed in by the registration itself (the phone was verified): straight to "Akun saya".
    page.get_by_test_id("go-account").click()
    expect(page).to_have_url(re.compile(r"/peserta/akun/$"))
    expect(page.get_by_test_id("membership-number")).to_have_text(membership_number)
    expect(page.get_by_test_id("nik-masked")).to_contain_text("••••")
    assert_accessible(page)

    # Add a second heir from "Akun saya"
    page.get_by_test_id("add-heir").click()
    page.locator("input[name=full_name]").fill("putri lestari")
    page.locator("select[name=relationship]").select_option("child")
    page.locator("input[name=birth_date]").fill("2016-03-09")
    assert_accessible(page)
    page.get_by_test_id("save-heir").click()
    expect(page.get_by_test_id("heir-list")).to_contain_text("Putri Lestari")

    # Download my data
    with page.expect_download() as download_info:
        page.get_by_test_id("download-data").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"rangkul-data-{membership_number}")
    target = tmp_path / "data.json"
    download.save_as(target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["membership_number"] == membership_number
    assert data["nik"] == f"{nik[:4]} •••• •••• ••••"
    assert nik not in target.read_text(encoding="utf-8")
    assert {h["full_name"] for h in data["heirs"]} == {"Agus Lestari", "Putri Lestari"}
    assert data["programs"] == ["JKK", "JKM", "JHT"]


def test_registration_steps_work_without_javascript(live_server, browser, sms_outbox, regions, occupations) -> None:
    context = browser.new_context(java_script_enabled=False, locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    nik = make_nik(birth_date=BIRTH, sex="M", district="33.74.02")
    page.goto(live_server.url + "/peserta/daftar/")
    expect(page.get_by_test_id("wizard-step")).to_contain_text("1")
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    page.locator("input[name=code]").fill(last_code("otp_register"))
    page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("wizard-step")).to_contain_text("2")
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=full_name]").fill("Joko Widodo")
    page.locator("input[name=birth_date]").fill(BIRTH.isoformat())
    page.locator("input[name=sex][value=F]").check()
    page.get_by_test_id("next").click()
    # Sex disagrees with the NIK: stays on step 2 with the error announced.
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("wizard-step")).to_contain_text("2")
    assert_accessible(page)
    page.locator("input[name=sex][value=M]").check()
    page.get_by_test_id("next").click()
    # The region picker's refresh button loads each level without JavaScript.
    for name, code in (("province", "33"), ("regency", "33.74"), ("district", "33.74.02")):
        page.locator(f"select[name={name}]").select_option(code)
        page.locator("button[name=_region_refresh]").click()
    page.locator("select[name=village]").select_option("33.74.02.1001")
    assert_accessible(page)
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("wizard-step")).to_contain_text("4")
    context.close()


def test_a_registered_nik_is_answered_only_after_the_number_is_verified(
    live_server, phone_page: Page, sms_outbox, regions, occupations, settings
) -> None:
    settings.OTP_RESEND_SECONDS = 0
    page = phone_page
    nik = make_nik(birth_date=BIRTH, sex="F")
    worker_create(nik=nik, birth_date=BIRTH, sex="F", phone="+6285700000001")
    # No verified number: the identity step is not even shown.
    page.goto(live_server.url + "/peserta/daftar/identitas/")
    expect(page).to_have_url(re.compile(r"/peserta/daftar/kontak/$"))
    expect(page.locator("input[name=nik]")).to_have_count(0)
    page.locator("input[name=phone]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    page.locator("input[name=code]").fill(last_code("otp_register"))
    page.get_by_test_id("verify-code").click()
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=full_name]").fill("Dewi Lestari")
    page.locator("input[name=birth_date]").fill(BIRTH.isoformat())
    page.locator("input[name=sex][value=F]").check()
    page.get_by_test_id("next").click()
    # With a verified number: the answer, with a way forward.
    expect(page.get_by_test_id("nik-taken")).to_be_visible()
    expect(page.get_by_test_id("nik-taken-login")).to_have_attribute("href", "/peserta/masuk/")
    assert_accessible(page)
    # Back to the number for a new code: the identity step closes until it is verified.
    page.get_by_role("link", name=re.compile("Kembali")).click()
    expect(page.get_by_test_id("phone-verified")).to_be_visible()
    page.locator("input[name=phone]").fill("0813 9999 0000")
    page.get_by_test_id("send-code").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + "/peserta/daftar/identitas/")
    expect(page).to_have_url(re.compile(r"/peserta/daftar/kontak/$"))
