"""Partner imports over HTTP: upload a file (202 + status URL), then poll its status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from rangkul.accounts.api_auth import KEY_OR_SESSION
from rangkul.audit.actors import Actor, ActorKind
from rangkul.core.api_errors import ErrorOut
from rangkul.core.errors import PermissionDenied, ValidationFailed
from rangkul.partners.models import ImportJob, Organisation
from rangkul.partners.selectors import (
    import_job_get_for_api_key,
    import_job_get_for_user,
    organisation_for_api_key,
    organisation_for_user,
)
from rangkul.partners.services import import_job_create, import_job_enqueue

router = Router(tags=["imports"])


class ImportStatusOut(Schema):
    id: int
    status: str
    status_url: str
    file_name: str
    organisation: str
    rows: int
    processed: int
    imported: int
    rejected: int
    duplicates: int
    percent: int
    error: str
    created_at: str
    finished_at: str | None


def _status(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_url": request.build_absolute_uri(reverse("api:import_status", kwargs={"job_id": job.pk})),
        "file_name": job.original_name,
        "organisation": job.organisation.code if job.organisation else "",
        "rows": job.rows,
        "processed": job.processed,
        "imported": job.imported,
        "rejected": job.rejected,
        "duplicates": job.duplicates,
        "percent": job.percent,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _caller(request: HttpRequest) -> tuple[Actor, Organisation | None]:
    """Who acts and for which organisation: an API key with an organisation code, or a partner's session.

    An import names the key by its name (``api_key:<name>``), as partners see it in their list of imports.
    """
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return Actor(ActorKind.API_KEY, api_key.prefix, f"api_key:{api_key.name}"), organisation_for_api_key(api_key)
    user = request.user
    if not user.has_perm("accounts.manage_partner"):
        return Actor.for_user(user), None
    return Actor.for_user(user), organisation_for_user(user)


@router.post(
    "",
    response={202: ImportStatusOut, 403: ErrorOut, 422: ErrorOut},
    auth=KEY_OR_SESSION,
    summary="Upload a CSV or XLSX file of workers to import",
    description="Multipart form with `file`. Runs in the background: poll `status_url`. "
    "Uploading the same file again continues the earlier import and registers nobody twice.",
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    skip_phone_verification: Form[bool] = False,
) -> Status:
    actor, organisation = _caller(request)
    if organisation is None:
        raise PermissionDenied(_("Only a partner organisation's API key or user can import members."))
    if file.size is not None and file.size > settings.PARTNER_IMPORT_MAX_BYTES:
        raise ValidationFailed(
            _("The file is too large; split it into several files."),
            fields={"file": [_("The file is too large; split it into several files.")]},
        )
    job, _created = import_job_create(
        actor=actor,
        organisation=organisation,
        upload=file,
        name=file.name or "import.csv",
        skip_phone_verification=skip_phone_verification,
    )
    if not job.is_finished:
        import_job_enqueue(job=job)
    return Status(202, _status(request, job))


@router.get(
    "/{job_id}",
    response={200: ImportStatusOut, 404: ErrorOut},
    auth=KEY_OR_SESSION,
    url_name="import_status",
    summary="Status and counters of an import",
)
def import_status(request: HttpRequest, job_id: int) -> dict[str, Any]:
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        job = import_job_get_for_api_key(api_key=api_key, job_id=job_id)
    else:
        job = import_job_get_for_user(user=request.user, job_id=job_id)
    return _status(request, job)
