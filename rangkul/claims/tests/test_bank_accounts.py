"""Bank account numbers are sealed like the NIK: the database never holds the plain number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.claims.bank_accounts import account_hash
from rangkul.claims.disbursement import _ADAPTERS, SandboxAdapter, TransferResult
from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.models import BANK_ACCOUNT_PURPOSE, Claim, PayoutStatus
from rangkul.claims.services import ClaimantIn, claim_approve, claim_propose, payout_retry, payout_send
from rangkul.claims.tests.factories import SPOUSE, file, insured
from rangkul.core.crypto import unseal

pytestmark = pytest.mark.django_db

ACCOUNT = "1234567890"


def _raw_row(claim: Claim) -> str:
    """Every column of the claim's row as the database stores it, joined into one string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Claim._meta.db_table} WHERE id = %s", [claim.pk])  # noqa: S608
        return " ".join(str(value) for value in cursor.fetchone())


def _approved(claim, officer, approver):
    claim_propose(actor=Actor.for_user(officer), claim=claim, decision="approve", note="checked")
    return claim_approve(actor=Actor.for_user(approver), claim=claim, note="ok")


class RecordingAdapter(SandboxAdapter):
    code = "recording"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def account_holder(self, *, bank_code: str, account_number: str, expected_name: str) -> str | None:
        self.seen.append(account_number)
        return super().account_holder(bank_code=bank_code, account_number=account_number, expected_name=expected_name)

    def transfer(self, *, idempotency_key: str, bank_code: str, account_number: str, amount_idr: int) -> TransferResult:
        self.seen.append(account_number)
        return super().transfer(
            idempotency_key=idempotency_key, bank_code=bank_code, account_number=account_number, amount_idr=amount_idr
        )


@pytest.fixture
def recording(settings):
    adapter = RecordingAdapter()
    _ADAPTERS[adapter.code] = adapter
    settings.CLAIMS_DISBURSEMENT_ADAPTER = adapter.code
    yield adapter
    del _ADAPTERS[adapter.code]


def test_the_column_holds_a_sealed_number_a_hash_and_the_last_four_digits(regions):
    claim = file(insured(), claimant=ClaimantIn(SPOUSE, "spouse", "", "", "BRI", "1234-5678 90"))
    claim.refresh_from_db()
    assert ACCOUNT not in _raw_row(claim)
    assert claim.bank_account_last4 == "7890" and claim.bank_account_masked == "•••• 7890"
    assert claim.bank_account_hash == account_hash(ACCOUNT)
    assert unseal(claim.bank_account_sealed, purpose=BANK_ACCOUNT_PURPOSE) == ACCOUNT
    # Bound to its purpose: the sealed value does not open as a NIK.
    with pytest.raises(Exception, match="could not be opened"):
        unseal(claim.bank_account_sealed, purpose="nik")


def test_an_account_number_is_digits(regions):
    with pytest.raises(ClaimInputInvalid) as error:
        file(insured(), claimant=ClaimantIn(SPOUSE, "spouse", "", "", "BRI", "12ab34"))
    assert "claimant.bank_account_number" in error.value.fields


def test_the_adapter_gets_the_plain_number_only_when_sending(regions, officer, approver, recording):
    claim = _approved(file(insured()), officer, approver)
    assert recording.seen == []
    payout = payout_send(actor=Actor.for_user(approver), claim=claim)
    assert payout.status == PayoutStatus.SENT
    assert recording.seen == [ACCOUNT, ACCOUNT]  # the holder inquiry, then the transfer
    assert ACCOUNT not in _raw_row(claim)


def test_a_corrected_account_is_sealed_too_and_the_audit_shows_it_masked(regions, officer, approver):
    claim = _approved(
        file(insured(), claimant=ClaimantIn(SPOUSE, "spouse", "", "", "BRI", "9990001111")), officer, approver
    )
    assert payout_send(actor=Actor.for_user(approver), claim=claim).status == PayoutStatus.FAILED
    payout = payout_retry(
        actor=Actor.for_user(officer), claim=claim, bank_code="BNI", bank_account_number="5550004444", note="new"
    )
    assert payout.status == PayoutStatus.SENT
    claim.refresh_from_db()
    raw = _raw_row(claim)
    assert "5550004444" not in raw and "9990001111" not in raw
    assert claim.bank_account_masked == "•••• 4444"
    event = claim_audit(claim, "claim.bank_account_change")
    assert event.before == {"account": "•••• 1111"} and event.after == {"bank": "BNI", "account": "•••• 4444"}
    assert "5550004444" not in str(event.after)


def claim_audit(claim, action):
    return AuditEvent.objects.filter(action=action, subject_label=claim.number).get()


def test_retry_refuses_an_empty_account(regions, officer, approver):
    claim = _approved(
        file(insured(), claimant=ClaimantIn(SPOUSE, "spouse", "", "", "BRI", "9990001111")), officer, approver
    )
    payout_send(actor=Actor.for_user(approver), claim=claim)
    with pytest.raises(ClaimInputInvalid):
        payout_retry(actor=Actor.for_user(officer), claim=claim, bank_code="BNI", bank_account_number=" ", note="new")


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_seals_existing_plain_numbers(regions):
    worker = insured()
    sealed = file(worker)  # stored sealed by the current code
    executor = MigrationExecutor(connection)
    executor.migrate([("claims", "0002_claim_documents")])
    try:
        old = MigrationExecutor(connection).loader.project_state([("claims", "0002_claim_documents")]).apps
        old_claim = old.get_model("claims", "Claim")
        # Going back opens the sealed number into the plain column again.
        assert old_claim.objects.get(pk=sealed.pk).bank_account_number == ACCOUNT
        old_claim.objects.create(
            number="KL2603000001",
            worker_id=worker.pk,
            program="JKM",
            event="death",
            event_date="2026-03-10",
            claimant_name=SPOUSE,
            claimant_relationship="spouse",
            bank_code="BRI",
            bank_account_number="1234 5678 90",
            channel="office",
            filed_at="2026-03-11T10:00:00+07:00",
            declared_income_idr=1_000_000,
            eligible=True,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("claims"))
    claim = Claim.objects.get(number="KL2603000001")
    assert ACCOUNT not in _raw_row(claim) and ACCOUNT not in _raw_row(Claim.objects.get(pk=sealed.pk))
    assert Claim.objects.get(pk=sealed.pk).bank_account_open() == ACCOUNT
    assert claim.bank_account_open() == ACCOUNT and claim.bank_account_last4 == "7890"
    assert claim.bank_account_hash == account_hash(ACCOUNT)
