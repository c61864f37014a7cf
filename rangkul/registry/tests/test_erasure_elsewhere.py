"""Erasure reaches the member's data held outside the registry, in the same transaction."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from django.utils import timezone

from rangkul.agents.models import ReceiptReport
from rangkul.audit.models import AuditEvent
from rangkul.claims.models import Claim, ClaimStatus
from rangkul.claims.tests.factories import file
from rangkul.core.crypto import seal, unseal
from rangkul.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from rangkul.messaging.queue import message_queue
from rangkul.messaging.services import SEAL_PURPOSE
from rangkul.partners.models import ImportJob, ImportRowResult, MemberConsent, Membership, Organisation
from rangkul.partners.tests.factories import OrganisationFactory
from rangkul.registry.models import Worker, WorkerStatus
from rangkul.registry.tests.factories import worker_create
from rangkul.registry.tests.test_erasure import REASON, _member, worker_anonymise

pytestmark = pytest.mark.django_db

OTHER_PHONE = "+6281255556666"


def _held_elsewhere(worker: Worker) -> dict[str, Any]:
    """Personal data about the member in other apps: a partner's membership and import report, a
    closed claim they filed for themselves and one an heir filed, a missing-receipt note, texts."""
    organisation = cast(Organisation, OrganisationFactory(code="kopmaju"))
    Membership.objects.create(
        organisation=organisation,
        worker=worker,
        consent=MemberConsent.PENDING,
        supplied_name="Rahmawati Kusumaningrum",
    )
    job = ImportJob.objects.create(organisation=organisation, original_name="a.csv", file_sha256="0" * 64)
    ImportRowResult.objects.create(
        job=job, row_number=2, outcome="duplicate", column="telepon", value="081377771234", worker=worker
    )
    own = file(worker)
    heirs = file(worker)
    Claim.objects.filter(pk=own.pk).update(
        status=ClaimStatus.REJECTED, claimant_relationship="self", claimant_phone=worker.phone
    )
    Claim.objects.filter(pk=heirs.pk).update(status=ClaimStatus.REJECTED)
    ReceiptReport.objects.create(worker=worker, channel="branch", note="Bu Rahmawati bayar ke agen, tanpa struk")
    message_queue(channel="sms", to=worker.phone, body="Rahmawati, iuran Anda diterima", purpose="receipt")
    message_queue(channel="sms", to=OTHER_PHONE, body="Untuk orang lain", purpose="receipt")
    InboundMessage.objects.create(
        provider="sandbox",
        provider_message_id="m-1",
        phone=worker.phone,
        body_sealed=seal("CEK Rahmawati Kusumaningrum", purpose=SEAL_PURPOSE),
        answer_sealed=seal("Rahmawati: iuran lunas", purpose=SEAL_PURPOSE),
        received_at=timezone.now(),
    )
    return {"own_claim": own, "heirs_claim": heirs}


def _texts_about(worker: Worker, phone: str) -> str:
    outbound = [
        {**row, "body": unseal(row["body_sealed"], purpose=SEAL_PURPOSE)}
        for row in OutboundMessage.objects.exclude(to=OTHER_PHONE).values()
    ]
    inbound = [
        {
            **row,
            "body": unseal(row["body_sealed"], purpose=SEAL_PURPOSE),
            "answer": unseal(row["answer_sealed"], purpose=SEAL_PURPOSE) if row["answer_sealed"] else "",
        }
        for row in InboundMessage.objects.values()
    ]
    rows = [
        *Membership.objects.filter(worker=worker).values(),
        *ImportRowResult.objects.filter(worker=worker).values(),
        *Claim.objects.filter(worker=worker, claimant_relationship="self").values(),
        *ReceiptReport.objects.filter(worker=worker).values(),
        *outbound,
        *inbound,
    ]
    return json.dumps(rows, default=str).lower()


def test_no_personal_value_of_the_member_remains_in_other_apps(administrator, regions):
    worker, secrets = _member()
    claims = _held_elsewhere(worker)
    phone_digits = worker.phone[-9:]
    assert "rahmawati" in _texts_about(worker, worker.phone)
    assert phone_digits in _texts_about(worker, worker.phone)

    worker_anonymise(actor=administrator, worker=worker, reason=REASON)

    after = _texts_about(worker, worker.phone)
    for secret in [*secrets, phone_digits]:
        assert secret.lower() not in after, secret
    # What is not the member's own stays: the heir's contact on the heir's claim, others' texts.
    assert Claim.objects.get(pk=claims["heirs_claim"].pk).claimant_phone == "+6281299990000"
    other = OutboundMessage.objects.get(to=OTHER_PHONE)
    assert json.loads(unseal(other.body_sealed, purpose=SEAL_PURPOSE))["body"] == "Untuk orang lain"
    # The rows themselves stay (counts, money, the delivery story); a queued text is never sent.
    assert Membership.objects.filter(worker=worker, consent=MemberConsent.PENDING).count() == 1
    erased = OutboundMessage.objects.exclude(to=OTHER_PHONE).get()
    assert (erased.to, erased.status, erased.purpose) == ("", MessageStatus.FAILED, "receipt")
    assert InboundMessage.objects.get().phone == ""


def test_the_audit_row_names_what_was_erased_elsewhere_never_the_values(administrator, regions):
    worker, secrets = _member()
    _held_elsewhere(worker)
    phone = worker.phone
    worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    event = AuditEvent.objects.get(action="registry.worker_anonymised")
    elsewhere = event.after["elsewhere"]
    assert elsewhere["partners.membership"] == {"rows": 1, "fields": ["supplied_name"]}
    assert elsewhere["partners.importrowresult"] == {"rows": 1, "fields": ["value"]}
    assert elsewhere["claims.claim"] == {"rows": 1, "fields": ["claimant_phone"]}
    assert elsewhere["agents.receiptreport"] == {"rows": 1, "fields": ["note"]}
    assert elsewhere["messaging.outboundmessage"] == {"rows": 1, "fields": ["body_sealed", "to"]}
    assert elsewhere["messaging.inboundmessage"] == {"rows": 1, "fields": ["body_sealed", "answer_sealed", "phone"]}
    text = json.dumps([event.before, event.after, event.subject_label, event.reason]).lower()
    for secret in [*secrets, phone[-9:]]:
        assert secret.lower() not in text


def test_a_number_another_member_still_uses_keeps_its_messages_but_loses_their_text(administrator, regions):
    worker, _secrets = _member()
    family = worker_create(full_name="Anak Rahmawati", phone=worker.phone)
    assert family.phone == worker.phone
    message_queue(channel="sms", to=worker.phone, body="Rahmawati, iuran Anda diterima", purpose="receipt")

    worker_anonymise(actor=administrator, worker=worker, reason=REASON)

    kept = OutboundMessage.objects.get()
    assert kept.to == family.phone  # the family member's history and limits still count
    assert "rahmawati" not in unseal(kept.body_sealed, purpose=SEAL_PURPOSE).lower()
    event = AuditEvent.objects.get(action="registry.worker_anonymised")
    assert event.after["elsewhere"]["messaging.outboundmessage"]["fields"] == ["body_sealed"]


def failing_step(worker: Worker) -> dict[str, Any]:
    raise RuntimeError("the partners' database is away")


def test_a_failing_step_leaves_nothing_erased(administrator, regions, settings):
    settings.REGISTRY_ERASURE_STEPS = [
        *settings.REGISTRY_ERASURE_STEPS,
        "rangkul.registry.tests.test_erasure_elsewhere.failing_step",
    ]
    worker, _secrets = _member()
    _held_elsewhere(worker)
    with pytest.raises(RuntimeError):
        worker_anonymise(actor=administrator, worker=worker, reason=REASON)
    worker.refresh_from_db()
    assert worker.status == WorkerStatus.ACTIVE and worker.full_name == "Rahmawati Kusumaningrum"
    assert Membership.objects.get(worker=worker).supplied_name == "Rahmawati Kusumaningrum"
    assert OutboundMessage.objects.get(to=worker.phone).status == MessageStatus.QUEUED
    assert not AuditEvent.objects.filter(action="registry.worker_anonymised").exists()
