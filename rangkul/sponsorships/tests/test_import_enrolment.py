from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.core.periods import Period
from rangkul.partners.models import ImportJob, OrganisationUser
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.registry.models import Occupation
from rangkul.sponsorships.models import SponsorshipMember
from rangkul.sponsorships.tests.factories import sponsor, sponsorship

pytestmark = pytest.mark.django_db


def test_a_file_imported_for_a_sponsorship_is_enrolled_in_row_order(regions, tmp_path):
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    org = sponsor("pemkot-smg")
    s = sponsorship(org, start_month=str(Period.of(timezone.localdate())))
    rows = [good_row(n) for n in (3, 1, 2)] + [good_row(9, NIK="bad")]
    path = write_csv(tmp_path / "warga.csv", rows)
    out = io.StringIO()
    call_command(
        "import_workers", str(path), "--partner", org.code, "--sponsorship", s.code, stdout=out, stderr=io.StringIO()
    )
    job = ImportJob.objects.get()
    assert job.sponsorship_code == s.code
    # Registered and enrolled in one pass: the import's summary, then the enrolment's.
    summary = json.loads(out.getvalue())
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (4, 3, 1)
    assert (summary["enrolled"], summary["not_enrolled"]) == (3, 0) and summary["committed_idr"] > 0
    s.refresh_from_db()
    assert s.committed_idr == summary["committed_idr"]
    enrolled = list(SponsorshipMember.objects.filter(sponsorship=s).values_list("worker__phone", flat=True))
    assert [phone[-2:] for phone in enrolled] == ["03", "01", "02"]  # the file's order

    # Running it again enrols nobody twice.
    again = io.StringIO()
    call_command("enrol_import", str(job.pk), "--sponsorship", s.code, stdout=again, stderr=io.StringIO())
    assert json.loads(again.getvalue())["added"] == 0


def test_another_organisations_import_is_not_found(regions, tmp_path):
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    other = sponsor("kopmaju")
    s = sponsorship(sponsor("pemkot-smg"), start_month=str(Period.of(timezone.localdate())))
    path = write_csv(tmp_path / "warga.csv", [good_row(1)])
    call_command("import_workers", str(path), "--partner", other.code, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("enrol_import", str(ImportJob.objects.get().pk), "--sponsorship", s.code, stdout=io.StringIO())


def test_an_officer_enrols_the_members_of_an_imported_file_from_the_page(client, regions, roles, tmp_path):
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    org = sponsor("pemkot-smg")
    s = sponsorship(org, start_month=str(Period.of(timezone.localdate())))
    user = UserFactory(username="sponsor_officer")
    user.groups.add(Group.objects.get(name=Role.SPONSOR_OFFICER.value))
    OrganisationUser.objects.create(organisation=org, user=user)
    call_command(
        "import_workers",
        str(write_csv(tmp_path / "w.csv", [good_row(1), good_row(2)])),
        "--partner",
        org.code,
        stdout=io.StringIO(),
    )
    job = ImportJob.objects.get()
    client.force_login(user)
    assert "w.csv" in client.get(f"/sponsor/{s.code}/anggota/").content.decode()
    response = client.post(f"/sponsor/{s.code}/anggota/", {"import-job": str(job.pk)})
    assert response.status_code == 302
    assert SponsorshipMember.objects.filter(sponsorship=s).count() == 2


def test_import_refuses_an_unknown_or_another_organisations_sponsorship_before_importing(regions, tmp_path):
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    other = sponsor("kopmaju")
    s = sponsorship(sponsor("pemkot-smg"), start_month=str(Period.of(timezone.localdate())))
    path = write_csv(tmp_path / "warga.csv", [good_row(1)])
    for code, partner in (("NOPE", "pemkot-smg"), (s.code, other.code)):
        with pytest.raises(CommandError):
            call_command("import_workers", str(path), "--partner", partner, "--sponsorship", code, stdout=io.StringIO())
    assert not ImportJob.objects.exists()


def test_members_over_the_budget_are_imported_but_not_enrolled(regions, tmp_path):
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    org = sponsor("pemkot-smg")
    # Room for one member's month at the regional budget's price (Rp21,800 on the file's income), not two.
    s = sponsorship(org, start_month=str(Period.of(timezone.localdate())), months=1, budget_idr=30_000)
    path = write_csv(tmp_path / "warga.csv", [good_row(1), good_row(2)])
    out, err = io.StringIO(), io.StringIO()
    call_command("import_workers", str(path), "--sponsorship", s.code, stdout=out, stderr=err)
    summary = json.loads(out.getvalue())
    assert (summary["imported"], summary["enrolled"], summary["not_enrolled"]) == (2, 1, 1), err.getvalue()
    assert "budget_exceeded" in err.getvalue(), err.getvalue()
    assert SponsorshipMember.objects.filter(sponsorship=s).count() == 1
