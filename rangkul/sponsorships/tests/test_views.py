from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.contributions.group_bills import group_bill_pay
from rangkul.contributions.models import BillStatus
from rangkul.contributions.tests.factories import member
from rangkul.core.periods import Period
from rangkul.partners.models import OrganisationUser
from rangkul.sponsorships.models import Sponsorship, SponsorshipBill
from rangkul.sponsorships.services import sponsorship_bill_issue, sponsorship_enrol
from rangkul.sponsorships.tests.factories import sponsor, sponsorship

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(roles):
    org = sponsor()
    user = UserFactory(username="sponsor_officer")
    user.groups.add(Group.objects.get(name=Role.SPONSOR_OFFICER.value))
    OrganisationUser.objects.create(organisation=org, user=user)
    return user


def _this_month() -> str:
    return str(Period.of(timezone.localdate()))


def test_an_officer_creates_a_sponsorship_enrols_members_and_issues_the_bill(client, regions, officer):
    client.force_login(officer)
    org = officer.partner_link.organisation
    page = client.post(
        "/sponsor/baru/",
        {
            "code": "apbd-smg",
            "name": "Pekerja rentan Semarang",
            "payer_kind": "regional_budget",
            "start_month": _this_month(),
            "months": 2,
            "budget_idr": 100_000,
        },
    )
    assert page.status_code == 302 and page.url == "/sponsor/APBD-SMG/"
    worker = member(organisation_code=org.code, registered_on=timezone.localdate())
    enrol_page = client.get("/sponsor/APBD-SMG/anggota/")
    assert worker.membership_number in enrol_page.content.decode()
    assert client.post("/sponsor/APBD-SMG/anggota/", {"workers": [str(worker.pk)]}).status_code == 302
    billed = client.post("/sponsor/APBD-SMG/tagihan/", {"month": _this_month()}, follow=True)
    record = SponsorshipBill.objects.get()
    html = billed.content.decode()
    assert record.bill.payment_code in html and record.bill.status == BillStatus.OPEN
    assert worker.nik_masked in html and worker.nik not in html
    assert Sponsorship.objects.get().committed_idr == 2 * 16_800
    assert client.post("/sponsor/APBD-SMG/akhiri/").status_code == 302
    assert Sponsorship.objects.get().status == "ended"


def test_bad_input_is_shown_on_the_form_not_a_server_error(client, regions, officer):
    client.force_login(officer)
    page = client.post(
        "/sponsor/baru/",
        {
            "code": "x",
            "name": "A",
            "payer_kind": "regional_budget",
            "start_month": "2026-13",
            "months": 1,
            "budget_idr": 1,
        },
    )
    assert page.status_code == 200
    assert page.context["form"].errors.keys() == {"code", "start_month"}
    sponsorship(officer.partner_link.organisation, code="EMPTY", start_month=_this_month())
    empty = client.post("/sponsor/EMPTY/tagihan/", {"month": _this_month()})
    assert empty.status_code == 422 and empty.context["bill_form"].non_field_errors()


def test_an_officer_sees_only_their_organisations_sponsorships(client, regions, officer):
    sponsorship(sponsor("baznas"), code="ZAKAT-1")
    client.force_login(officer)
    assert "ZAKAT-1" not in client.get("/sponsor/").content.decode()
    assert client.get("/sponsor/ZAKAT-1/").status_code == 404
    partner = UserFactory(username="partner")
    partner.groups.add(Group.objects.get(name=Role.PARTNER_ADMIN.value))
    client.force_login(partner)
    assert client.get("/sponsor/").status_code == 403


def test_the_statement_lists_each_member_month_committed_billed_paid_and_covered(client, regions, officer):
    org = officer.partner_link.organisation
    s = sponsorship(org, start_month=_this_month(), months=2)
    worker = member(organisation_code=org.code, registered_on=timezone.localdate(), full_name="=HYPERLINK Budi")
    sponsorship_enrol(actor=Actor.system("test"), sponsorship=s, workers=[worker])
    record = sponsorship_bill_issue(actor=Actor.system("test"), sponsorship=s, period=s.start_month)
    group_bill_pay(
        actor=Actor.system("test"),
        bill=record.bill,
        amount_idr=record.amount_idr,
        payment_reference="P1",
        channel="sandbox",
    )
    client.force_login(officer)
    response = client.get(f"/sponsor/{s.code}/laporan.csv")
    assert response.status_code == 200
    rows = [line.split(";") for line in b"".join(response.streaming_content).decode("utf-8-sig").splitlines()]
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[0] == worker.membership_number and first[1].startswith("'=")  # no formula in a spreadsheet
    assert first[2:] == [str(s.start_month), "16800", record.bill.payment_code, "16800", "16800", first[7]]
    assert second[2:7] == [str(s.start_month + 1), "16800", "", "0", "0"]
    assert first[7] != second[7]  # covered the paid month, not the next
