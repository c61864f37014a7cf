"""Organisations, their users and members, and the selectors' scope."""

from __future__ import annotations

from typing import cast

import pytest
from django.contrib.auth.models import Group

from rangkul.accounts.models import User
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.core.errors import NotFound, ValidationFailed
from rangkul.partners.models import ImportJob, OrganisationKind
from rangkul.partners.selectors import (
    import_job_get_for_api_key,
    import_job_get_for_user,
    import_job_list_for_user,
    membership_list_for_user,
    organisation_for_api_key,
)
from rangkul.partners.services import (
    membership_add,
    organisation_create,
    organisation_set_phone_attestation,
    organisation_user_add,
)
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db


def test_organisation_create_validates_and_audits(regions, administrator) -> None:
    organisation = organisation_create(
        actor=Actor.for_user(administrator),
        code=" Ojol-Smg ",
        name="Ojol Semarang",
        kind=OrganisationKind.PLATFORM,
        region_code="33.74",
    )
    assert organisation.code == "ojol-smg"
    assert AuditEvent.objects.filter(action="partners.organisation_created", subject_id=str(organisation.pk)).exists()
    with pytest.raises(ValidationFailed) as caught:
        organisation_create(
            actor=Actor.for_user(administrator), code="ojol-smg", name="", kind="alien", region_code="99.99"
        )
    assert set(caught.value.fields) == {"code", "name", "kind", "region"}


def test_every_kind_is_available() -> None:
    assert set(OrganisationKind.values) == {
        "community", "association", "cooperative", "platform", "village_government",
        "local_government", "company", "cso", "zakat_donor",
    }  # fmt: skip


def test_attestation_is_recorded(organisation, administrator) -> None:
    organisation = organisation_set_phone_attestation(
        actor=Actor.for_user(administrator), organisation=organisation, attests=True
    )
    assert organisation.attests_phone_verification
    assert organisation.attested_by == administrator and organisation.attested_at is not None
    organisation = organisation_set_phone_attestation(
        actor=Actor.for_user(administrator), organisation=organisation, attests=False
    )
    assert organisation.attested_at is None
    assert AuditEvent.objects.filter(action="partners.phone_attestation_changed").count() == 2


def test_organisation_user_gets_the_partner_admin_role(organisation, roles) -> None:
    user = cast(User, UserFactory(username="new-partner"))
    organisation_user_add(actor=Actor.system("system"), organisation=organisation, user=user)
    assert user.groups.filter(name=Role.PARTNER_ADMIN.value).exists()
    assert user.has_perm("accounts.manage_partner")
    assert Group.objects.get(name=Role.PARTNER_ADMIN.value).user_set.filter(pk=user.pk).exists()


def test_memberships_are_scoped(partner, other_partner, organisation, other_organisation) -> None:
    mine = worker_create()
    theirs = worker_create()
    both = worker_create()
    membership_add(actor=Actor.system("system"), organisation=organisation, worker=mine)
    membership_add(actor=Actor.system("system"), organisation=other_organisation, worker=theirs)
    membership_add(actor=Actor.system("system"), organisation=organisation, worker=both)
    _m, created = membership_add(actor=Actor.system("system"), organisation=other_organisation, worker=both)
    assert created
    assert not membership_add(actor=Actor.system("system"), organisation=organisation, worker=both)[
        1
    ]  # once per organisation
    assert {m.worker for m in membership_list_for_user(user=partner)} == {mine, both}
    assert {m.worker for m in membership_list_for_user(user=other_partner)} == {theirs, both}


def test_import_selectors_raise_not_found_out_of_scope(partner, other_partner, organisation, analyst) -> None:
    job = ImportJob.objects.create(organisation=organisation, original_name="a.csv", file_sha256="0" * 64)
    assert import_job_get_for_user(user=partner, job_id=job.pk) == job
    for user in (other_partner, analyst):
        with pytest.raises(NotFound):
            import_job_get_for_user(user=user, job_id=job.pk)
        assert not import_job_list_for_user(user=user).exists()


def test_api_key_acts_for_its_organisation(organisation, other_organisation) -> None:
    from rangkul.accounts.models import ApiKey

    key = ApiKey(name="k", organisation_code="kopmaju")
    assert organisation_for_api_key(key) == organisation
    assert organisation_for_api_key(ApiKey(name="k2")) is None
    assert organisation_for_api_key(ApiKey(name="k3", organisation_code="KOPMAJU ")) == organisation
    job = ImportJob.objects.create(organisation=other_organisation, original_name="b.csv", file_sha256="1" * 64)
    with pytest.raises(NotFound):
        import_job_get_for_api_key(api_key=key, job_id=job.pk)


def test_create_organisation_command(regions, roles) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from rangkul.partners.models import Organisation

    UserFactory(username="ketua")
    out = StringIO()
    call_command(
        "create_organisation", "Kop-Maju", "Koperasi Maju", "--kind", "cooperative", "--region", "33.74",
        "--user", "ketua", "--attests-phone-verification", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["code"] == "kop-maju"
    organisation = Organisation.objects.get(code="kop-maju")
    assert organisation.attests_phone_verification and organisation.region_id == "33.74"
    assert organisation.users.get().user.username == "ketua"
    with pytest.raises(CommandError):
        call_command("create_organisation", "kop-maju", "Lagi", stdout=StringIO())
