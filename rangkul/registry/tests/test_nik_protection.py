"""A registered NIK must not exist in plaintext anywhere Rangkul writes: tables, logs, audit rows."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.db import connection

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.core.errors import Conflict
from rangkul.registry import services
from rangkul.registry.selectors import worker_get
from rangkul.registry.tests.factories import heir_input, make_nik, registration_input


def _every_stored_value() -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty value of every column of every table."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 — names from introspection
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.append((table, column, value if isinstance(value, str) else str(value)))
    return found


def test_registered_nik_is_nowhere_in_plaintext(
    client, regions, branch_officer, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    birth = dt.date(1987, 11, 2)
    nik = make_nik(birth_date=birth, sex="F", serial=4321)
    heir_nik = make_nik(birth_date=dt.date(1986, 1, 30), sex="M", serial=8765)
    key = api_key_create(actor=Actor.system("system"), name="Koperasi", organisation_code="KOP")
    body = {
        "nik": nik,
        "full_name": "Ratna Sari",
        "birth_date": birth.isoformat(),
        "sex": "F",
        "phone": "081377778888",
        "village_code": "33.74.01.1001",
        "occupation": "penjahit",
        "declared_income_idr": 1000000,
        "jht": False,
        "heirs": [{"full_name": "Hadi", "relationship": "spouse", "nik": heir_nik}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/workers", data=json.dumps(body), content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip
    assert response.status_code == 201
    worker = worker_get(membership_number=response.json()["membership_number"])

    # Every service that touches the NIK runs once: update, reveal, heir changes, export, a refused duplicate.
    services.worker_update(
        actor=Actor.for_user(branch_officer), worker=worker, changes={"address": "Jl. Kauman 3"}, reason="KTP"
    )
    assert services.worker_reveal_nik(actor=Actor.for_user(branch_officer), worker=worker) == nik
    services.heir_add(
        actor=Actor.for_user(branch_officer), worker=worker, data=heir_input(nik=heir_nik, relationship="parent")
    )
    services.worker_export_data(actor=Actor.for_user(branch_officer), worker=worker)
    duplicate = client.post(
        "/api/v1/workers", data=json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert duplicate.status_code == 409 and nik not in duplicate.content.decode()
    with pytest.raises(Conflict) as excinfo:
        services.worker_register(
            actor=Actor.system("test"), data=registration_input(nik=nik, birth_date=birth, sex="F"), channel="office"
        )
    assert nik not in str(excinfo.value.as_dict())

    stored = _every_stored_value()
    assert any(table == "registry_worker" for table, _c, _v in stored)
    leaks = [(table, column) for table, column, value in stored if nik in value or heir_nik in value]
    assert leaks == []
    assert nik not in caplog.text and heir_nik not in caplog.text
    for event in AuditEvent.objects.all():
        row = json.dumps([event.before, event.after, event.reason, event.subject_label], ensure_ascii=False)
        assert nik not in row and heir_nik not in row
    assert AuditEvent.objects.filter(action="registry.worker_nik_revealed").count() == 1


def _serial_shown(text: str, nik: str) -> bool:
    """True when a masked NIK in ``text`` shows any digit past the regency prefix (birth date, serial)."""
    shown = re.findall(r"\d{4} [•\d]{4} [•\d]{4} [•\d]{4}", text)
    return any(re.search(r"\d", masked[4:]) for masked in shown) or f"{nik[:4]} {nik[4:8]}" in text


def test_the_mask_hides_the_serial_everywhere_it_is_shown(client, regions, branch_officer, administrator):
    """Digits 1–12 are district and birth date, shown beside the mask; only the serial is secret.

    So the office page, the API response, the audit rows and the member's own export of
    their history show no digit after the mask: not the serial, not the birth date.
    """
    birth = dt.date(1987, 11, 2)
    nik = make_nik(birth_date=birth, sex="F", serial=4321)
    key = api_key_create(actor=Actor.system("system"), name="Koperasi", organisation_code="KOP")
    body = {
        "nik": nik, "full_name": "Ratna Sari", "birth_date": birth.isoformat(), "sex": "F",
        "phone": "081377778888", "village_code": "33.74.01.1001", "occupation": "penjahit",
        "declared_income_idr": 1000000, "jht": False,
        "heirs": [{"full_name": "Hadi", "relationship": "spouse", "nik": make_nik(serial=8765)}],
    }  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    created = client.post("/api/v1/workers", data=json.dumps(body), content_type="application/json", headers=headers)
    assert created.status_code == 201
    number = created.json()["membership_number"]
    assert created.json()["nik"] == f"{nik[:4]} •••• •••• ••••"

    fetched = json.dumps(client.get(f"/api/v1/workers/{number}", headers=headers).json(), ensure_ascii=False)
    assert "•" in fetched and not _serial_shown(fetched, nik) and "8765" not in fetched

    client.force_login(branch_officer)
    page = client.get(f"/office/peserta/{number}/").content.decode()
    assert f"{nik[:4]} •••• •••• ••••" in page
    assert not _serial_shown(page, nik) and "4321" not in page and "8765" not in page

    worker = worker_get(membership_number=number)
    services.worker_update(
        actor=Actor.for_user(branch_officer), worker=worker, changes={"address": "Jl. Kauman 3"}, reason="KTP"
    )
    for event in AuditEvent.objects.all():
        row = json.dumps([event.before, event.after], ensure_ascii=False)
        assert not _serial_shown(row, nik), row
    history = json.dumps(services.worker_export_data(actor=Actor.for_user(branch_officer), worker=worker)["history"])
    assert "4321" not in history and "8765" not in history
