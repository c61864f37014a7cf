"""Nobody learns who is registered by asking: login answers alike for any number, limits included,
codes are limited per address too, and one verified code allows only a few registered-NIK answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rangkul.portal.tests.test_registration import BIRTH, fill_until_review, step
from rangkul.registry.models import Worker
from rangkul.registry.tests.factories import make_nik, worker_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def _post(client, url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return _post


def _answers(client, post, phone: str) -> list[tuple[int, str, str]]:
    """What a visitor sees for three quick login attempts with one number."""
    seen = []
    for _ in range(3):
        response = post(client, reverse("portal:login"), {"phone": phone})
        errors = response.context["form"].errors.as_text() if response.status_code == 200 else ""
        seen.append((response.status_code, response.get("Location", ""), errors.replace(phone, "PHONE")))
    return seen


def test_login_answers_alike_for_registered_and_unknown_numbers_limits_included(
    client, regions, occupations, sms, post
):
    worker_create(phone="+6281311112222")
    registered = _answers(client, post, "081311112222")
    client.logout()
    unknown = _answers(client, post, "081399998888")
    assert registered == unknown
    assert registered[0][0] == 302 and registered[1][0] == 200  # a resend pause, for both alike
    assert [m.to for m in sms.messages] == ["+6281311112222"]  # only the member got a text


def test_codes_are_limited_per_client_address(client, regions, occupations, sms, post, settings):
    settings.OTP_MAX_PER_CLIENT_PER_HOUR = 3
    for n in range(3):
        assert post(client, reverse("portal:login"), {"phone": f"08139999000{n}"}).status_code == 302
    refused = post(client, reverse("portal:login"), {"phone": "0813999900009"})
    assert refused.status_code == 200 and refused.context["form"].errors["phone"]
    other = post(client, reverse("portal:login"), {"phone": "0813999900009"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_one_verified_code_allows_only_a_few_registered_nik_answers(
    client, sms, regions, branch, occupations, post, settings, monkeypatch
):
    settings.REGISTRATION_NIK_TRIES_PER_CODE = 2
    # Past the identity step's own early answers (limited per address), the review step answers.
    monkeypatch.setattr("rangkul.portal.views.NIK_EARLY_CHECKS_PER_HOUR", 0)
    taken = [make_nik(birth_date=BIRTH, sex="F") for _ in range(3)]
    for n, nik in enumerate(taken):
        worker_create(nik=nik, birth_date=BIRTH, sex="F", phone=f"+628570000000{n}")
    fill_until_review(client, sms, post, branch, taken[0])
    assert client.post(step("periksa"), {})["Location"] == step("identitas")  # first probe: answered
    client.post(step("identitas"), {"nik": taken[1], "full_name": "Siti", "birth_date": BIRTH.isoformat(), "sex": "F"})
    second = client.post(step("periksa"), {})
    assert second["Location"] == step("kontak")  # limit reached: the number must be verified again
    session = client.session["portal_registration"]["kontak"]
    assert session["verified"] is False
    assert client.get(step("periksa"))["Location"] == step("kontak")
    assert Worker.objects.count() == 3
