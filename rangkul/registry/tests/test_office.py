from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rangkul.audit.models import AuditEvent
from rangkul.core.crypto import mask_phone, unseal
from rangkul.registry.models import Heir, PossibleDuplicate, Worker
from rangkul.registry.selectors import worker_search
from rangkul.registry.tests.factories import make_nik, worker_create


@pytest.fixture
def semarang(regions):
    return worker_create(full_name="Sri Mulyani")


@pytest.fixture
def jakarta(regions):
    return worker_create(full_name="Sri Jakarta", village_code="31.71.01.1001")


def test_pages_need_login_and_office_access(client, semarang, agent_user):
    url = reverse("registry:search")
    assert client.get(url).status_code == 302
    client.force_login(agent_user)  # an agent has no back-office access
    assert client.get(url).status_code == 403
    assert client.get(reverse("registry:detail", args=[semarang.membership_number])).status_code == 403


def test_branch_officer_sees_only_their_branch_region(client, branch_officer, semarang, jakarta):
    client.force_login(branch_officer)
    page = client.post(reverse("registry:search"), {"q": "sri"}, follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert semarang.membership_number in body and jakarta.membership_number not in body
    assert client.get(reverse("registry:detail", args=[jakarta.membership_number])).status_code == 404
    assert client.get(reverse("registry:edit", args=[jakarta.membership_number])).status_code == 404
    assert client.post(reverse("registry:reveal_nik", args=[jakarta.membership_number])).status_code == 404


def test_administrator_sees_every_region(client, administrator, semarang, jakarta):
    client.force_login(administrator)
    body = client.post(reverse("registry:search"), {"q": "sri"}, follow=True).content.decode()
    assert semarang.membership_number in body and jakarta.membership_number in body


def test_search_by_nik_number_phone_and_region(client, administrator, semarang, jakarta):
    client.force_login(administrator)
    url = reverse("registry:search")

    def found(**params):
        body = client.post(url, params, follow=True).content.decode()
        return {w.membership_number for w in (semarang, jakarta) if w.membership_number in body}

    assert found(q=unseal(semarang.nik_sealed)) == {semarang.membership_number}
    assert found(q=jakarta.membership_number) == {jakarta.membership_number}
    assert found(q="0" + semarang.phone.removeprefix("+62")) == {semarang.membership_number}
    assert found(region="31.71") == {jakarta.membership_number}
    assert found(q="mulyani") == {semarang.membership_number}


def test_search_fragment_for_htmx(client, administrator, semarang):
    client.force_login(administrator)
    response = client.post(reverse("registry:search"), {"q": "sri"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert semarang.membership_number in body and "<html" not in body
    assert "sri" not in response["HX-Push-Url"] and "?s=" in response["HX-Push-Url"]


def test_a_search_by_nik_or_phone_never_puts_the_number_in_a_url(client, administrator, regions):
    """The terms are POSTed; the results page, its pager and the browser history carry a token."""
    for _ in range(30):
        worker_create(full_name="Sri Rahayu")
    target = worker_create(full_name="Sri Rahayu", phone="081299990001")
    nik = unseal(target.nik_sealed)
    client.force_login(administrator)
    url = reverse("registry:search")
    assert f'value="{nik}"' not in client.get(url, {"q": nik}).content.decode()  # a query-string NIK is unused
    for term in (nik, "081299990001"):
        response = client.post(url, {"q": term})
        assert response.status_code == 302
        location = response["Location"]
        assert term not in location and "q=" not in location and "?s=" in location
        page = client.get(location)
        assert target.membership_number in page.content.decode()
    pager = client.post(url, {"q": "rahayu"}, follow=True)
    links = [href.replace("&amp;", "&") for href in re.findall(r'href="(\?[^"]*page=2)"', pager.content.decode())]
    assert links and all("q=" not in link and "rahayu" not in link for link in links)
    second = client.get(url + links[0])
    assert second.status_code == 200 and "Sri Rahayu" in second.content.decode()
    # A token is this session's only: another staff member's session cannot replay it.
    token = pager.redirect_chain[-1][0].split("s=", 1)[1]
    client.logout()
    client.force_login(administrator)
    assert target.membership_number not in client.get(url, {"s": token}).content.decode()


def test_detail_masks_the_nik_and_reveal_is_audited(client, branch_officer, semarang):
    client.force_login(branch_officer)
    nik = unseal(semarang.nik_sealed)
    detail = client.get(reverse("registry:detail", args=[semarang.membership_number])).content.decode()
    assert nik not in detail and semarang.nik_masked in detail
    revealed = client.post(reverse("registry:reveal_nik", args=[semarang.membership_number]))
    assert revealed.status_code == 200 and nik in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    assert AuditEvent.objects.filter(action="registry.worker_nik_revealed", actor=branch_officer).count() == 1
    assert client.get(reverse("registry:reveal_nik", args=[semarang.membership_number])).status_code == 405


def test_reveal_needs_the_permission(client, analyst, semarang):
    client.force_login(analyst)
    assert client.post(reverse("registry:reveal_nik", args=[semarang.membership_number])).status_code == 403


def test_edit_requires_a_reason(client, branch_officer, semarang):
    client.force_login(branch_officer)
    url = reverse("registry:edit", args=[semarang.membership_number])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "full_name": semarang.full_name,
        "birth_date": semarang.birth_date.isoformat(),
        "sex": semarang.sex,
        "phone": semarang.phone,
        "email": "",
        "address": "Jl. Pandanaran 10",
        "postal_code": "50134",
        "occupation": "petani",
        "second_occupation": "",
        "declared_income_idr": "1500000",
        "payment_period_months": "3",
        "province": "33",
        "regency": "33.74",
        "district": "33.74.01",
        "village": "33.74.01.1002",
        "reason": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and not AuditEvent.objects.filter(action="registry.worker_updated").exists()
    saved = client.post(url, {**data, "reason": "Permintaan peserta"})
    assert saved.status_code == 302
    semarang.refresh_from_db()
    assert (semarang.village_id, semarang.occupation.code, semarang.declared_income_idr) == (
        "33.74.01.1002",
        "petani",
        1_500_000,
    )
    event = AuditEvent.objects.get(action="registry.worker_updated")
    assert event.reason == "Permintaan peserta" and "village_code" in event.after


def test_edit_shows_service_errors_on_fields(client, branch_officer, semarang):
    client.force_login(branch_officer)
    url = reverse("registry:edit", args=[semarang.membership_number])
    response = client.post(
        url,
        {
            "full_name": semarang.full_name,
            "birth_date": (semarang.birth_date + dt.timedelta(days=1)).isoformat(),
            "sex": semarang.sex,
            "phone": semarang.phone,
            "occupation": "pedagang",
            "declared_income_idr": "1000000",
            "payment_period_months": "1",
            "village": semarang.village_id,
            "reason": "Salah ketik",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == ["Tanggal lahir tidak sesuai dengan NIK."]


def test_edit_form_shows_every_current_value(client, branch_officer, semarang):
    client.force_login(branch_officer)
    form = client.get(reverse("registry:edit", args=[semarang.membership_number])).context["form"]
    body = form.as_div()
    # A date input shows only an ISO value; every region level is chosen, down to the village.
    assert f'value="{semarang.birth_date.isoformat()}"' in body
    village = semarang.village_id
    for name, code in (
        ("province", village[:2]),
        ("regency", village[:5]),
        ("district", village[:8]),
        ("village", village),
    ):
        assert form[name].value() == code
        assert f'<option value="{code}" selected>' in str(form[name])


def test_edit_reports_form_and_rule_errors_in_one_round(client, branch_officer, semarang):
    client.force_login(branch_officer)
    url = reverse("registry:edit", args=[semarang.membership_number])
    response = client.post(
        url,
        {
            "full_name": semarang.full_name,
            "birth_date": semarang.birth_date.isoformat(),
            "sex": semarang.sex,
            "phone": "12",  # the registry's rule: not a mobile number
            "email": "not-an-email",  # the form's own check
            "occupation": "pedagang",
            "declared_income_idr": "1000000",
            "payment_period_months": "1",
            "village": semarang.village_id,
            "reason": "",  # required by the form
        },
    )
    errors = response.context["form"].errors
    assert {"phone", "email", "reason"} <= set(errors)
    body = response.content.decode()
    summary = body[body.index('data-testid="form-errors"') :]
    summary = summary[: summary.index("</div>")]
    for field in ("id_phone", "id_email", "id_reason"):
        assert f'href="#{field}"' in summary, "the error summary links every field in error"
    assert "autofocus" in body[body.index("error-summary") - 40 : body.index('data-testid="form-errors"')]


def test_merge_shows_the_deciding_facts_and_asks_for_confirmation(client, branch_officer, regions):
    first = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4))
    second = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4), phone=first.phone)
    duplicate = PossibleDuplicate.objects.filter(reason="name_birth_village").get()
    client.force_login(branch_officer)
    url = reverse("registry:merge", args=[duplicate.pk])
    review = client.get(url)
    body = review.content.decode()
    facts = body[body.index('data-testid="merge-facts"') :]
    for worker in (first, second):
        assert worker.nik_masked in facts and worker.nik not in body
        assert mask_phone(worker.phone) in facts and worker.phone not in body
        assert worker.village.name in facts
    assert "4 April 1979" in facts
    assert facts.index(first.membership_number) < facts.index(second.membership_number), "the older record stays"

    unconfirmed = client.post(url, {"note": "KTP sama"})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.context["form"].errors
    second.refresh_from_db()
    assert second.status == "active"

    assert client.post(url, {"note": "KTP sama", "confirm": "on"}).status_code == 302
    second.refresh_from_db()
    assert second.status == "merged" and second.merged_into == first


def registration_post(**overrides):
    birth = dt.date(1988, 8, 8)
    data = {
        "nik": make_nik(birth_date=birth, sex="F", district="33.74.02"),
        "full_name": "wulan  sari",
        "birth_date": birth.isoformat(),
        "sex": "F",
        "phone": "0813 2222 3333",
        "occupation": "penjahit",
        "declared_income_idr": "2000000",
        "jht": "on",
        "payment_period_months": "6",
        "province": "33",
        "regency": "33.74",
        "district": "33.74.02",
        "village": "33.74.02.1001",
        "heir_full_name": "Bima Sakti",
        "heir_relationship": "child",
    }
    data.update(overrides)
    return data


def test_back_office_registration(client, branch_officer):
    client.force_login(branch_officer)
    url = reverse("registry:register")
    assert client.get(url).status_code == 200
    response = client.post(url, registration_post())
    assert response.status_code == 302, response.context["form"].errors
    worker = Worker.objects.get()
    assert response["Location"] == reverse("registry:detail", args=[worker.membership_number])
    assert (worker.full_name, worker.channel, worker.branch, worker.jht) == (
        "Wulan Sari",
        "office",
        branch_officer.branch,
        True,
    )
    assert worker.phone_verified_at is None
    assert list(worker.heirs.values_list("full_name", "relationship")) == [("Bima Sakti", "child")]


def test_back_office_registration_without_js_refreshes_the_picker(client, branch_officer):
    client.force_login(branch_officer)
    data = registration_post(district="", village="", _region_refresh="1")
    response = client.post(reverse("registry:register"), data)
    assert response.status_code == 200 and not Worker.objects.exists()
    assert "Semarang Utara" in response.content.decode()


def test_back_office_registration_shows_duplicate_nik(client, branch_officer, semarang):
    client.force_login(branch_officer)
    nik = unseal(semarang.nik_sealed)
    response = client.post(
        reverse("registry:register"),
        registration_post(nik=nik, birth_date=semarang.birth_date.isoformat(), sex=semarang.sex, district="33.74.01"),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "NIK sudah terdaftar" in body
    assert semarang.membership_number not in body and "Sri Mulyani" not in body


def test_heir_pages(client, branch_officer, semarang):
    client.force_login(branch_officer)
    add = reverse("registry:heir_add", args=[semarang.membership_number])
    assert client.post(add, {"full_name": "Rina", "relationship": "spouse"}).status_code == 302
    heir = Heir.objects.get()
    edit = reverse("registry:heir_edit", args=[semarang.membership_number, heir.pk])
    assert client.post(edit, {"full_name": "Rina Wati", "relationship": "spouse"}).status_code == 302
    heir.refresh_from_db()
    assert heir.full_name == "Rina Wati"
    assert client.post(edit, {"full_name": "X", "relationship": "spouse", "nik": "1"}).status_code == 200
    remove = reverse("registry:heir_remove", args=[semarang.membership_number, heir.pk])
    assert client.post(remove).status_code == 302
    assert not Heir.objects.exists()


def test_duplicates_queue_merge_and_dismiss(client, branch_officer, regions):
    first = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4))
    second = worker_create(full_name="Tono Sugiarto", birth_date=dt.date(1979, 4, 4), phone=first.phone)
    client.force_login(branch_officer)
    page = client.get(reverse("registry:duplicates"))
    assert page.status_code == 200 and second.membership_number in page.content.decode()
    by_reason = {d.reason: d for d in PossibleDuplicate.objects.all()}
    client.post(reverse("registry:dismiss", args=[by_reason["phone"].pk]), {"note": "Keluarga"})
    client.post(
        reverse("registry:merge", args=[by_reason["name_birth_village"].pk]), {"note": "KTP sama", "confirm": "on"}
    )
    second.refresh_from_db()
    assert second.status == "merged" and second.merged_into == first
    assert set(PossibleDuplicate.objects.values_list("status", flat=True)) == {"dismissed", "merged"}


def test_duplicates_of_another_region_are_out_of_reach(client, branch_officer, regions):
    first = worker_create(village_code="31.71.01.1001")
    worker_create(village_code="31.71.01.1001", phone=first.phone)
    duplicate = PossibleDuplicate.objects.get()
    client.force_login(branch_officer)
    assert str(duplicate.worker.membership_number) not in client.get(reverse("registry:duplicates")).content.decode()
    assert client.post(reverse("registry:dismiss", args=[duplicate.pk])).status_code == 404


def test_search_page_queries_do_not_grow_with_results(client, administrator, regions):
    client.force_login(administrator)
    url = reverse("registry:search")
    for _ in range(3):
        worker_create()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        worker_create()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_staff_download_a_persons_data_for_an_access_request(client, branch_officer, analyst, semarang, jakarta):
    client.force_login(branch_officer)
    response = client.post(reverse("registry:export", args=[semarang.membership_number]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response.json()["nik"] == unseal(semarang.nik_sealed)
    assert AuditEvent.objects.filter(action="registry.worker_data_exported", actor=branch_officer).count() == 1
    assert client.post(reverse("registry:export", args=[jakarta.membership_number])).status_code == 404
    client.force_login(analyst)
    assert client.post(reverse("registry:export", args=[semarang.membership_number])).status_code == 403


def test_eleven_digits_search_both_membership_numbers_and_phones(administrator, regions):
    by_phone = worker_create(phone="081234560001")
    other = worker_create()
    assert list(worker_search(user=administrator, q="81234560001")) == [by_phone]
    assert list(worker_search(user=administrator, q=other.membership_number)) == [other]
    assert list(worker_search(user=administrator, q="0812-3456-0001")) == [by_phone]
