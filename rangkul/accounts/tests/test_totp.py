from __future__ import annotations

import re

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from rangkul.accounts.totp import STEP_SECONDS, totp_enable, totp_secret_new
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(secret: str = SECRET, offset: int = 0) -> str:
    step = int(timezone.now().timestamp()) // STEP_SECONDS + offset
    return pyotp.TOTP(secret).generate_otp(step)


@pytest.fixture
def officer_with_totp(branch_officer):
    totp_enable(user=branch_officer, secret=SECRET, code=_code())
    branch_officer.refresh_from_db()
    branch_officer.totp_last_step = None  # allow the current code once more in the test
    branch_officer.save(update_fields=["totp_last_step"])
    return branch_officer


def _password(client, user):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})


def test_secret_is_sealed_and_enabling_is_audited(officer_with_totp):
    assert SECRET not in officer_with_totp.totp_secret_sealed
    assert officer_with_totp.has_totp
    assert AuditEvent.objects.filter(action="accounts.totp_enabled", subject_id=str(officer_with_totp.pk)).exists()


def test_password_alone_does_not_log_in_when_totp_is_set_up(client, officer_with_totp):
    response = _password(client, officer_with_totp)
    assert response["Location"] == reverse("accounts:login_code")
    assert client.get(reverse("office:home")).status_code == 302, "not logged in yet"
    response = client.post(reverse("accounts:login_code"), {"code": _code()})
    assert response.status_code == 302
    assert client.get(reverse("office:home")).status_code == 200


def test_a_code_cannot_be_used_twice(client, officer_with_totp):
    code = _code()
    _password(client, officer_with_totp)
    client.post(reverse("accounts:login_code"), {"code": code})
    client.logout()
    _password(client, officer_with_totp)
    response = client.post(reverse("accounts:login_code"), {"code": code})
    assert response.status_code == 200
    assert "Kode itu tidak benar" in response.content.decode()


def test_wrong_codes_lock_the_account(client, officer_with_totp, settings):
    settings.LOGIN_MAX_FAILURES = 3
    _password(client, officer_with_totp)
    for _ in range(3):
        response = client.post(reverse("accounts:login_code"), {"code": "000000"})
    officer_with_totp.refresh_from_db()
    assert officer_with_totp.is_locked()
    assert "Akun ini dikunci sementara" in response.content.decode()
    assert client.get(reverse("office:home")).status_code == 302


def test_the_code_step_expires(client, officer_with_totp, monkeypatch):
    _password(client, officer_with_totp)
    session = client.session
    session["_totp_pending"]["at"] -= 3600
    session.save()
    response = client.post(reverse("accounts:login_code"), {"code": _code()})
    assert response["Location"] == reverse("accounts:login")


def test_setup_page_shows_a_qr_code_and_enables_on_a_right_code(client, branch_officer):
    client.login(username=branch_officer.username, password=PASSWORD)
    page = client.get(reverse("accounts:totp_setup"))
    html = page.content.decode()
    assert "<svg" in html
    assert page["Cache-Control"] == "no-store"
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    wrong = client.post(reverse("accounts:totp_setup"), {"code": "123456"})
    assert wrong.status_code == 200
    branch_officer.refresh_from_db()
    assert not branch_officer.has_totp
    # The wrong attempt made a new key; read it again.
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', wrong.content.decode()).group(1).replace(" ", "")
    right = client.post(reverse("accounts:totp_setup"), {"code": _code(key)})
    assert right.status_code == 302
    branch_officer.refresh_from_db()
    assert branch_officer.has_totp


def test_required_totp_sends_staff_to_the_setup_page(client, branch_officer, settings):
    settings.STAFF_TOTP_REQUIRED = True
    client.login(username=branch_officer.username, password=PASSWORD)
    response = client.get(reverse("office:home"))
    assert response["Location"] == reverse("accounts:totp_setup")
    assert client.get(reverse("accounts:totp_setup")).status_code == 200


def test_required_totp_does_not_apply_to_users_who_see_no_members_pages(client, agent_user, settings):
    settings.STAFF_TOTP_REQUIRED = True
    client.login(username=agent_user.username, password=PASSWORD)
    assert client.get("/").status_code == 200


def test_new_secrets_are_random_base32():
    first, second = totp_secret_new(), totp_secret_new()
    assert first != second
    assert re.fullmatch(r"[A-Z2-7]{32}", first)


def test_an_administrator_can_reset_a_lost_authenticator(officer_with_totp, administrator):
    from rangkul.accounts.totp import totp_disable

    totp_disable(actor=Actor.for_user(administrator), user=officer_with_totp, reason="lost phone")
    officer_with_totp.refresh_from_db()
    assert not officer_with_totp.has_totp
    assert AuditEvent.objects.get(action="accounts.totp_reset").reason == "lost phone"


def test_a_known_password_does_not_reset_the_count_of_wrong_codes(client, officer_with_totp, settings):
    """Password, two wrong codes, password again, one wrong code: locked, as three wrong tries in a row are."""
    settings.LOGIN_MAX_FAILURES = 3
    _password(client, officer_with_totp)
    for _ in range(2):
        client.post(reverse("accounts:login_code"), {"code": "000000"})
    _password(client, officer_with_totp)  # the right password again, from a fresh start
    client.post(reverse("accounts:login_code"), {"code": "000000"})
    officer_with_totp.refresh_from_db()
    assert officer_with_totp.is_locked()
    # Even the right code is refused now.
    _password(client, officer_with_totp)
    client.post(reverse("accounts:login_code"), {"code": _code()})
    assert client.get(reverse("office:home")).status_code == 302


def test_a_right_code_clears_the_failures(client, officer_with_totp, settings):
    settings.LOGIN_MAX_FAILURES = 3
    _password(client, officer_with_totp)
    client.post(reverse("accounts:login_code"), {"code": "000000"})
    assert client.post(reverse("accounts:login_code"), {"code": _code()}).status_code == 302
    officer_with_totp.refresh_from_db()
    assert officer_with_totp.failed_login_count == 0


def test_partner_admins_who_see_members_need_a_second_factor(client, partner_admin, settings):
    settings.STAFF_TOTP_REQUIRED = True
    client.force_login(partner_admin)
    response = client.get(reverse("partners:members"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:totp_setup")
