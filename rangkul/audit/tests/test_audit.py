from __future__ import annotations

import importlib
import json
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from conftest import PASSWORD
from rangkul.audit.display import action_label, changes, field_label
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


def _results(client, query=None):
    """The results fragment only, so that the filter form's own options do not count."""
    return client.get(reverse("audit:log"), query or {}, HTTP_HX_REQUEST="true").content.decode()


def test_audit_page_filters(client, branch_officer):
    audit_record(actor=None, action="regions.loaded", subject_type="regions")
    audit_record(actor=branch_officer, action="accounts.api_key_created", subject_type="accounts.apikey")
    client.login(username=branch_officer.username, password=PASSWORD)
    with translation.override("id"):
        loaded, created = action_label("regions.loaded"), action_label("accounts.api_key_created")
    page = _results(client)
    assert loaded in page and created in page
    assert "regions.loaded" not in page, "actions are shown in words, not as codes"
    for group in ("regions.", "regions"):
        filtered = _results(client, {"action": group})
        assert loaded in filtered and created not in filtered
    exact = _results(client, {"action": "accounts.api_key_created"})
    assert created in exact and loaded not in exact
    fragment = client.get(reverse("audit:log"), {"actor": branch_officer.username[:6]}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()


def test_audit_page_filters_by_the_membership_number_it_shows(client, branch_officer):
    audit_record(
        actor=None, action="registry.worker_updated", subject_type="registry.worker", subject_label="11111111111"
    )
    audit_record(
        actor=None, action="registry.heir_added", subject_type="registry.heir", subject_label="11111111111 / Anak"
    )
    audit_record(
        actor=None, action="registry.worker_updated", subject_type="registry.worker", subject_label="11111111112"
    )
    client.login(username=branch_officer.username, password=PASSWORD)
    page = _results(client, {"subject": " 11111111111 "})
    assert "11111111111 / Anak" in page
    assert page.count("11111111111") == 2
    assert "11111111112" not in page
    kind = _results(client, {"subject": "11111111111", "subject_type": "registry.heir"})
    assert "11111111111 / Anak" in kind and kind.count("11111111111") == 1


def test_audit_page_shows_changes_before_and_after_in_words(client, branch_officer):
    audit_record(
        actor=branch_officer,
        action="registry.worker_updated",
        subject_type="registry.worker",
        subject_label="11111111111",
        before={"declared_income_idr": 1_500_000, "jht": False, "birth_date": "1990-01-31"},
        after={"declared_income_idr": 2_000_000, "jht": True, "birth_date": "1990-02-01"},
        reason="Koreksi data",
    )
    client.login(username=branch_officer.username, password=PASSWORD)
    with translation.override("id"):
        income, jht = field_label("declared_income_idr"), field_label("jht")
        yes, no = str(_("Yes")), str(_("No"))
    page = _results(client)
    assert "{" not in page and "declared_income_idr" not in page
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td><td>(.*?)</td></tr>", page)
    assert (income, "Rp1.500.000", "Rp2.000.000") in rows
    assert (jht, no, yes) in rows
    assert any(before.startswith("31 ") and after.startswith("1 ") for _f, before, after in rows)
    assert "Koreksi data" in page


def test_unknown_action_and_field_names_are_shown_as_written():
    assert action_label("someapp.something_new") == "someapp.something_new"
    rows = changes({"colour": "red"}, {"colour": "blue", "count": 3})
    assert [(row.field, row.before, row.after) for row in rows] == [("colour", "red", "blue"), ("count", "", "3")]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-45"},
        {"date_from": "2026-05-01", "date_to": "2026-04-01"},
        {"page": "abc"},
        {"action": "no.such_action"},
        {"subject_type": "nothing"},
    ],
)
def test_audit_page_bad_filters_give_a_message_not_an_error(client, branch_officer, query):
    client.login(username=branch_officer.username, password=PASSWORD)
    response = client.get(reverse("audit:log"), query)
    assert response.status_code == 200
    if "page" not in query:
        assert 'data-testid="form-errors"' in response.content.decode()


@pytest.mark.django_db
def test_typed_actors_write_the_rows_their_untyped_forms_wrote(branch_officer):
    from rangkul.audit.actors import Actor, ActorKind

    pairs = [
        (Actor.for_user(branch_officer), branch_officer),
        (Actor.for_api_key("ab12cd"), "api_key:ab12cd"),
        (Actor.system("command:import_workers"), "command:import_workers"),
        (Actor.system("system"), None),
    ]
    for typed, untyped in pairs:
        assert Actor.of(untyped) == typed
        new = audit_record(actor=typed, action="test.typed")
        old = audit_record(actor=untyped, action="test.untyped")
        assert (new.actor_id, new.actor_label) == (old.actor_id, old.actor_label)
    assert Actor.of(branch_officer).kind == ActorKind.USER
    assert Actor.of("api_key:ab12cd").kind == ActorKind.API_KEY
    assert AuditEvent.objects.get(action="test.typed", actor=branch_officer).actor_label == str(branch_officer)


@pytest.mark.django_db
def test_an_actor_answers_permission_checks_and_names_its_user(branch_officer):
    from rangkul.audit.actors import Actor

    branch_officer.full_name = "Dewi Lestari"
    officer = Actor.for_user(branch_officer)
    assert officer.has_perm("accounts.register_worker")
    assert not officer.has_perm("accounts.approve_payments")
    assert (officer.label, officer.username) == ("Dewi Lestari", branch_officer.username)
    for other in (Actor.for_api_key("ab12cd"), Actor.system("command:import_workers")):
        assert not other.has_perm("accounts.register_worker")
        assert other.username == other.label
