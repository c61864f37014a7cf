"""Django admin never changes personal data unaudited: every registered model is read-only or audited."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from rangkul.accounts.tests.factories import UserFactory
from rangkul.agents.models import Agent
from rangkul.agents.services import agent_create
from rangkul.audit.actors import Actor
from rangkul.audit.admin_mixins import AuditedAdminMixin, ReadOnlyAdminMixin
from rangkul.audit.models import AuditEvent
from rangkul.audit.services import audit_record
from rangkul.partners.models import Membership, Organisation, OrganisationUser
from rangkul.partners.organisations import organisation_user_add
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db

# Registered models that hold no one's personal data (reference data and aggregates): admin may
# change them as Django does. Any other model an app registers must be read-only or audited.
NOT_PERSONAL = {
    "registry.occupation",
    "regions.province",
    "regions.regency",
    "regions.district",
    "regions.village",
    "regions.workforcerelease",
    "analytics.coveragesnapshot",
}


def _read_only(model_admin: Any) -> bool:
    return isinstance(model_admin, ReadOnlyAdminMixin) or not any(
        (
            model_admin.has_add_permission(_SuperRequest()),
            model_admin.has_change_permission(_SuperRequest()),
            model_admin.has_delete_permission(_SuperRequest()),
        )
    )


class _SuperRequest:
    """Enough of a request for the has_*_permission checks of a superuser."""

    class user:  # noqa: N801
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(*_args: Any) -> bool:
            return True


READ_ONLY = sorted(m._meta.label_lower for m, a in admin.site._registry.items() if _read_only(a))


@pytest.fixture
def root(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "Rahasia-Panjang-123")
    client.force_login(user)
    return user


def test_every_registered_model_with_personal_data_is_read_only_or_audited():
    unguarded = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if model._meta.label_lower not in NOT_PERSONAL
        and not _read_only(model_admin)
        and not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unguarded == []
    for label in (
        "partners.membership",
        "partners.organisationuser",
        "partners.importjob",
        "agents.commissionstatement",
        "outreach.reminder",
        "payments.callbackevent",
        "audit.auditevent",
    ):
        assert label in READ_ONLY, label
    audited = {m._meta.label_lower for m, a in admin.site._registry.items() if isinstance(a, AuditedAdminMixin)}
    assert {"agents.agent", "partners.organisation", "auth.group", "accounts.user"} <= audited


@pytest.mark.parametrize("label", READ_ONLY)
def test_a_superuser_cannot_add_through_a_read_only_admin(client, root, label):
    app_label, model_name = label.split(".")
    response = client.post(reverse(f"admin:{app_label}_{model_name}_add"), {})
    assert response.status_code == 403


def test_a_superuser_post_changes_no_partner_membership_or_organisation_user(client, root, regions):
    organisation = cast(Organisation, OrganisationFactory(code="kopmaju"))
    other = cast(Organisation, OrganisationFactory(code="ojol"))
    worker = worker_create(full_name="Siti Aminah")
    membership = Membership.objects.create(organisation=organisation, worker=worker, supplied_name="Siti Aminah")
    partner = UserFactory(username="mitra")
    link = organisation_user_add(actor=Actor.system("system"), organisation=organisation, user=partner)

    url = reverse("admin:partners_membership_change", args=[membership.pk])
    assert client.get(url).status_code == 200  # operators may still look
    posted = client.post(url, {"organisation": other.pk, "worker": worker.pk, "supplied_name": "Orang Lain"})
    assert posted.status_code == 403
    deleted = client.post(reverse("admin:partners_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert deleted.status_code == 403
    membership.refresh_from_db()
    assert (membership.organisation_id, membership.supplied_name) == (organisation.pk, "Siti Aminah")

    url = reverse("admin:partners_organisationuser_change", args=[link.pk])
    assert client.post(url, {"organisation": other.pk, "user": partner.pk}).status_code == 403
    assert OrganisationUser.objects.get(pk=link.pk).organisation_id == organisation.pk
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_a_superuser_cannot_change_or_delete_an_audit_row(client, root):
    event = audit_record(actor=root, action="test.something", subject=None, after={"x": 1})
    url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.post(url, {"action": "test.other"}).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "test.something"


def _form_data(response: Any) -> dict[str, Any]:
    """The change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def test_an_agent_changed_in_admin_writes_an_audit_row_and_cannot_be_deleted(client, root, regions, roles):
    organisation = cast(Organisation, OrganisationFactory(code="koperasi-tani"))
    agent = agent_create(
        actor=Actor.system("test"),
        user=UserFactory(username="agen1"),
        organisation=organisation,
        cash_limit_idr=500_000,
    )
    url = reverse("admin:agents_agent_change", args=[agent.pk])
    data = _form_data(client.get(url))
    data["cash_limit_idr"] = "750000"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Agent.objects.get(pk=agent.pk).cash_limit_idr == 750_000
    event = AuditEvent.objects.get(action="admin.agent_changed")
    assert event.actor == root and event.subject_id == str(agent.pk)
    assert (event.before, event.after) == ({"cash_limit_idr": 500_000}, {"cash_limit_idr": 750_000})
    assert client.post(reverse("admin:agents_agent_delete", args=[agent.pk]), {"post": "yes"}).status_code == 403
    assert Agent.objects.filter(pk=agent.pk).exists()


def test_an_organisations_contact_changed_in_admin_is_audited_and_attestation_stays(client, root, regions):
    organisation = cast(Organisation, OrganisationFactory(code="kopmaju", contact_name="Budi"))
    url = reverse("admin:partners_organisation_change", args=[organisation.pk])
    data = _form_data(client.get(url))
    data.update(contact_name="Budi Santoso", attests_phone_verification="on")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    organisation.refresh_from_db()
    assert organisation.contact_name == "Budi Santoso"
    assert organisation.attests_phone_verification is False  # only its service changes it
    event = AuditEvent.objects.get(action="admin.organisation_changed")
    assert event.before == {"contact_name": "Budi"} and event.after == {"contact_name": "Budi Santoso"}


def test_a_groups_permissions_changed_in_admin_are_audited(client, root, roles):
    group = Group.objects.order_by("name").first()
    assert group is not None
    url = reverse("admin:auth_group_change", args=[group.pk])
    data = _form_data(client.get(url))
    data["permissions"] = []
    response = client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.group_changed")
    assert event.after == {"permissions": []} and event.before["permissions"]
