from __future__ import annotations

import importlib
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from conftest import PASSWORD
from rangkul.audit.models import AuditEvent
from rangkul.audit.services import audit_record, mask_values
from rangkul.core import context


def test_audit_record_masks_personal_data_and_drops_secrets(branch_officer):
    token = context.bind(context.RequestContext(request_id="req-12345678", ip="10.0.0.9"))
    try:
        event = audit_record(
            actor=branch_officer,
            action="registry.worker_updated",
            subject=branch_officer,
            before={"nik": "3374014101900001", "phone": "+6281234567890", "name": "Sri"},
            after={"nik": "3374014101900002", "password": "secret", "nested": {"nik": "3374014101900003"}},
            reason="typo in name",
        )
    finally:
        context.reset(token)
    event.refresh_from_db()
    assert event.before == {"nik": "3374 •••• •••• ••••", "phone": "+62812••••7890", "name": "Sri"}
    assert event.after == {"nik": "3374 •••• •••• ••••", "nested": {"nik": "3374 •••• •••• ••••"}}
    assert event.request_id == "req-12345678"
    assert event.ip == "10.0.0.9"
    assert event.actor == branch_officer
    assert event.subject_type == "accounts.user"
    assert "3374014101900001" not in json.dumps([event.before, event.after])


def test_mask_values_handles_none_and_lists():
    assert mask_values(None) is None
    assert mask_values({"items": [{"nik": "3374014101900001"}, 3]}) == {"items": [{"nik": "3374 •••• •••• ••••"}, "3"]}


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_updates_and_deletes():
    append_only = importlib.import_module("rangkul.audit.migrations.0002_append_only")
    with connection.schema_editor() as editor:
        append_only.forwards(None, editor)
    try:
        event = audit_record(actor=None, action="test.created", subject_type="x", subject_id="1")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="test.tampered")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "test.created"
    finally:
        with connection.schema_editor() as editor:
            append_only.backwards(None, editor)


def test_audit_page_needs_the_permission(client, analyst):
    client.login(username=analyst.username, password=PASSWORD)
    assert client.get(reverse("audit:log")).status_code == 403


def test_audit_page_filters(client, branch_officer):
    audit_record(actor=None, action="regions.loaded", subject_type="regions")
    audit_record(actor=branch_officer, action="accounts.api_key_created", subject_type="accounts.apikey")
    client.login(username=branch_officer.username, password=PASSWORD)
    page = client.get(reverse("audit:log")).content.decode()
    assert "regions.loaded" in page and "accounts.api_key_created" in page
    filtered = client.get(reverse("audit:log"), {"action": "regions"}).content.decode()
    assert "regions.loaded" in filtered and "accounts.api_key_created" not in filtered
    fragment = client.get(reverse("audit:log"), {"actor": branch_officer.username[:6]}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"date_from": "2026-13-45"}, {"date_from": "2026-05-01", "date_to": "2026-04-01"}, {"page": "abc"}],
)
def test_audit_page_bad_filters_give_a_message_not_an_error(client, branch_officer, query):
    client.login(username=branch_officer.username, password=PASSWORD)
    response = client.get(reverse("audit:log"), query)
    assert response.status_code == 200
