from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.audit.actors import Actor
from rangkul.contributions.models import Bill, BillStatus
from rangkul.contributions.payment_codes import member_payment_code, payment_code_format
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import member
from rangkul.core.pdf import page_text
from rangkul.registry.sessions import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(regions):
    return member(registered_on=timezone.localdate())


@pytest.fixture
def member_client(client, worker):
    session = client.session
    session[SESSION_KEY] = worker.pk
    session.save()
    return client


@pytest.mark.parametrize("name", ["my_status", "my_pay", "my_card", "my_card_pdf"])
def test_member_pages_need_a_member_login(client, name):
    response = client.get(reverse(f"contributions:{name}"))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_status_of_a_new_member_and_the_next_amount(member_client):
    response = member_client.get(reverse("contributions:my_status"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="status-label"' in body
    assert response.context["status"].status == "registered"
    assert response.context["next_due"]["quote"].total_idr > 0
    assert 'data-testid="pay-link"' in body


def test_bill_for_three_months_shows_code_and_amount(member_client, worker):
    response = member_client.post(reverse("contributions:my_pay"), {"months": 3})
    assert response.status_code == 302 and response["Location"] == reverse("contributions:my_bill")
    bill = Bill.objects.get(worker=worker, status=BillStatus.OPEN)
    assert len({line.period for line in bill.lines.all()}) == 3
    page = member_client.get(reverse("contributions:my_bill")).content.decode()
    assert payment_code_format(bill.payment_code) in page
    assert f'data-testid="bill-amount">Rp{bill.amount_idr:,}'.replace(",", ".") in page
    # The status page now points to the open code.
    assert 'data-testid="open-bill"' in member_client.get(reverse("contributions:my_status")).content.decode()


def test_invalid_month_count_is_an_error_on_the_form(member_client, worker):
    response = member_client.post(reverse("contributions:my_pay"), {"months": 13})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Bill.objects.filter(worker=worker).exists()


def test_no_open_bill_sends_to_the_pay_page(member_client):
    response = member_client.get(reverse("contributions:my_bill"))
    assert response.status_code == 302 and response["Location"] == reverse("contributions:my_pay")


def test_card_shows_number_and_a_qr_code(member_client, worker):
    payment_allocate(
        actor=Actor.system("test"), worker=worker, amount_idr=50_000, payment_reference="C", channel="sandbox"
    )
    body = member_client.get(reverse("contributions:my_card")).content.decode()
    assert worker.membership_number in body
    assert "<svg" in body
    assert "NIK" not in body
    # The member's standing code (ADR 0047), to pay any month at any channel.
    standing = payment_code_format(member_payment_code(worker.membership_number))
    assert f'data-testid="card-standing-code">{standing}<' in body


def test_status_after_paying_shows_paid_months(member_client, worker):
    payment_allocate(
        actor=Actor.system("test"), worker=worker, amount_idr=50_000, payment_reference="P", channel="sandbox"
    )
    response = member_client.get(reverse("contributions:my_status"))
    assert response.context["status"].status == "active"
    assert any(m["paid"] for m in response.context["months"])
    assert 'data-testid="paid-through"' in response.content.decode()


def test_card_pdf_is_the_members_card_without_the_nik(member_client, worker):
    worker.jht = True
    worker.save(update_fields=["jht"])
    card_page = member_client.get(reverse("contributions:my_card")).content.decode()
    assert reverse("contributions:my_card_pdf") in card_page

    response = member_client.get(reverse("contributions:my_card_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="kartu-{worker.membership_number}.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = page_text(response.content)
    number = worker.membership_number
    assert f"{number[:4]} {number[4:8]} {number[8:]}" in text  # grouped for reading
    assert number in text  # and plain under the QR code
    assert worker.full_name in text
    assert "JKK + JKM + JHT" in text
    assert "Nomor kepesertaan" in text and "Pekerjaan" in text
    assert worker.occupation.name in text
    assert worker.village.district.regency.name in text
    assert worker.nik not in text and worker.nik.encode() not in response.content
    assert worker.phone not in text


def test_card_pdf_is_for_the_logged_in_member_only(client, worker):
    other = member(registered_on=timezone.localdate())
    session = client.session
    session[SESSION_KEY] = other.pk
    session.save()
    text = page_text(client.get(reverse("contributions:my_card_pdf")).content)
    assert other.membership_number in text
    assert worker.membership_number not in text and worker.full_name not in text
