from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.accounts.models import OtpChallenge
from rangkul.contributions.quotes import contribution_quote
from rangkul.core.crypto import mask_phone
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import make_nik, worker_create

PHONE = "081234567890"
PHONE_E164 = "+6281234567890"
BIRTH = dt.date(1990, 5, 17)


def step(name: str) -> str:
    return reverse("portal:register_step", kwargs={"step": name})


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the SMS task) inside the test transaction, as a real commit would."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def fill_identity(client, nik: str, **overrides):
    data = {"nik": nik, "full_name": "  siti   AMINAH ", "birth_date": BIRTH.isoformat(), "sex": "F"}
    data.update(overrides)
    return client.post(step("identitas"), data)


def verify_phone(client, sms, post, phone=PHONE):
    post(client, step("kontak"), {"action": "send", "phone": phone})
    code = sms.code_for(PHONE_E164 if phone == PHONE else phone)
    return client.post(step("kontak"), {"action": "verify", "code": code})


def verify_then_identity(client, sms, post, nik: str, phone=PHONE):
    """The first two steps: the mobile number verified by a code, then the identity."""
    assert verify_phone(client, sms, post, phone)["Location"] == step("identitas")
    return fill_identity(client, nik)


def fill_until_review(client, sms, post, branch, nik: str):
    assert verify_then_identity(client, sms, post, nik)["Location"] == step("alamat")
    response = client.post(
        step("alamat"),
        {
            "province": "33",
            "regency": "33.74",
            "district": "33.74.01",
            "village": "33.74.01.1001",
            "address": "Jl. Pemuda 12 RT 01/RW 02",
            "postal_code": "50132",
            "email": "siti@example.org",
        },
    )
    assert response["Location"] == step("pekerjaan")
    response = client.post(
        step("pekerjaan"),
        {
            "occupation": "pedagang",
            "second_occupation": "ojek_online",
            "declared_income_idr": "1500000",
            "jht": "yes",
            "payment_period_months": "3",
            "branch": branch.code,
        },
    )
    assert response["Location"] == step("ahli-waris")
    response = client.post(step("ahli-waris"), {"action": "add", "full_name": "budi santoso", "relationship": "spouse"})
    assert response.status_code == 302
    assert client.post(step("ahli-waris"), {"action": "next"})["Location"] == step("periksa")


@pytest.mark.django_db
def test_full_registration_without_javascript(client, sms, run_on_commit, regions, branch, occupations, caplog):
    caplog.set_level(logging.DEBUG)
    nik = make_nik(birth_date=BIRTH, sex="F")
    fill_until_review(client, sms, run_on_commit, branch, nik)

    review = client.get(step("periksa"))
    content = review.content.decode()
    assert nik not in content and nik[:4] in content
    assert "JKK + JKM + JHT" in content
    # The price before committing: the monthly amount and one payment of the chosen 3 months.
    price = review.context["price"]
    monthly = contribution_quote(
        declared_income_idr=1_500_000, jht=True, sector="non_transport", month=Period.of(timezone.localdate())
    )
    assert price["monthly"].total_idr == monthly.total_idr and price["months"] == 3
    assert 'data-testid="review-price"' in content and format_rupiah(monthly.total_idr) in content
    assert format_rupiah(price["total_idr"]) in content

    response = run_on_commit(client, step("periksa"), {})
    assert response["Location"] == reverse("portal:register_done")
    worker = Worker.objects.get()
    assert worker.channel == "portal" and worker.phone == PHONE_E164 and worker.phone_verified
    assert worker.full_name == "Siti Aminah" and worker.jht and worker.payment_period_months == 3
    assert worker.second_occupation.code == "ojek_online" and worker.branch == branch
    assert worker.email == "siti@example.org" and worker.postal_code == "50132"
    assert [h.full_name for h in worker.heirs.all()] == ["Budi Santoso"]

    done = client.get(response["Location"]).content.decode()
    assert worker.membership_number in done and worker.nik_masked in done and nik not in done
    # Signed in by the registration itself (the phone was verified on the way): pay now, no second code.
    assert client.session["portal_worker_id"] == worker.pk
    assert 'data-testid="pay-now"' in done and reverse("contributions:my_pay") in done
    texts_before = len(sms.messages)
    pay = client.get(reverse("contributions:my_pay"))
    assert pay.status_code == 200 and len(sms.messages) == texts_before
    assert format_rupiah(price["monthly"].total_idr) in pay.content.decode()
    # The progress (and its sealed NIK) is gone from the session.
    assert "portal_registration" not in client.session
    # The welcome text carries the membership number, never the NIK.
    welcome = [m for m in sms.messages if m.purpose == "welcome"]
    assert welcome and worker.membership_number in welcome[0].body and nik not in welcome[0].body
    # Nothing logged during the whole journey carries the NIK or the phone number.
    assert nik not in caplog.text and PHONE_E164 not in caplog.text and PHONE not in caplog.text


@pytest.mark.django_db
def test_nik_is_sealed_in_the_session_and_never_in_a_url(client, sms, run_on_commit, regions, occupations):
    nik = make_nik(birth_date=BIRTH, sex="F")
    response = verify_then_identity(client, sms, run_on_commit, nik)
    assert nik not in response["Location"]
    stored = client.session["portal_registration"]
    assert nik not in repr(stored)
    assert stored["identitas"]["nik_sealed"]


@pytest.mark.django_db
def test_identity_step_rejects_dob_and_sex_mismatch(client, sms, run_on_commit, regions):
    nik = make_nik(birth_date=BIRTH, sex="F")
    verify_phone(client, sms, run_on_commit)
    response = fill_identity(client, nik, birth_date="1991-05-17", sex="M")
    assert response.status_code == 200
    form = response.context["form"]
    assert "birth_date" in form.errors and "sex" in form.errors
    assert nik not in response.content.decode().split('name="nik"')[0]  # not echoed in any message
    assert 'role="alert"' in response.content.decode()
    # The summary names every field in error, links to it, and takes focus (also without JavaScript).
    summary = response.content.decode().split('data-testid="form-errors"')[1].split("</div>")[0]
    assert 'href="#id_birth_date"' in summary and 'href="#id_sex"' in summary
    assert 'id="id_birth_date"' in response.content.decode() and 'id="id_sex"' in response.content.decode()
    assert "autofocus" in response.content.decode().split('data-testid="form-errors"')[0].rsplit("<div", 1)[1]


@pytest.mark.django_db
def test_steps_cannot_be_skipped(client):
    # The mobile number comes first: nothing after it opens before it is verified.
    for later in ("identitas", "alamat", "pekerjaan", "periksa"):
        assert client.get(step(later))["Location"] == step("kontak"), later
    assert client.get(reverse("portal:register"))["Location"] == step("kontak")


@pytest.mark.django_db
def test_wrong_code_keeps_the_worker_on_the_contact_step(client, sms, run_on_commit, regions):
    run_on_commit(client, step("kontak"), {"action": "send", "phone": PHONE})
    code = sms.code_for(PHONE_E164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(step("kontak"), {"action": "verify", "code": wrong})
    assert response.status_code == 200 and "code" in response.context["code_form"].errors
    assert client.get(step("identitas"))["Location"] == step("kontak")
    # Resending at once is refused with a clear message next to the number.
    response = run_on_commit(client, step("kontak"), {"action": "send", "phone": PHONE})
    assert response.status_code == 200 and response.context["phone_form"].errors["phone"]
    assert OtpChallenge.objects.count() == 1


@pytest.mark.django_db
def test_bad_phone_number_is_explained(client, regions):
    response = client.post(step("kontak"), {"action": "send", "phone": "0215551234"})
    assert response.status_code == 200 and response.context["phone_form"].errors["phone"]


@pytest.mark.django_db
def test_region_refresh_button_reloads_choices_without_saving(client, sms, run_on_commit, regions):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    response = client.post(step("alamat"), {"province": "33", "_region_refresh": "1"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "33.74" in content and "KOTA SEMARANG" in content
    assert not response.context["form"].is_bound
    assert client.get(step("pekerjaan"))["Location"] == step("alamat")


@pytest.mark.django_db
def test_income_below_minimum_is_refused(client, sms, run_on_commit, regions, occupations):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    client.post(step("alamat"), {"village": "33.74.01.1001"})
    response = client.post(
        step("pekerjaan"),
        {"occupation": "pedagang", "declared_income_idr": "999999", "jht": "no", "payment_period_months": "1"},
    )
    assert response.status_code == 200 and response.context["form"].errors["declared_income_idr"]


@pytest.mark.django_db
def test_registered_nik_is_caught_on_the_identity_step_with_a_way_forward(
    client, sms, run_on_commit, regions, occupations
):
    nik = make_nik(birth_date=BIRTH, sex="F")
    worker_create(nik=nik, birth_date=BIRTH, sex="F", phone="+6285700000001")
    response = verify_then_identity(client, sms, run_on_commit, nik)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="nik-taken"' in content
    assert reverse("portal:login") in content and reverse("help:page") + "#cabang" in content
    # The same generic words whatever the reason; nothing about who holds the NIK.
    assert response.context["form"].errors["nik"] == [
        "NIK ini tidak dapat didaftarkan lagi: masuk, atau hubungi kantor cabang."
    ]
    assert client.session["portal_registration"]["done"] == ["kontak"]
    assert "nik_sealed" not in client.session["portal_registration"].get("identitas", {})


@pytest.mark.django_db
def test_early_nik_checks_are_limited_per_client_then_caught_at_review(
    client, sms, run_on_commit, regions, branch, occupations, settings
):
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 0
    nik = make_nik(birth_date=BIRTH, sex="F")
    worker_create(nik=nik, birth_date=BIRTH, sex="F", phone="+6285700000001")
    fill_until_review(client, sms, run_on_commit, branch, nik)
    response = client.post(step("periksa"), {})
    assert response["Location"] == step("identitas")
    page = client.get(step("identitas"))
    assert page.context["form"].errors["nik"]
    assert 'data-testid="nik-taken"' in page.content.decode()
    assert Worker.objects.count() == 1


@pytest.mark.django_db
def test_every_wizard_page_labels_its_inputs(client, sms, run_on_commit, regions, occupations):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    client.post(step("alamat"), {"village": "33.74.01.1001"})
    for name in ("kontak", "identitas", "alamat", "pekerjaan"):
        response = client.get(step(name))
        assert response.status_code == 200, name
        form = response.context.get("form") or response.context["phone_form"]
        for field in form:
            assert field.label, (name, field.name)


@pytest.mark.django_db
def test_service_heir_error_is_shown_on_the_heirs_step(client, sms, run_on_commit, regions, branch, occupations):
    fill_until_review(client, sms, run_on_commit, branch, make_nik(birth_date=BIRTH, sex="F"))
    # An heir whose relationship is no longer valid (e.g. a stale session) is caught by worker_register.
    session = client.session
    session["portal_registration"]["heirs"][0]["relationship"] = "cousin"
    session.save()
    response = client.post(step("periksa"), {})
    assert response["Location"] == step("ahli-waris")
    page = client.get(step("ahli-waris"))
    lines = page.context["service_errors"]
    assert (len(lines) == 1 and lines[0].startswith("Heir 1: ")) or lines[0].startswith("Ahli waris 1: ")
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_heir_birth_date_is_checked_on_the_heirs_step(client, sms, run_on_commit, regions, occupations):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    client.post(
        step("alamat"), {"province": "33", "regency": "33.74", "district": "33.74.01", "village": "33.74.01.1001"}
    )
    client.post(
        step("pekerjaan"),
        {"occupation": "pedagang", "declared_income_idr": "1.500.000", "jht": "no", "payment_period_months": "1"},
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        step("ahli-waris"),
        {"action": "add", "full_name": "Budi Santoso", "relationship": "child", "birth_date": tomorrow.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"]
    assert not client.session["portal_registration"].get("heirs")
    # Day-first dates, as written on paper, are understood.
    response = client.post(
        step("ahli-waris"),
        {"action": "add", "full_name": "Budi Santoso", "relationship": "child", "birth_date": "17/08/2015"},
    )
    assert response.status_code == 302
    assert client.session["portal_registration"]["heirs"][0]["birth_date"] == "2015-08-17"


@pytest.mark.django_db
def test_income_is_accepted_the_indonesian_way(client, sms, run_on_commit, regions, occupations):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    client.post(
        step("alamat"), {"province": "33", "regency": "33.74", "district": "33.74.01", "village": "33.74.01.1001"}
    )
    for typed in ("Rp1.750.000", "1.750.000", "Rp 1.750.000,-", "1750000"):
        response = client.post(
            step("pekerjaan"),
            {"occupation": "pedagang", "declared_income_idr": typed, "jht": "no", "payment_period_months": "1"},
        )
        assert response.status_code == 302, typed
        assert client.session["portal_registration"]["pekerjaan"]["declared_income_idr"] == 1_750_000
    response = client.post(
        step("pekerjaan"),
        {"occupation": "pedagang", "declared_income_idr": "1,5 jt", "jht": "no", "payment_period_months": "1"},
    )
    assert response.status_code == 200 and response.context["form"].errors["declared_income_idr"]
    # The form shows a stored amount grouped with dots.
    assert 'value="1.750.000"' in client.get(step("pekerjaan")).content.decode()


@pytest.mark.django_db
def test_review_says_when_the_income_is_counted_at_a_lower_level(client, sms, run_on_commit, regions, occupations):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    client.post(
        step("alamat"), {"province": "33", "regency": "33.74", "district": "33.74.01", "village": "33.74.01.1001"}
    )
    client.post(
        step("pekerjaan"),
        {"occupation": "pedagang", "declared_income_idr": "1.750.000", "jht": "no", "payment_period_months": "1"},
    )
    client.post(step("ahli-waris"), {"action": "next"})
    review = client.get(step("periksa"))
    level = review.context["price"]["monthly"].income_level_idr
    assert level < 1_750_000
    content = review.content.decode()
    assert 'data-testid="income-level-note"' in content and format_rupiah(level) in content


@pytest.mark.django_db
def test_address_step_proposes_the_region_of_the_nik(client, sms, run_on_commit, regions):
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F", district="33.74.01"))
    page = client.get(step("alamat"))
    form = page.context["form"]
    assert form["province"].value() == "33" and form["regency"].value() == "33.74"
    assert form["district"].value() == "33.74.01"
    assert 'data-testid="region-proposed"' in page.content.decode()


@pytest.mark.django_db
def test_the_mobile_number_comes_first_and_the_steps_are_numbered_in_that_order(
    client, sms, run_on_commit, regions, occupations
):
    first = client.get(step("kontak"))
    content = first.content.decode()
    assert first.context["step_number"] == 1 and first.context["previous_step"] is None
    assert "Langkah 1 dari 6" in content or "Step 1 of 6" in content
    verify_phone(client, sms, run_on_commit)
    identity = client.get(step("identitas"))
    content = identity.content.decode()
    assert identity.context["step_number"] == 2
    assert f'href="{step("kontak")}"' in content  # back to the number
    assert mask_phone(PHONE_E164) in content  # registering with the verified number, masked
    assert PHONE_E164 not in content


@pytest.mark.django_db
def test_a_new_code_drops_the_nik_and_any_answer_about_it(
    client, sms, run_on_commit, regions, branch, occupations, settings
):
    settings.OTP_RESEND_SECONDS = 0
    settings.REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = 0  # the answer waits for the review step
    nik = make_nik(birth_date=BIRTH, sex="F")
    worker_create(nik=nik, birth_date=BIRTH, sex="F", phone="+6285700000001")
    fill_until_review(client, sms, run_on_commit, branch, nik)
    assert client.post(step("periksa"), {})["Location"] == step("identitas")  # "already registered", waiting
    assert client.session["portal_registration"]["errors"]["identitas"]["nik"]

    # Back to the number: a code to another one. Until it is verified nothing after it opens.
    other = "+6281399990000"
    response = run_on_commit(client, step("kontak"), {"action": "send", "phone": other})
    assert response["Location"] == step("kontak")
    for later in ("identitas", "alamat", "periksa"):
        assert client.get(step(later))["Location"] == step("kontak"), later
    state = client.session["portal_registration"]
    assert "nik_sealed" not in state["identitas"] and "identitas" not in state.get("errors", {})
    assert state["identitas"]["full_name"] == "Siti Aminah"  # what is not about the NIK stays

    code = sms.code_for(other)
    assert client.post(step("kontak"), {"action": "verify", "code": code})["Location"] == step("identitas")
    page = client.get(step("identitas"))
    assert not page.context["nik_taken"] and not page.context["form"].is_bound
    assert page.context["form"].initial["nik"] == "" and page.context["form"].initial["full_name"] == "Siti Aminah"
    # The later steps wait for the identity step again, now checked against the new number.
    assert client.get(step("periksa"))["Location"] == step("identitas")


@pytest.mark.django_db
def test_a_new_code_to_the_same_number_needs_verifying_again(client, sms, run_on_commit, regions, settings):
    settings.OTP_RESEND_SECONDS = 0
    verify_then_identity(client, sms, run_on_commit, make_nik(birth_date=BIRTH, sex="F"))
    run_on_commit(client, step("kontak"), {"action": "send", "phone": PHONE})
    assert client.get(step("identitas"))["Location"] == step("kontak")
    # "Continue" without the new code does not restore the old verification.
    assert client.post(step("kontak"), {"action": "continue"}).status_code == 200
    assert client.get(step("alamat"))["Location"] == step("kontak")


@pytest.mark.django_db
def test_review_links_every_step_in_order_and_done_names_the_number(
    client, sms, run_on_commit, regions, branch, occupations
):
    fill_until_review(client, sms, run_on_commit, branch, make_nik(birth_date=BIRTH, sex="F"))
    content = client.get(step("periksa")).content.decode()
    positions = [content.index(f'data-testid="edit-{name}"') for name in ("kontak", "identitas", "alamat")]
    assert positions == sorted(positions)
    assert f'href="{step("kontak")}"' in content and f'href="{step("ahli-waris")}"' in content
    response = run_on_commit(client, step("periksa"), {})
    done = client.get(response["Location"]).content.decode()
    assert 'data-testid="login-phone"' in done and mask_phone(PHONE_E164) in done and PHONE_E164 not in done
