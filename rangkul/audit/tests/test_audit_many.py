"""``audit_record_many`` writes exactly the rows that ``audit_record`` writes once per entry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rangkul.audit.models import AuditEvent
from rangkul.audit.services import audit_record, audit_record_many, audit_record_subjects
from rangkul.core import context

pytestmark = pytest.mark.django_db

_COMPARED = (
    *("actor_id", "actor_label", "action", "subject_type", "subject_id", "subject_label"),
    *("before", "after", "reason", "request_id", "ip"),
)


def _entries(officer: Any) -> list[dict[str, Any]]:
    return [
        {
            "actor": officer,
            "action": "registry.worker_registered",
            "subject": officer,
            "after": {
                "nik": "3374014101900001",
                "phone": "+6281234567890",
                "heirs": [{"heir_nik": "3374014101900002", "phone": "+6281298765432"}],
                "password": "secret",
                "nik_hash": "abc",
                "nested": {"nik": "3374014101900003"},
                "warnings": ["nik_region_unknown"],
                "count": 3,
            },
        },
        {
            "actor": "import-bot",
            "action": "partners.member_added",
            "subject_type": "registry.worker",
            "subject_id": "42",
            "subject_label": "x" * 300,
            "before": {"phone": "081234567890"},
            "reason": "bulk",
        },
        {"actor": None, "action": "test.nothing"},
    ]


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    return [{name: getattr(AuditEvent.objects.get(pk=e.pk), name) for name in _COMPARED} for e in events]


def test_audit_record_many_writes_what_audit_record_writes(branch_officer) -> None:
    token = context.bind(context.RequestContext(request_id="req-bulk", ip="10.0.0.7"))
    try:
        with transaction.atomic():
            one_by_one = _rows([audit_record(**entry) for entry in _entries(branch_officer)])
            transaction.set_rollback(True)
        with CaptureQueriesContext(connection) as captured:
            many = _rows(audit_record_many(_entries(branch_officer)))
    finally:
        context.reset(token)
    assert many == one_by_one
    assert many[0]["after"]["nik"] == "3374 •••• •••• ••••"
    assert many[0]["after"]["heirs"][0]["heir_nik"] == "3374 •••• •••• ••••"
    assert "password" not in many[0]["after"] and "nik_hash" not in many[0]["after"]
    assert many[1]["before"]["phone"] != "081234567890"
    assert len(many[1]["subject_label"]) == 200
    assert many[0]["request_id"] == "req-bulk" and many[0]["ip"] == "10.0.0.7"
    assert "3374014101900001" not in json.dumps(many)
    # One INSERT (COPY on PostgreSQL) for the three rows (the other statements are this test's reads).
    inserts = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "COPY"))]
    assert len(inserts) == 1


def test_audit_record_many_with_no_entries_writes_nothing() -> None:
    with CaptureQueriesContext(connection) as captured:
        assert audit_record_many([]) == []
    assert captured.captured_queries == []


def test_audit_record_subjects_writes_what_audit_record_many_writes(branch_officer) -> None:
    """The bulk registrations' form: one actor and action, many subjects, no model instance per row."""
    after = {
        "nik": "3374014101900001",
        "phone": "+6281234567890",
        "nik_sealed": "sealed",
        "jht": True,
        "declared_income_idr": 1_500_000,
        "email": "",
        "second_occupation": None,
        "identity_warnings": ["nik_region_unknown"],
        "nested": {"nik": "3374014101900003"},
    }
    entries = [
        {
            "actor": branch_officer,
            "action": "registry.worker_registered",
            "subject_type": "registry.worker",
            "subject_id": str(pk),
            "subject_label": f"1000000{pk:04d}",
            "after": {**after, "phone": f"+62812345678{pk:02d}"},
        }
        for pk in (7, 8)
    ]
    token = context.bind(context.RequestContext(request_id="req-subjects", ip="10.0.0.8"))
    try:
        with transaction.atomic():
            many = _rows(audit_record_many(entries))
            transaction.set_rollback(True)
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            written = audit_record_subjects(
                actor=branch_officer,
                action="registry.worker_registered",
                subject_type="registry.worker",
                subjects=((e["subject_id"], e["subject_label"], e["after"]) for e in entries),
            )
    finally:
        context.reset(token)
    subjects = _rows(list(AuditEvent.objects.exclude(pk__in=before).order_by("pk")))
    assert written == 2
    assert subjects == many
    assert subjects[0]["after"]["nik"] == "3374 •••• •••• ••••"
    assert subjects[1]["after"]["phone"] != "+6281234567808"
    assert "nik_sealed" not in subjects[0]["after"]
    assert subjects[0]["after"]["identity_warnings"] == ["nik_region_unknown"]
    assert subjects[0]["request_id"] == "req-subjects"
    inserts = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "COPY"))]
    assert len(inserts) == 1
