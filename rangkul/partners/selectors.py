"""Reads for partners, with the organisation scope applied here and nowhere else.

A partner admin sees only its own organisation's members and imports; back-office
staff who manage partners (accounts.access_office + accounts.manage_partner) see all.
Anything out of scope is reported as not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rangkul.core.crypto import lookup_hash
from rangkul.core.errors import NotFound
from rangkul.partners.models import (
    ImportJob,
    ImportRowResult,
    ImportStatus,
    MemberConsent,
    Membership,
    Organisation,
    RowOutcome,
)
from rangkul.registry import identity
from rangkul.registry.models import Worker


def user_manages_all_partners(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.has_perm("accounts.access_office")
        and user.has_perm("accounts.manage_partner")
    )


def organisation_for_user(user: Any) -> Organisation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Organisation.objects.filter(users__user=user).first()


def organisation_for_api_key(api_key: Any) -> Organisation | None:
    code = (getattr(api_key, "organisation_code", "") or "").strip().lower()
    return Organisation.objects.filter(code=code).first() if code else None


def organisation_get(*, code: str) -> Organisation:
    organisation = Organisation.objects.filter(code=(code or "").strip().lower()).first()
    if organisation is None:
        raise NotFound(_("No partner organisation with this code."))
    return organisation


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def _organisation_scope(user: Any) -> Q | None:
    """None: everything; Q: a filter on organisation; Q(pk__in=[]): nothing."""
    if user_manages_all_partners(user):
        return None
    organisation = organisation_for_user(user)
    if organisation is None or not user.has_perm("accounts.manage_partner"):
        return Q(pk__in=[])
    return Q(organisation=organisation)


def membership_list_for_user(*, user: Any, q: str = "", status: str = "") -> QuerySet[Membership]:
    qs = Membership.objects.select_related("worker", "worker__occupation", "worker__village", "organisation")
    scope = _organisation_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    q = " ".join((q or "").split())
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        if len(digits) == 16 and len(digits) == len(q.replace(" ", "")):
            qs = qs.filter(worker__nik_hash=lookup_hash(digits))
        elif digits and len(digits) == len(q.replace(" ", "")):
            # A member awaiting consent is found by what the partner supplied, never by the registry's number.
            qs = qs.filter(worker__membership_number=digits)
            if scope is not None:
                qs = qs.filter(consent=MemberConsent.GIVEN)
        else:
            qs = qs.filter(worker__name_normalized__contains=identity.name_search_key(q))
    if status:
        qs = qs.filter(worker__status=status)
        if scope is not None:
            qs = qs.filter(consent=MemberConsent.GIVEN)  # the registry's status is not the partner's to see yet
    return qs.order_by("-joined_at", "-pk")


def membership_pending_list(*, organisation: Organisation) -> QuerySet[Membership]:
    """Members the organisation linked who have not agreed yet (back office: the branch records consent)."""
    return (
        Membership.objects.filter(organisation=organisation, consent=MemberConsent.PENDING)
        .select_related("worker")
        .order_by("joined_at", "pk")
    )


def import_job_list_for_user(*, user: Any) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("organisation")
    scope = _organisation_scope(user)
    return qs if scope is None else qs.filter(scope)


def import_job_get_for_user(*, user: Any, job_id: int) -> ImportJob:
    job = import_job_list_for_user(user=user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("This import was not found."))
    return job


def import_job_get_for_api_key(*, api_key: Any, job_id: int) -> ImportJob:
    organisation = organisation_for_api_key(api_key)
    job = ImportJob.objects.filter(pk=job_id, organisation=organisation).first() if organisation else None
    if job is None:
        raise NotFound(_("This import was not found."))
    return job


def import_report_rows(*, job: ImportJob) -> Iterator[ImportRowResult]:
    """Rejected and duplicate rows, in file order, streamed (a million-row report stays small in memory)."""
    return (
        ImportRowResult.objects.filter(job=job)
        .exclude(outcome=RowOutcome.IMPORTED)
        .order_by("row_number", "pk")
        .iterator(chunk_size=2000)
    )


def import_rows_per_second(job: ImportJob, *, now: Any) -> int:
    if job.run_started_at is None:
        return 0
    end = job.finished_at or now
    seconds = (end - job.run_started_at).total_seconds()
    done = job.processed - job.run_start_processed
    return int(done / seconds) if seconds > 0 and done > 0 else 0


def organisation_worker_ids(*, organisation: Organisation, worker_ids: Iterable[int]) -> set[int]:
    """Which of these workers belong to the organisation: its members, or registered by it."""
    ids = list(worker_ids)
    members = set(
        Membership.objects.filter(organisation=organisation, worker_id__in=ids).values_list("worker_id", flat=True)
    )
    registered = set(
        Worker.objects.filter(pk__in=ids, registered_by_organisation=organisation.code).values_list("pk", flat=True)
    )
    return members | registered


def organisation_workers(*, organisation: Organisation) -> QuerySet[Worker]:
    """The organisation's workers: its members and those it registered."""
    return Worker.objects.filter(
        Q(pk__in=Membership.objects.filter(organisation=organisation).values("worker_id"))
        | Q(registered_by_organisation=organisation.code)
    )


def import_job_worker_ids(*, job: ImportJob) -> list[int]:
    """The members a finished import registered or found already registered, in the file's row order."""
    rows = (
        ImportRowResult.objects.filter(
            job=job, outcome__in=[RowOutcome.IMPORTED, RowOutcome.DUPLICATE], worker__isnull=False
        )
        .order_by("row_number", "id")
        .values_list("worker_id", flat=True)
    )
    return list(dict.fromkeys(rows))


def import_jobs_completed(*, organisation: Organisation) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(organisation=organisation, status=ImportStatus.COMPLETED).order_by("-created_at")
