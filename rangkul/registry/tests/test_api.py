from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.core.crypto import unseal
from rangkul.registry.membership import membership_number_is_valid
from rangkul.registry.models import PossibleDuplicate, Worker
from rangkul.registry.services import duplicate_merge
from rangkul.registry.tests.factories import make_nik, worker_create

URL = "/api/v1/workers"


def body(**overrides):
    values = {
        "nik": make_nik(),
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-17",
        "sex": "M",
        "phone": "081234567890",
        "village_code": "33.74.01.1001",
        "occupation": "ojek_online",
        "declared_income_idr": 1000000,
        "jht": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def partner_key(db):
    return api_key_create(actor=Actor.system("system"), name="Koperasi Maju", organisation_code="KOP-MAJU")


@pytest.fixture
def other_key(db):
    return api_key_create(actor=Actor.system("system"), name="Platform Lain", organisation_code="PLAT-LAIN")


def post(client, data, key=None, raw=None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(
        URL, data=raw if raw is not None else json.dumps(data), content_type="application/json", headers=headers
    )


def test_occupations_are_public(client, db):
    response = client.get("/api/v1/occupations")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["ojek_online"] == {"code": "ojek_online", "name": "Ojek online", "sector": "transport"}
    assert rows["petani"]["sector"] == "non_transport"


def test_partner_registers_a_worker(client, regions, partner_key):
    data = body(heirs=[{"full_name": "siti aminah", "relationship": "spouse"}])
    response = post(client, data, partner_key)
    assert response.status_code == 201, response.json()
    out = response.json()
    assert membership_number_is_valid(out["membership_number"])
    assert out["nik"] == data["nik"][:4] + " •••• •••• ••••"
    assert data["nik"] not in response.content.decode()
    assert out["programs"] == ["JKK", "JKM", "JHT"] and out["sector"] == "transport"
    assert out["phone_verified"] is False and out["channel"] == "api"
    assert out["heirs"] == [{"full_name": "Siti Aminah", "relationship": "spouse", "birth_date": None, "nik": ""}]
    worker = Worker.objects.get()
    assert worker.registered_by_organisation == "kop-maju" and worker.phone_verified_at is None


def test_invalid_fields_give_422_per_field(client, regions, partner_key):
    response = post(
        client,
        body(nik="3374011805900001", sex="F", declared_income_idr=500000, phone="021555", occupation="x"),
        partner_key,
    )
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "validation_failed"
    assert set(payload["fields"]) == {"birth_date", "sex", "declared_income_idr", "phone", "occupation"}
    assert payload["fields"]["birth_date"] == ["Tanggal lahir tidak sesuai dengan NIK."]


def test_schema_errors_give_422_and_missing_fields_are_named(client, regions, partner_key):
    data = body(birth_date="17-05-1990", jht="maybe", unexpected=1)
    del data["phone"]
    response = post(client, data, partner_key)
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"birth_date", "jht", "phone", "unexpected"}


def test_malformed_json_is_400(client, regions, partner_key):
    response = post(client, None, partner_key, raw="{not json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}


def test_no_key_is_401(client, regions):
    response = post(client, body())
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}
    assert client.get(f"{URL}/12345678903").status_code == 401


def test_duplicate_nik_is_409_without_revealing_the_member(client, regions, partner_key):
    first = worker_create(full_name="Agus Salim")
    response = post(client, body(nik=unseal(first.nik_sealed), full_name="Orang Lain"), partner_key)
    assert response.status_code == 409
    payload = response.json()
    assert payload["code"] == "nik_registered"
    assert set(payload) == {"code", "message", "fields"}
    text = response.content.decode()
    assert first.membership_number not in text and "Agus" not in text and unseal(first.nik_sealed) not in text


def test_staff_session_needs_the_register_permission(client, regions, analyst, branch_officer):
    client.force_login(analyst)
    assert post(client, body()).status_code == 403
    client.force_login(branch_officer)
    response = post(client, body())
    assert response.status_code == 201
    assert Worker.objects.get().branch == branch_officer.branch


def test_partner_reads_only_its_own_workers(client, regions, partner_key, other_key):
    number = post(client, body(), partner_key).json()["membership_number"]
    mine = client.get(f"{URL}/{number}", headers={"Authorization": f"Bearer {partner_key}"})
    assert mine.status_code == 200 and mine.json()["membership_number"] == number
    assert "•" in mine.json()["nik"]
    theirs = client.get(f"{URL}/{number}", headers={"Authorization": f"Bearer {other_key}"})
    assert theirs.status_code == 404 and theirs.json()["code"] == "not_found"
    same_org = api_key_create(actor=Actor.system("system"), name="Koperasi Maju 2", organisation_code=" kop-maju")
    assert client.get(f"{URL}/{number}", headers={"Authorization": f"Bearer {same_org}"}).status_code == 200
    garbage = client.get(f"{URL}/not-a-number", headers={"Authorization": f"Bearer {partner_key}"})
    assert garbage.status_code == 404


def test_branch_officer_cannot_read_another_regions_worker_through_the_api(
    client, regions, branch_officer, administrator
):
    semarang = worker_create()
    jakarta = worker_create(village_code="31.71.01.1001", birth_date=semarang.birth_date)
    client.force_login(branch_officer)
    assert client.get(f"{URL}/{semarang.membership_number}").status_code == 200
    assert client.get(f"{URL}/{jakarta.membership_number}").status_code == 404
    client.force_login(administrator)
    assert client.get(f"{URL}/{jakarta.membership_number}").status_code == 200


def test_openapi_documents_the_registry_with_examples(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/occupations", "/api/v1/workers", "/api/v1/workers/{membership_number}"} <= set(spec["paths"])
    post_op = spec["paths"]["/api/v1/workers"]["post"]
    assert {"201", "409", "422"} <= set(post_op["responses"])
    assert "examples" in json.dumps(spec["components"]["schemas"]["WorkerIn"])


_any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
_fields = {
    "nik": st.one_of(st.just("3374011705900001"), st.from_regex(r"\A[0-9]{14,17}\Z"), _any_json),
    "full_name": st.one_of(st.just("Budi"), st.text(max_size=200), _any_json),
    "birth_date": st.one_of(st.just("1990-05-17"), st.dates().map(str), _any_json),
    "sex": st.one_of(st.sampled_from(["M", "F"]), _any_json),
    "phone": st.one_of(st.just("081234567890"), st.from_regex(r"\A\+?[0-9 ]{0,18}\Z"), _any_json),
    "village_code": st.one_of(st.just("33.74.01.1001"), st.text(max_size=20), _any_json),
    "occupation": st.one_of(st.just("petani"), _any_json),
    "declared_income_idr": st.one_of(st.integers(), st.just(1000000), _any_json),
    "jht": st.one_of(st.booleans(), _any_json),
    "payment_period_months": st.one_of(st.integers(-5, 20), _any_json),
    "postal_code": st.one_of(st.text(max_size=8), _any_json),
    "heirs": st.one_of(
        st.lists(
            st.fixed_dictionaries(
                {"full_name": st.text(max_size=20), "relationship": st.sampled_from(["spouse", "child", "x"])},
                optional={
                    "nik": st.text(max_size=20),
                    "birth_date": st.dates().map(str),
                    "phone": st.text(max_size=15),
                },
            ),
            max_size=3,
        ),
        _any_json,
    ),
}


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        st.fixed_dictionaries({}, optional=_fields),
        _any_json.map(lambda v: json.dumps(v)),
        st.binary(max_size=60),
    )
)
def test_fuzzed_registration_bodies_never_fail_with_500(client, regions, partner_key, payload):
    if isinstance(payload, dict):
        response = post(client, payload, partner_key)
    else:
        response = post(client, None, partner_key, raw=payload)
    assert response.status_code in {201, 400, 401, 409, 422}, response.content
    assert set(response.json()) >= ({"membership_number"} if response.status_code == 201 else {"code", "message"})


def test_a_merged_record_points_to_the_kept_one(client, regions, administrator):
    first = worker_create(full_name="Tini Wahyuni")
    second = worker_create(full_name="Tini Wahyuni", birth_date=first.birth_date)
    duplicate_merge(actor=Actor.for_user(administrator), duplicate=PossibleDuplicate.objects.get(), note="KTP sama")
    client.force_login(administrator)
    out = client.get(f"{URL}/{second.membership_number}").json()
    assert (out["status"], out["merged_into"]) == ("merged", first.membership_number)
    assert client.get(f"{URL}/{first.membership_number}").json()["merged_into"] == ""


@pytest.mark.parametrize(
    ("given", "stored"),
    [(" k7qx2ma ", "K7QX2MA"), ("AG-BUDI", "AG-BUDI"), ("k!", ""), ("x" * 300, ""), (None, ""), ("", "")],
)
def test_a_partner_registration_keeps_its_referral_code_and_a_mistyped_one_never_blocks(
    client, regions, partner_key, given, stored
):
    response = post(client, body(referral_code=given), partner_key)
    assert response.status_code == 201, response.json()
    assert response.json()["referral_code"] == stored
    assert Worker.objects.get().referral_code == stored


def test_without_a_referral_code_nothing_is_recorded(client, regions, partner_key):
    response = post(client, body(), partner_key)
    assert response.status_code == 201 and response.json()["referral_code"] == ""
    assert Worker.objects.get().referral_code == ""
    spec = client.get("/api/v1/openapi.json").json()
    schema_name = spec["paths"][URL]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "referral_code" in spec["components"]["schemas"][schema_name.rsplit("/", 1)[1]]["properties"]
