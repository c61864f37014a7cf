"""Erasure of a member's personal data at their request (UU 27/2022 on personal data protection).

A member may have their personal data removed. What the law requires Rangkul to keep stays: the
membership number and every money record (bills, payments, the ledger, paid months, claims and
payouts), so that the books still balance and a past claim can still be checked; and facts that
identify nobody (sex, year of birth, village, occupation, declared income, programs) so that the
statistics stay right. Everything else that names or reaches the person — name, NIK, full birth
date, mobile number, email, address, postal code, identity warnings — and the same data of their
heirs is replaced in place by anonymous values. Nothing is deleted, so no money record loses its
member.

Two administrators take part (maker–checker, as for money): one records the member's request
(``worker_erasure_request``), a different one confirms it (``worker_erasure_confirm``), which is
when the data goes; either may withdraw a request that waits (``worker_erasure_withdraw``).

An open claim is decided first: its payout needs the heirs' identities. Other apps that must be
asked first are named in ``REGISTRY_ERASURE_BLOCKERS`` (dotted paths to callables taking the worker
and answering a reason to refuse, or ""), read at run time so that the registry does not depend
on the apps above it.

The apps above the registry that hold the member's personal data erase their part through
``REGISTRY_ERASURE_STEPS``: dotted paths to callables taking the worker (before its own data is
replaced, so they can still match its number) and answering what they changed as
``{"app.model": {"rows": n, "fields": [...]}}``. They run in this function's transaction: if one
fails, nothing is erased. The texts sent to and from the member's number are erased by messaging,
a layer below, called directly.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.crypto import seal
from rangkul.core.errors import Conflict, PermissionDenied, ValidationFailed
from rangkul.messaging.erasure import messages_erase_number
from rangkul.registry.errors import RegistryErrorCode
from rangkul.registry.models import ErasureRequest, ErasureRequestStatus, Heir, Worker, WorkerStatus

ANONYMOUS_NAME = "Anonim"
# The fields replaced (named in the audit row, never their values).
ERASED_WORKER_FIELDS = (
    "full_name",
    "nik",
    "birth_date",
    "phone",
    "email",
    "address",
    "postal_code",
    "identity_warnings",
)
ERASED_HEIR_FIELDS = ("full_name", "nik", "birth_date", "phone")
PERMISSION = "accounts.anonymise_worker"


def worker_refuse_if_anonymised(worker: Worker) -> None:
    """Personal data, once erased, is not written back by an edit, an heir or a new number.

    Reads the stored status: the caller's object may predate the erasure.
    """
    status = Worker.objects.filter(pk=worker.pk).values_list("status", flat=True).first()
    if status == WorkerStatus.ANONYMISED:
        raise Conflict(
            _("This member's personal data has already been erased."), code=RegistryErrorCode.ALREADY_ANONYMISED
        )


def erasure_blockers() -> list[Callable[[Worker], str]]:
    return [import_string(path) for path in settings.REGISTRY_ERASURE_BLOCKERS]


ErasureStep = Callable[[Worker], dict[str, dict[str, Any]]]


def erasure_steps() -> list[ErasureStep]:
    return [import_string(path) for path in settings.REGISTRY_ERASURE_STEPS]


def _erase_elsewhere(worker: Worker) -> dict[str, dict[str, Any]]:
    """The member's data held outside the registry: messages to and from their number, then each step."""
    shared = (
        bool(worker.phone)
        and Worker.objects.filter(phone=worker.phone, status=WorkerStatus.ACTIVE).exclude(pk=worker.pk).exists()
    )
    done = dict(messages_erase_number(phone=worker.phone, keep_number=shared))
    for step in erasure_steps():
        done.update(step(worker))
    return done


def worker_erasure_refusals(*, worker: Worker) -> list[str]:
    """Why the member's data cannot be erased now (an open claim, …); empty when it can."""
    return [reason for blocker in erasure_blockers() if (reason := blocker(worker))]


def _require_permission(actor: Actor) -> None:
    if not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("You are not allowed to erase members' personal data."))


def _refuse_unless_erasable(worker: Worker) -> None:
    worker_refuse_if_anonymised(worker)
    if worker.status != WorkerStatus.ACTIVE:
        raise Conflict(
            _("Only an active record can be erased; erase the record it was merged into."),
            code=RegistryErrorCode.NOT_ACTIVE,
        )
    refusals = worker_erasure_refusals(worker=worker)
    if refusals:
        raise Conflict(" ".join(refusals), code=RegistryErrorCode.ERASURE_BLOCKED)


@transaction.atomic
def worker_erasure_request(*, actor: Actor, worker: Worker, reason: str) -> ErasureRequest:
    """Record the member's request to erase their personal data; a second administrator confirms it.

    Refused at once when the erasure could not be done (already erased, merged, an open claim), so
    the member hears it now rather than when the second administrator looks.
    """
    _require_permission(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give the reason for the erasure."), fields={"reason": [_("Give the reason for the erasure.")]}
        )
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    _refuse_unless_erasable(worker)
    if ErasureRequest.objects.filter(worker=worker, status=ErasureRequestStatus.PENDING).exists():
        raise Conflict(
            _("An erasure of this member already awaits a second administrator."),
            code=RegistryErrorCode.ERASURE_PENDING,
        )
    request = ErasureRequest.objects.create(worker=worker, reason=reason[:255], requested_by=actor.user)
    audit_record(
        actor=actor,
        action="registry.worker_erasure_requested",
        subject=worker,
        after={"request": request.pk},
        reason=reason,
    )
    return request


@transaction.atomic
def worker_erasure_confirm(*, actor: Actor, erasure_request: ErasureRequest) -> Worker:
    """A second administrator carries out a recorded request: the personal data goes now."""
    _require_permission(actor)
    request = ErasureRequest.objects.select_for_update().get(pk=erasure_request.pk)
    if request.status != ErasureRequestStatus.PENDING:
        raise Conflict(_("This erasure request has already been decided."), code=RegistryErrorCode.ERASURE_DECIDED)
    if request.requested_by_id == actor.user.pk:
        raise PermissionDenied(_("Another administrator must confirm the erasure you asked for."))
    worker = _anonymise(actor=actor, worker=request.worker, reason=request.reason, request=request)
    request.status = ErasureRequestStatus.DONE
    request.decided_by = actor.user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return worker


@transaction.atomic
def worker_erasure_withdraw(*, actor: Actor, erasure_request: ErasureRequest, reason: str) -> ErasureRequest:
    """Withdraw a request that waits (the member changed their mind, or it was recorded by mistake)."""
    _require_permission(actor)
    request = ErasureRequest.objects.select_for_update().get(pk=erasure_request.pk)
    if request.status != ErasureRequestStatus.PENDING:
        raise Conflict(_("This erasure request has already been decided."), code=RegistryErrorCode.ERASURE_DECIDED)
    request.status = ErasureRequestStatus.WITHDRAWN
    user = actor.user
    request.decided_by = user if user.pk != request.requested_by_id else None
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="registry.worker_erasure_withdrawn",
        subject=request.worker,
        after={"request": request.pk},
        reason=(reason or "").strip(),
    )
    return request


def _anonymise(*, actor: Actor, worker: Worker, reason: str, request: ErasureRequest) -> Worker:
    """Replace the member's and their heirs' personal data by anonymous values; keep money records.

    The audit row names the fields replaced and the rows other apps changed, never their values.
    """
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    _refuse_unless_erasable(worker)

    elsewhere = _erase_elsewhere(worker)
    worker.full_name = ANONYMOUS_NAME
    worker.name_normalized = ""
    # The year of birth stays for age statistics; the day and month go.
    worker.birth_date = dt.date(worker.birth_date.year, 1, 1)
    worker.phone = ""
    worker.phone_verified_at = None
    worker.email = ""
    worker.address = ""
    worker.postal_code = ""
    worker.identity_warnings = []
    # The NIK is gone: an empty sealed value, and a random lookup hash that matches no NIK (the
    # hash stays unique), so the person can register again later if they wish.
    worker.nik_sealed = seal("", purpose="nik")
    worker.nik_hash = secrets.token_hex(32)
    worker.status = WorkerStatus.ANONYMISED
    worker.save()
    heirs = Heir.objects.filter(worker=worker).update(
        full_name=ANONYMOUS_NAME, birth_date=None, nik_sealed="", nik_hash="", phone=""
    )
    audit_record(
        actor=actor,
        action="registry.worker_anonymised",
        subject=worker,
        after={
            "fields": list(ERASED_WORKER_FIELDS),
            "heirs": heirs,
            "heir_fields": list(ERASED_HEIR_FIELDS),
            "elsewhere": elsewhere,
            "request": request.pk,
            "requested_by": str(request.requested_by),
        },
        reason=reason,
    )
    return worker
