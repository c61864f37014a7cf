"""Staff accounts are still kept in admin, so every change made there writes an audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rangkul.accounts.models import User
from rangkul.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "Rahasia-Panjang-123")
    client.force_login(user)
    return user


def _form(user: User, **changes):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "full_name": user.full_name,
        "failed_login_count": "0",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "08:00:00",
    }
    data.update(changes)
    return data


def test_changing_a_staff_member_in_admin_writes_an_audit_row_with_before_and_after(client, root):
    staff = User.objects.create_user("budi", email="budi@example.org", password="x-Rahasia-99", full_name="Budi")
    url = reverse("admin:accounts_user_change", args=[staff.pk])
    response = client.post(url, _form(staff, full_name="Budi Santoso", email="budi.s@example.org"))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    staff.refresh_from_db()
    assert staff.full_name == "Budi Santoso"
    event = AuditEvent.objects.get(action="admin.user_changed")
    assert event.actor == root and event.subject_id == str(staff.pk)
    assert event.before == {"email": "budi@example.org", "full_name": "Budi"}
    assert event.after == {"email": "budi.s@example.org", "full_name": "Budi Santoso"}


def test_setting_a_password_in_admin_is_audited_without_the_password(client, root):
    staff = User.objects.create_user("ani", password="x-Rahasia-99")
    url = reverse("admin:accounts_user_changelist") + f"{staff.pk}/password/"
    secret = "Kata-Sandi-Baru-2026"
    response = client.post(url, {"password1": secret, "password2": secret, "usable_password": "true"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.user_changed")
    assert secret not in str(event.before) + str(event.after)
    assert "password" in str(event.after)


def test_deleting_a_staff_member_in_admin_is_audited(client, root):
    staff = User.objects.create_user("tono", password="x-Rahasia-99")
    response = client.post(reverse("admin:accounts_user_delete", args=[staff.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=staff.pk).exists()
    assert AuditEvent.objects.filter(action="admin.user_deleted", subject_id=str(staff.pk)).count() == 1
