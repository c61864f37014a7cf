"""An import attaches only people who match, and shows a partner nothing of them before they agree."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rangkul.audit.models import AuditEvent
from rangkul.messaging.backends import locmem
from rangkul.partners.consent import NOT_THE_SAME_PERSON
from rangkul.partners.models import Membership
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.partners.tests.test_import import SAME_PERSON, msg, outcomes, run, single
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(settings):
    settings.SMS_BACKEND = "rangkul.messaging.backends.locmem.SmsBackend"
    locmem.clear()
    return locmem.outbox


@pytest.mark.parametrize(
    "overrides",
    [
        {"Nama Lengkap": "Orang Lain"},  # the right NIK, another name
        {"Nama Lengkap": "Sudah Terdaftar", "NIK": "3374011708900099", "Tanggal Lahir": "17/08/1990x"},
    ],
)
def test_a_nik_alone_attaches_nobody(tmp_path, organisation, registered, overrides) -> None:
    job = run(write_csv(tmp_path / "a.csv", [good_row(99, **{"Nomor HP": "081299999999", **overrides})]), organisation)
    assert job.summary()["duplicates"] == 0
    assert job.rejected == 1
    assert not Membership.objects.filter(organisation=organisation).exists()
    if "Orang Lain" in str(overrides):
        assert single(job) == ("rejected", "NIK", msg(str(NOT_THE_SAME_PERSON)))
        assert "Sudah Terdaftar" not in single(job)[2]  # nothing about the registered record is told


def test_a_matching_person_is_linked_pending_and_told(
    tmp_path, organisation, registered, sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = run(
            write_csv(tmp_path / "a.csv", [good_row(99, **{**SAME_PERSON, "Nama Lengkap": "sudah  TERDAFTAR"})]),
            organisation,
        )
    assert job.duplicates == 1
    membership = Membership.objects.get(organisation=organisation)
    assert membership.consent == "pending"
    assert membership.supplied_name == "sudah  TERDAFTAR"
    [message] = [m for m in sent if m.to == registered.phone]
    assert "Koperasi Maju" in message.body
    assert "3374011708900099" not in message.body


def test_running_again_does_not_text_the_member_twice(
    tmp_path, organisation, registered, sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run(write_csv(tmp_path / "a.csv", [good_row(99, **SAME_PERSON)]), organisation)
        run(write_csv(tmp_path / "b.csv", [good_row(99, **SAME_PERSON), good_row(1)]), organisation)
    assert len([m for m in sent if m.to == registered.phone]) == 1


def test_members_the_partner_registered_itself_need_no_consent(tmp_path, organisation) -> None:
    run(write_csv(tmp_path / "a.csv", [good_row(1)]), organisation)
    Membership.objects.all().delete()
    job = run(write_csv(tmp_path / "b.csv", [good_row(1), good_row(2)]), organisation)
    assert outcomes(job)[2][0][0] == "duplicate"
    assert set(Membership.objects.filter(organisation=organisation).values_list("consent", flat=True)) == {"given"}


def test_the_partner_sees_only_what_it_supplied_until_the_member_agrees(
    client, partner, administrator, tmp_path, organisation, registered
) -> None:
    run(
        write_csv(tmp_path / "a.csv", [good_row(99, **{**SAME_PERSON, "Nama Lengkap": "sudah terdaftar"})]),
        organisation,
    )
    client.force_login(partner)
    page = client.get(reverse("partners:members")).content.decode()
    assert 'data-testid="member-pending"' in page
    assert "sudah terdaftar" in page
    assert registered.membership_number not in page
    assert "Sudah Terdaftar" not in page
    by_number = client.post(
        reverse("partners:members"), {"q": registered.membership_number}, follow=True
    ).content.decode()
    assert "sudah terdaftar" not in by_number
    by_status = client.get(reverse("partners:members"), {"status": registered.status}).content.decode()
    assert "sudah terdaftar" not in by_status

    # The member confirms at the branch; back office records it.
    membership = Membership.objects.get(organisation=organisation)
    client.force_login(administrator)
    detail = reverse("partners:organisation_detail", args=[organisation.code])
    assert registered.membership_number in client.get(detail).content.decode()
    assert client.post(detail, {"consent": membership.pk}).status_code == 302
    membership.refresh_from_db()
    assert membership.consent == "given" and membership.consent_at is not None
    assert AuditEvent.objects.filter(action="partners.member_consent_recorded").exists()

    client.force_login(partner)
    page = client.get(reverse("partners:members")).content.decode()
    assert registered.membership_number in page
    assert 'data-testid="member-pending"' not in page
    assert Worker.objects.count() == 1
