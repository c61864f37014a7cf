"""A partner admin uploads a messy file, watches the progress bar finish, downloads the error report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.partners.models import ImportJob, ImportStatus
from rangkul.partners.services import import_job_run, organisation_user_add
from rangkul.partners.tests.conftest import good_row, write_csv
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.registry.models import Occupation
from tests.browser.conftest import PHONE_VIEWPORT, _context, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued_tasks(settings, tmp_path):
    # Tasks wait in a queue instead of running inside the upload request, so the page
    # shows the import queued and then running, as in production with a task worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def partner_user(transactional_db, regions, roles):
    # A transactional test flushes the seeded occupation catalogue: put back the row the file uses.
    Occupation.objects.get_or_create(code="pedagang", defaults={"name": "Pedagang", "sector": "non_transport"})
    organisation = OrganisationFactory(code="kopmaju", name="Koperasi Maju")
    user = UserFactory(username="mitra", password=PASSWORD)
    user.groups.add(*Group.objects.filter(name=Role.PARTNER_ADMIN.value))
    organisation_user_add(actor=Actor.system("system"), organisation=organisation, user=user)
    return user


def test_partner_uploads_watches_progress_and_downloads_the_report(
    live_server, page: Page, partner_user, queued_tasks, tmp_path: Path
) -> None:
    rows = [good_row(n) for n in range(1, 9)]
    rows.append(good_row(20, NIK="3.37401E+15"))  # row 10: NIK turned into a number
    rows.append(good_row(21, **{"Kode Desa": "99.99.99.9999"}))  # row 11: unknown village
    rows.append(good_row(1))  # row 12: the same person as row 2
    path = write_csv(tmp_path / "anggota.csv", rows, delimiter=";")

    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill("mitra")
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/mitra/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Koperasi Maju")

    page.goto(live_server.url + "/mitra/impor/unggah/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()
    expect(page).to_have_url(re.compile(r"/mitra/impor/\d+/$"))
    expect(page.get_by_test_id("import-percent")).to_have_text("0%")

    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk, batch_size=3)  # what the task worker does
    assert ImportJob.objects.get().status == ImportStatus.COMPLETED

    # htmx polling brings the finished state without a reload.
    expect(page.get_by_test_id("import-percent")).to_have_text("100%", timeout=10_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(page.get_by_test_id("import-imported")).to_have_text("8")
    expect(page.get_by_test_id("import-rejected")).to_have_text("2")
    expect(page.get_by_test_id("import-duplicates")).to_have_text("1")

    with page.expect_download() as download_info:
        page.get_by_test_id("report-csv").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 4
    assert [line.split(";")[0] for line in report[1:]] == ["10", "11", "12"]
    assert "3.37401E+15" not in "".join(report)  # the NIK column is masked even when malformed
    assert "Kode Desa" in report[2]


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(browser: Browser, request: pytest.FixtureRequest):
    """A cheap phone's screen, with JavaScript on and off: the upload and its report are plain forms and links."""
    options = {"locale": "id-ID", "viewport": PHONE_VIEWPORT, "has_touch": True, "is_mobile": True}
    for context in _context(browser, request, java_script_enabled=request.param, **options):
        yield context.new_page()


def test_partner_uploads_a_clerks_workbook_on_a_phone(
    live_server, phone: Page, partner_user, queued_tasks, tmp_path: Path
) -> None:
    """Title rows, a first sheet of instructions, hints in the headers, village names, a signature footer."""
    from rangkul.partners.models import Organisation
    from rangkul.partners.tests.test_import_layouts import clerk_row, clerk_workbook

    Organisation.objects.filter(code="kopmaju").update(region_id="33.74")
    for code, name in (("petani", "Petani"), ("nelayan", "Nelayan")):
        Occupation.objects.get_or_create(code=code, defaults={"name": name, "sector": "non_transport"})
    rows = [clerk_row(1), clerk_row(2, **{"Pekerjaan": "Nelayan", "Penghasilan (Rp)": "Rp1.500.000,-"})]
    rows.append(clerk_row(3, **{"Kelurahan/Desa": "Atlantis"}))
    path = clerk_workbook(tmp_path / "daftar-anggota.xlsx", rows, first_sheet="Petunjuk")

    page = phone
    page.goto(live_server.url + "/akun/masuk/")
    page.get_by_label("Nama pengguna").fill("mitra")
    page.get_by_label("Sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + "/mitra/impor/unggah/")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()
    expect(page).to_have_url(re.compile(r"/mitra/impor/\d+/$"))

    import_job_run(job_id=ImportJob.objects.get().pk)
    page.reload()
    expect(page.get_by_test_id("import-imported")).to_have_text("2")
    expect(page.get_by_test_id("import-rejected")).to_have_text("1")
    expect(page.get_by_test_id("import-sheet")).to_contain_text("Data Anggota")
    expect(page.get_by_test_id("import-sheet")).to_contain_text("4")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_test_id("report-csv").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 2 and report[1].startswith("7;")  # the footer rows are not members
    assert "Atlantis" in report[1]
