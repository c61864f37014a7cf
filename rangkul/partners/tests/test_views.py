"""Partner pages and the imports API: scope, upload without JavaScript, progress, cancel, reports."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files import File
from django.urls import reverse

from conftest import PASSWORD
from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.partners.models import ImportJob, ImportStatus, Membership
from rangkul.partners.services import import_job_create, import_job_run
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


def _import(path: Path, organisation) -> ImportJob:
    with path.open("rb") as handle:
        job, _ = import_job_create(
            actor=Actor.system("t"), organisation=organisation, upload=File(handle, name=path.name), name=path.name
        )
    return import_job_run(job_id=job.pk)


@pytest.fixture
def two_imports(tmp_path, organisation, other_organisation) -> tuple[ImportJob, ImportJob]:
    mine = _import(write_csv(tmp_path / "mine.csv", [good_row(1), good_row(2, NIK="3.37401E+15")]), organisation)
    theirs = _import(
        write_csv(tmp_path / "theirs.csv", [good_row(3, **{"Nama Lengkap": "Orang Lain"})]), other_organisation
    )
    return mine, theirs


def test_pages_need_a_partner_login(client, analyst) -> None:
    response = client.get(reverse("partners:members"))
    assert response.status_code == 302
    client.force_login(analyst)
    assert client.get(reverse("partners:members")).status_code == 403


def test_partner_admin_without_an_organisation_is_refused(client, partner_admin) -> None:
    client.force_login(partner_admin)
    assert client.get(reverse("partners:home")).status_code == 403


def test_login_sends_a_partner_to_the_partner_pages(client, partner) -> None:
    response = client.post(reverse("accounts:login"), {"username": partner.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("partners:home")
    assert "Koperasi Maju" in response.content.decode()


def test_a_partner_sees_only_its_own_members_and_imports(client, partner, two_imports) -> None:
    mine, theirs = two_imports
    client.force_login(partner)
    page = client.get(reverse("partners:members")).content.decode()
    assert "Budi Santoso" in page
    assert "Orang Lain" not in page
    assert "3374011708900001" not in page  # NIK masked
    assert "3374 •••• •••• ••••" in page
    assert "Registered, nothing paid yet" in page or "Terdaftar" in page  # contribution status
    imports = client.get(reverse("partners:imports")).content.decode()
    assert "mine.csv" in imports
    assert "theirs.csv" not in imports
    for name in ("partners:import_detail", "partners:import_report_csv", "partners:import_report_xlsx"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[mine.pk])).status_code == 200
    assert client.post(reverse("partners:import_cancel", args=[theirs.pk])).status_code == 404


def test_member_search_and_status(client, partner, two_imports) -> None:
    client.force_login(partner)
    url = reverse("partners:members")
    found = client.post(url, {"q": "budi"}, follow=True).content.decode()
    assert "Budi Santoso" in found
    assert "Budi Santoso" not in client.post(url, {"q": "siti"}, follow=True).content.decode()
    # A search by NIK is POSTed and lands on a page whose address carries a token, not the number.
    by_nik = client.post(url, {"q": "3374 0117 0890 0001"})
    assert by_nik.status_code == 302 and "3374" not in by_nik["Location"] and "q=" not in by_nik["Location"]
    assert "Budi Santoso" in client.get(by_nik["Location"]).content.decode()
    merged = client.get(url, {"status": "merged"}).content.decode()
    assert "Budi Santoso" not in merged
    fragment = client.post(url, {"q": "budi"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "Budi Santoso" in fragment.content.decode()
    assert "budi" not in fragment["HX-Push-Url"]


def test_back_office_sees_every_organisation(client, administrator, two_imports) -> None:
    client.force_login(administrator)
    imports = client.get(reverse("partners:imports")).content.decode()
    assert "mine.csv" in imports and "theirs.csv" in imports
    members = client.get(reverse("partners:members")).content.decode()
    assert "Orang Lain" in members and "Budi Santoso" in members


def test_upload_without_javascript_runs_the_import(
    client, partner, tmp_path, settings, django_capture_on_commit_callbacks
) -> None:
    client.force_login(partner)
    form = client.get(reverse("partners:upload")).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert "skip_phone_verification" not in form  # the organisation does not attest
    assert 'name="organisation"' not in form  # a partner imports for itself
    path = write_csv(tmp_path / "a.csv", [good_row(1), good_row(2, **{"Kode Desa": "99.99.99.9999"})])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        response = client.post(reverse("partners:upload"), {"file": handle})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:import_detail", args=[job.pk])
    assert job.status == ImportStatus.COMPLETED
    assert job.summary() == {"rows": 2, "imported": 1, "rejected": 1, "duplicates": 0}
    assert job.created_by == partner
    assert not job.file  # completed: the members' file left the disk
    assert not any(path.is_file() for path in (Path(settings.MEDIA_ROOT) / "imports").rglob("*"))

    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page
    assert "hx-trigger" not in page  # finished: no more polling
    assert reverse("partners:import_report_csv", args=[job.pk]) in page


def test_upload_refuses_other_files(client, partner) -> None:
    client.force_login(partner)
    upload = io.BytesIO(b"hello")
    upload.name = "photo.jpg"
    response = client.post(reverse("partners:upload"), {"file": upload})
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0


def test_back_office_uploads_for_any_organisation(
    client, administrator, other_organisation, tmp_path, django_capture_on_commit_callbacks
) -> None:
    client.force_login(administrator)
    assert 'name="organisation"' in client.get(reverse("partners:upload")).content.decode()
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        client.post(reverse("partners:upload"), {"file": handle, "organisation": other_organisation.pk})
    job = ImportJob.objects.get()
    assert job.organisation == other_organisation
    assert Membership.objects.filter(organisation=other_organisation).count() == 1


def test_progress_is_polled_while_running_and_can_be_cancelled(client, partner, organisation, tmp_path) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 5)])
    with path.open("rb") as handle:
        job, _ = import_job_create(
            actor=Actor.system("t"), organisation=organisation, upload=File(handle, name="a.csv"), name="a.csv"
        )
    client.force_login(partner)
    url = reverse("partners:import_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'data-testid="refresh"' in page  # the no-JS way to see progress
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    response = client.post(reverse("partners:import_cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert import_job_run(job_id=job.pk).processed == 0
    assert not Worker.objects.exists()


def test_report_downloads(client, partner, two_imports) -> None:
    mine, _theirs = two_imports
    client.force_login(partner)
    response = client.get(reverse("partners:import_report_csv", args=[mine.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("3;")
    assert "NIK" in lines[1]
    assert response["Content-Disposition"].startswith("attachment")

    response = client.get(reverse("partners:import_report_xlsx", args=[mine.pk]))
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == 3 and rows[1][2] == "NIK"


def test_templates_download_without_login(client) -> None:
    response = client.get(reverse("partners:template_csv"))
    assert response.content.startswith(b"\xef\xbb\xbfNIK;Nama Lengkap;Tanggal Lahir")
    response = client.get(reverse("partners:template_xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "NIK"
    assert sheet["A2"].value == "3374015708900001"
    assert sheet["A2"].number_format == "@"


# ---------------------------------------------------------------- API


def test_api_upload_with_an_organisation_key(
    client, organisation, tmp_path, django_capture_on_commit_callbacks
) -> None:
    key = api_key_create(actor=Actor.system("system"), name="kopmaju-app", organisation_code="kopmaju")
    path = write_csv(tmp_path / "a.csv", [good_row(1), good_row(1)])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        response = client.post("/api/v1/imports", {"file": handle}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 202, response.content
    body = response.json()
    job = ImportJob.objects.get()
    assert body["id"] == job.pk
    assert body["status_url"].endswith(f"/api/v1/imports/{job.pk}")
    status = client.get(f"/api/v1/imports/{job.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert status["status"] == "completed"
    assert (status["imported"], status["duplicates"], status["percent"]) == (1, 1, 100)
    assert job.created_by_label == "api_key:kopmaju-app"
    assert Worker.objects.get().registered_by_organisation == "kopmaju"


def test_api_scope(client, two_imports, tmp_path) -> None:
    mine, theirs = two_imports
    key = api_key_create(actor=Actor.system("system"), name="kopmaju-app", organisation_code="kopmaju")
    assert client.get(f"/api/v1/imports/{mine.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    response = client.get(f"/api/v1/imports/{theirs.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

    plain = api_key_create(actor=Actor.system("system"), name="integration")
    path = write_csv(tmp_path / "a.csv", [good_row(9)])
    with path.open("rb") as handle:
        response = client.post("/api/v1/imports", {"file": handle}, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get(f"/api/v1/imports/{mine.pk}").status_code == 401


def test_api_session_of_a_partner_is_scoped(client, partner, two_imports) -> None:
    mine, theirs = two_imports
    client.force_login(partner)
    assert client.get(f"/api/v1/imports/{mine.pk}").status_code == 200
    assert client.get(f"/api/v1/imports/{theirs.pk}").status_code == 404


def test_openapi_documents_the_imports_endpoints(client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/imports" in schema["paths"]
    assert "/api/v1/imports/{job_id}" in schema["paths"]
    post = schema["paths"]["/api/v1/imports"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "202" in post["responses"]


def test_back_office_manages_organisations(client, administrator, regions, branch) -> None:
    from rangkul.accounts.tests.factories import UserFactory
    from rangkul.partners.models import Organisation

    client.force_login(administrator)
    url = reverse("partners:organisations")
    response = client.post(
        url,
        {"code": "desa-maju", "name": "Pemerintah Desa Maju", "kind": "village_government", "region_code": "33.74",
         "branch": branch.pk},
    )  # fmt: skip
    assert response.status_code == 302
    organisation = Organisation.objects.get(code="desa-maju")
    assert organisation.branch == branch
    again = client.post(url, {"code": "desa-maju", "name": "X", "kind": "community", "region_code": "99.99"})
    assert again.status_code == 200 and Organisation.objects.count() == 1

    detail = reverse("partners:organisation_detail", args=["desa-maju"])
    UserFactory(username="kades")
    assert client.post(detail, {"add_user": "1", "username": "nobody"}).status_code == 200
    assert client.post(detail, {"add_user": "1", "username": "kades"}).status_code == 302
    assert organisation.users.get().user.username == "kades"
    client.post(detail, {"attestation": "1", "attests": "on"})
    organisation.refresh_from_db()
    assert organisation.attests_phone_verification and organisation.attested_by == administrator
    assert "Attested" in client.get(detail).content.decode() or "Dinyatakan" in client.get(detail).content.decode()


def test_partners_cannot_manage_organisations(client, partner) -> None:
    client.force_login(partner)
    assert client.get(reverse("partners:organisations")).status_code == 403
    assert client.get(reverse("partners:organisation_detail", args=["kopmaju"])).status_code == 403
