from __future__ import annotations

import json

import pytest
from django.urls import reverse

from rangkul.audit.models import AuditEvent
from rangkul.registry.models import Heir
from rangkul.registry.sessions import SESSION_KEY
from rangkul.registry.tests.factories import worker_create


@pytest.fixture
def worker(regions, occupations):
    return worker_create(phone="+6281311112222")


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def _post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return _post


@pytest.fixture
def logged_in(client, worker, sms, post):
    post(client, reverse("portal:login"), {"phone": "0813 1111 2222"})
    response = client.post(reverse("portal:login_code"), {"code": sms.code_for(worker.phone)})
    assert response["Location"] == reverse("portal:account")
    return client


@pytest.mark.django_db
def test_login_with_code_rotates_the_session(client, worker, sms, post):
    post(client, reverse("portal:login"), {"phone": "081311112222"})
    before = client.session.session_key
    response = client.post(reverse("portal:login_code"), {"code": sms.code_for(worker.phone)})
    assert response["Location"] == reverse("portal:account")
    assert client.session[SESSION_KEY] == worker.pk
    assert client.session.session_key != before


@pytest.mark.django_db
def test_unknown_number_gets_the_same_answer_and_no_text(client, worker, sms, post):
    response = post(client, reverse("portal:login"), {"phone": "081399998888"})
    assert response["Location"] == reverse("portal:login_code")
    assert sms.messages == []
    response = client.post(reverse("portal:login_code"), {"code": "123456"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_wrong_login_code_is_refused(client, worker, sms, post):
    post(client, reverse("portal:login"), {"phone": "081311112222"})
    code = sms.code_for(worker.phone)
    response = client.post(reverse("portal:login_code"), {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_account_pages_need_a_login(client, worker):
    for name in ("portal:account", "portal:heir_create", "portal:phone_change"):
        assert client.get(reverse(name))["Location"] == reverse("portal:login")
    assert client.post(reverse("portal:data_download"))["Location"] == reverse("portal:login")


@pytest.mark.django_db
def test_account_shows_masked_profile(logged_in, worker):
    content = logged_in.get(reverse("portal:account")).content.decode()
    assert worker.membership_number in content
    assert worker.nik_masked in content and worker.nik not in content
    assert "JKK + JKM" in content
    assert worker.phone not in content


@pytest.mark.django_db
def test_heir_add_edit_remove(logged_in, worker):
    response = logged_in.post(
        reverse("portal:heir_create"), {"full_name": "rina   wati", "relationship": "child", "birth_date": "2015-02-03"}
    )
    assert response["Location"] == reverse("portal:account")
    heir = Heir.objects.get(worker=worker)
    assert heir.full_name == "Rina Wati" and heir.relationship == "child"

    response = logged_in.post(
        reverse("portal:heir_edit", kwargs={"heir_id": heir.pk}), {"full_name": "Rina Wati", "relationship": "spouse"}
    )
    assert response["Location"] == reverse("portal:account")
    heir.refresh_from_db()
    assert heir.relationship == "spouse"

    response = logged_in.post(reverse("portal:heir_delete", kwargs={"heir_id": heir.pk}))
    assert response["Location"] == reverse("portal:account")
    assert not Heir.objects.filter(worker=worker).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="registry.heir_").values_list("action", flat=True))
    assert sorted(actions) == ["registry.heir_added", "registry.heir_removed", "registry.heir_updated"]


@pytest.mark.django_db
def test_invalid_heir_shows_errors(logged_in):
    response = logged_in.post(reverse("portal:heir_create"), {"full_name": "", "relationship": "cousin"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "full_name" in errors and "relationship" in errors


@pytest.mark.django_db
def test_cannot_touch_another_workers_heir(logged_in, worker):
    other = worker_create(phone="+6281399990000")
    heir = Heir.objects.create(worker=other, full_name="Orang Lain", relationship="spouse")
    assert logged_in.get(reverse("portal:heir_edit", kwargs={"heir_id": heir.pk})).status_code == 404
    assert logged_in.post(reverse("portal:heir_delete", kwargs={"heir_id": heir.pk})).status_code == 404
    assert Heir.objects.filter(pk=heir.pk).exists()


@pytest.mark.django_db
def test_change_phone_needs_the_code_sent_to_the_new_number(logged_in, worker, sms, post):
    url = reverse("portal:phone_change")
    post(logged_in, url, {"action": "send", "phone": "085712345678"})
    new_code = sms.code_for("+6285712345678")
    old_code = sms.code_for(worker.phone)  # the login code: must not work for the new number
    response = logged_in.post(url, {"action": "verify", "code": old_code if old_code != new_code else "000000"})
    assert response.status_code == 200
    worker.refresh_from_db()
    assert worker.phone == "+6281311112222"

    response = logged_in.post(url, {"action": "verify", "code": new_code})
    assert response["Location"] == reverse("portal:account")
    worker.refresh_from_db()
    assert worker.phone == "+6285712345678" and worker.phone_verified
    assert AuditEvent.objects.filter(action="registry.worker_phone_changed").exists()


@pytest.mark.django_db
def test_download_my_data(logged_in, worker):
    Heir.objects.create(worker=worker, full_name="Rina Wati", relationship="child")
    response = logged_in.post(reverse("portal:data_download"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert worker.membership_number in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["membership_number"] == worker.membership_number
    assert data["nik"] == worker.nik_masked
    assert worker.nik not in response.content.decode()
    assert [h["full_name"] for h in data["heirs"]] == ["Rina Wati"]
    assert AuditEvent.objects.filter(action="registry.worker_data_exported", actor_label__contains="peserta").exists()


@pytest.mark.django_db
def test_download_needs_post(logged_in):
    assert logged_in.get(reverse("portal:data_download")).status_code == 405


@pytest.mark.django_db
def test_logout_forgets_the_worker(logged_in):
    logged_in.post(reverse("portal:logout"))
    assert SESSION_KEY not in logged_in.session
    assert logged_in.get(reverse("portal:account"))["Location"] == reverse("portal:login")


@pytest.mark.django_db
def test_shared_phone_lets_the_verified_holder_choose_the_record(client, worker, sms, post):
    spouse = worker_create(phone=worker.phone)
    post(client, reverse("portal:login"), {"phone": "081311112222"})
    response = client.post(reverse("portal:login_code"), {"code": sms.code_for(worker.phone)})
    assert response["Location"] == reverse("portal:login_choose")
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"]).content.decode()
    assert worker.membership_number in page and spouse.membership_number in page
    # Only the offered records can be chosen.
    stranger = worker_create(phone="+6281399991111")
    client.post(reverse("portal:login_choose"), {"worker": stranger.pk})
    assert SESSION_KEY not in client.session
    response = client.post(reverse("portal:login_choose"), {"worker": spouse.pk})
    assert response["Location"] == reverse("portal:account")
    assert client.session[SESSION_KEY] == spouse.pk
    assert client.get(reverse("portal:login_choose"))["Location"] == reverse("portal:login")


@pytest.mark.django_db
def test_member_changes_address_work_income_and_jht_audited(logged_in, worker):
    page = logged_in.get(reverse("portal:profile_edit"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["village"].value() == worker.village_id
    response = logged_in.post(
        reverse("portal:profile_edit"),
        {
            "province": "33",
            "regency": "33.74",
            "district": "33.74.01",
            "village": "33.74.01.1001",
            "address": "Jl. Baru 5",
            "postal_code": "50133",
            "occupation": "ojek_online",
            "second_occupation": "",
            "declared_income_idr": "Rp2.000.000",
            "jht": "yes",
            "payment_period_months": "3",
        },
    )
    assert response["Location"] == reverse("portal:account")
    worker.refresh_from_db()
    assert worker.address == "Jl. Baru 5" and worker.occupation.code == "ojek_online"
    assert worker.declared_income_idr == 2_000_000 and worker.jht and worker.payment_period_months == 3
    event = AuditEvent.objects.filter(action="registry.worker_updated").latest("occurred_at")
    assert event.actor_label == f"peserta {worker.membership_number}"
    assert event.after["declared_income_idr"] == 2_000_000
    account = logged_in.get(reverse("portal:account")).content.decode()
    assert "Jl. Baru 5" in account and "Rp2.000.000" in account


@pytest.mark.django_db
def test_profile_change_keeps_the_rules_of_registration(logged_in, worker):
    response = logged_in.post(
        reverse("portal:profile_edit"),
        {
            "village": worker.village_id,
            "occupation": "pedagang",
            "declared_income_idr": "900.000",
            "jht": "no",
            "payment_period_months": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["declared_income_idr"]
    worker.refresh_from_db()
    assert worker.declared_income_idr != 900_000
    # Identity is not editable by the member.
    assert "nik" not in response.context["form"].fields and "full_name" not in response.context["form"].fields


@pytest.mark.django_db
def test_my_data_is_readable_as_a_page_beside_the_json(logged_in, worker):
    response = logged_in.post(reverse("portal:data_download"), {"format": "html"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    content = response.content.decode()
    assert worker.membership_number in content and worker.nik_masked in content and worker.nik not in content
    assert "Terdaftar" in content  # the history in words, not action codes
    assert "registry.worker_registered" not in content
    json_response = logged_in.post(reverse("portal:data_download"), {"format": "json"})
    assert json_response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_logged_in_member_sees_their_header_on_public_pages(logged_in):
    for url in ("/", reverse("contributions:simulator"), reverse("help:page"), reverse("regions:browse")):
        content = logged_in.get(url).content.decode()
        assert 'data-testid="nav-account"' in content, url
        assert reverse("portal:login") + '"' not in content.split("</header>")[0], url
