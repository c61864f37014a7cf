from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conftest import PASSWORD
from rangkul.accounts.models import ApiKey
from rangkul.accounts.roles import ROLE_PERMISSIONS, Role, roles_sync
from rangkul.accounts.services import api_key_authenticate, api_key_create, api_key_revoke
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent


def test_every_role_is_a_group_with_exactly_its_permissions(db):
    roles_sync()
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        actual = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert actual == set(expected)
    assert {g.name for g in Group.objects.all()} >= {r.value for r in Role}


def test_branch_officer_permissions(branch_officer, analyst):
    assert branch_officer.has_perm("accounts.reveal_nik")
    assert not branch_officer.has_perm("accounts.view_all_regions")
    assert analyst.has_perm("accounts.view_analytics")
    assert not analyst.has_perm("accounts.reveal_nik")


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_staff_login_works(client, branch_officer):
    response = _login(client, branch_officer.username, PASSWORD)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("office:home")
    assert client.get(reverse("office:home")).status_code == 200


def test_wrong_password_gives_a_clear_message(client, branch_officer):
    response = _login(client, branch_officer.username, "nope")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_lockout_after_repeated_failures(client, branch_officer, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _login(client, branch_officer.username, "wrong")
    branch_officer.refresh_from_db()
    assert branch_officer.is_locked()
    response = _login(client, branch_officer.username, PASSWORD)
    assert response.status_code == 200, "even the right password is refused while locked"
    assert "terkunci" in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.user_locked", subject_id=str(branch_officer.pk)).count() == 1


def test_success_resets_the_failure_count(client, branch_officer, settings):
    settings.LOGIN_MAX_FAILURES = 3
    _login(client, branch_officer.username, "wrong")
    _login(client, branch_officer.username, "wrong")
    assert _login(client, branch_officer.username, PASSWORD).status_code == 302
    branch_officer.refresh_from_db()
    assert branch_officer.failed_login_count == 0


def test_unknown_user_gets_the_same_message(client, db):
    response = _login(client, "nobody", "whatever")
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_a_user_without_pages_starts_on_the_landing_page(client, roles):
    from rangkul.accounts.tests.factories import UserFactory

    UserFactory(username="plain", password=PASSWORD)
    client.login(username="plain", password=PASSWORD)
    assert client.get(reverse("accounts:start"))["Location"] == reverse("core:landing")


def test_office_needs_the_office_permission(client, agent_user):
    client.login(username=agent_user.username, password=PASSWORD)
    assert client.get(reverse("office:home")).status_code == 403


def test_office_requires_login(client, db):
    response = client.get(reverse("office:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_api_key_is_stored_hashed_and_authenticates(db):
    raw = api_key_create(actor=Actor.system("system"), name="Koperasi Maju", organisation_code="KOP-01")
    key = ApiKey.objects.get()
    assert raw.startswith("rk_")
    assert raw not in (key.key_hash, key.prefix)
    assert key.prefix == raw[:12]
    assert api_key_authenticate(raw) == key
    assert api_key_authenticate(raw + "x") is None
    assert api_key_authenticate("") is None
    api_key_revoke(actor=Actor.system("system"), key=key)
    assert api_key_authenticate(raw) is None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["accounts.api_key_created", "accounts.api_key_revoked"]
    assert raw not in json.dumps(list(AuditEvent.objects.values("before", "after")))


def test_login_does_not_tell_which_usernames_exist(client, branch_officer, settings):
    """A locked account, a wrong password and an unknown username get the very same answer."""
    settings.LOGIN_MAX_FAILURES = 2

    def answer(username: str, password: str) -> list[str]:
        response = _login(client, username, password)
        assert response.status_code == 200
        return [str(error) for error in response.context["form"].non_field_errors()]

    wrong_password = answer(branch_officer.username, "wrong")
    unknown = answer("nobody-by-this-name", "wrong")
    answer(branch_officer.username, "wrong")
    branch_officer.refresh_from_db()
    assert branch_officer.is_locked()
    locked = answer(branch_officer.username, "wrong")
    locked_right_password = answer(branch_officer.username, PASSWORD)
    assert wrong_password == unknown == locked == locked_right_password


def test_revoke_api_key_command_stops_the_key_once(db) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    raw = api_key_create(actor=Actor.system("system"), name="kopmaju")
    out = StringIO()
    call_command("revoke_api_key", raw[:12], stdout=out)
    assert json.loads(out.getvalue()) == {"revoked": raw[:12]}
    assert api_key_authenticate(raw) is None
    call_command("revoke_api_key", raw[:12], stdout=StringIO())  # again: nothing more happens
    revoked = AuditEvent.objects.filter(action="accounts.api_key_revoked")
    assert list(revoked.values_list("actor_label", flat=True)) == ["command:revoke_api_key"]
    with pytest.raises(CommandError):
        call_command("revoke_api_key", "rk_unknown00", stdout=StringIO())
