"""Partner pages: members, imports, upload, progress, reports. Thin: selectors and services do the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.contributions.selectors import worker_status
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.htmx import is_htmx, render_page_or_fragment, search_recall, search_remember
from rangkul.partners.consent import membership_consent_record
from rangkul.partners.forms import (
    AttestationForm,
    ImportUploadForm,
    MemberFilterForm,
    OrganisationForm,
    OrganisationUserForm,
)
from rangkul.partners.importing.parse import template_csv, template_xlsx
from rangkul.partners.importing.report import report_csv_lines, report_xlsx_file
from rangkul.partners.models import ImportJob, MemberConsent, Organisation
from rangkul.partners.selectors import (
    import_job_get_for_user,
    import_job_list_for_user,
    import_report_rows,
    import_rows_per_second,
    membership_list_for_user,
    membership_pending_list,
    organisation_for_user,
    organisation_get,
    organisation_list,
    user_manages_all_partners,
)
from rangkul.partners.services import (
    import_job_cancel,
    import_job_create,
    import_job_enqueue,
    import_job_resume,
    organisation_create,
    organisation_set_phone_attestation,
    organisation_user_add,
)

PAGE_SIZE = 50
CONTRIBUTION_STATUS_LABELS = {
    "registered": gettext_lazy("Registered, nothing paid yet"),
    "active": gettext_lazy("Active (protected)"),
    "in_arrears": gettext_lazy("In arrears"),
    "ended": gettext_lazy("Ended (arrears too old)"),
}
View = Callable[..., HttpResponseBase]


def partner_required(view: View) -> View:
    """A partner admin of an organisation, or back-office staff who manage partners."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.has_perm("accounts.manage_partner"):
            raise DjangoPermissionDenied
        organisation = organisation_for_user(user)
        if organisation is None and not user_manages_all_partners(user):
            raise DjangoPermissionDenied
        request.partner_organisation = organisation  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _organisation(request: HttpRequest) -> Organisation | None:
    return getattr(request, "partner_organisation", None)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return import_job_get_for_user(user=request.user, job_id=job_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@partner_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    return render(
        request,
        "partners/home.html",
        {
            "organisation": organisation,
            "members": membership_list_for_user(user=request.user).count(),
            "imports": import_job_list_for_user(user=request.user)[:5],
        },
    )


@partner_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    """Members, filtered; a search by name or NIK is POSTed and shown under an opaque token."""
    token = ""
    data: dict[str, str] | None = None
    if request.method == "POST":
        data = {"q": request.POST.get("q", ""), "status": request.POST.get("status", "")}
        token = search_remember(request, scope="partners", data=data)
        if not is_htmx(request):
            return redirect(f"{reverse('partners:members')}?s={token}")
    elif request.GET.get("s"):
        token = request.GET["s"]
        data = search_recall(request, scope="partners", token=token)
        token = token if data is not None else ""
    elif request.GET.get("status"):
        data = {"q": "", "status": request.GET["status"]}
    form = MemberFilterForm(data)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    memberships = membership_list_for_user(user=request.user, q=filters.get("q", ""), status=filters.get("status", ""))
    page = Paginator(memberships, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for membership in page.object_list:
        if membership.consent == MemberConsent.PENDING:
            continue  # until the member agrees, the partner sees only what it supplied
        # Contribution status (registered / active / in arrears / ended) for the rows on this page only.
        status = worker_status(worker=membership.worker, today=today).status
        membership.contribution_status = CONTRIBUTION_STATUS_LABELS.get(status, status)
    query = QueryDict(mutable=True)
    if token:
        query["s"] = token
    elif data and data.get("status"):
        query["status"] = data["status"]
    response = render_page_or_fragment(
        request,
        page="partners/members.html",
        fragment="partners/_members.html",
        context={"form": form, "page": page, "query": query.urlencode(), "organisation": _organisation(request)},
    )
    if token and is_htmx(request):
        response["HX-Push-Url"] = f"{reverse('partners:members')}?s={token}"
    return response


@partner_required
@require_GET
def imports(request: HttpRequest) -> HttpResponse:
    page = Paginator(import_job_list_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "partners/imports.html", {"page": page, "organisation": _organisation(request)})


@partner_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    if user_manages_all_partners(request.user):
        organisation = None  # back office chooses the organisation
    form = ImportUploadForm(request.POST or None, request.FILES or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            job, created = import_job_create(
                actor=Actor.for_user(request.user),
                organisation=form.organisation_choice(),
                upload=form.cleaned_data["file"],
                name=form.cleaned_data["file"].name,
                skip_phone_verification=form.cleaned_data.get("skip_phone_verification", False),
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            if not job.is_finished:
                import_job_enqueue(job=job)
            if not created:
                messages.info(request, _("This file was uploaded before; its import continues where it stopped."))
            return redirect("partners:import_detail", job_id=job.pk)
    return render(request, "partners/upload.html", {"form": form, "organisation": organisation})


@partner_required
@require_GET
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render_page_or_fragment(
        request,
        page="partners/import_detail.html",
        fragment="partners/_progress.html",
        context={"job": job, "rate": import_rows_per_second(job, now=timezone.now())},
    )


@partner_required
@require_POST
def import_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        import_job_cancel(actor=Actor.for_user(request.user), job=job)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _("The import was stopped. Rows already imported stay; upload the same file to go on."))
    return redirect("partners:import_detail", job_id=job.pk)


@partner_required
@require_POST
def import_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        import_job_resume(actor=Actor.for_user(request.user), job=job)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _("The import continues after the last row it saved."))
    return redirect("partners:import_detail", job_id=job.pk)


def _report_name(job: ImportJob, extension: str) -> str:
    return f"laporan-impor-{job.pk}.{extension}"


@partner_required
@require_GET
def import_report_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = _job(request, job_id)
    response = StreamingHttpResponse(
        report_csv_lines(import_report_rows(job=job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_report_name(job, "csv")}"'
    return response


class _DeletingFile:
    """Streams a temporary file and removes it when the response is closed."""

    def __init__(self, path: Any) -> None:
        self.path = path
        self.handle = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


@partner_required
@require_GET
def import_report_xlsx(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    path = report_xlsx_file(import_report_rows(job=job))
    return FileResponse(
        _DeletingFile(path),  # type: ignore[arg-type]
        as_attachment=True,
        filename=_report_name(job, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
def template_download(request: HttpRequest, extension: str) -> HttpResponse:
    """The blank template with an example row; public, it holds no personal data."""
    if extension == "xlsx":
        content = template_xlsx()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = template_csv()
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="templat-peserta-rangkul.{extension}"'
    return response


def back_office_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not user_manages_all_partners(request.user):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@back_office_required
@require_http_methods(["GET", "POST"])
def organisations(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = organisation_create(
                actor=Actor.for_user(request.user),
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                region_code=data["region_code"] or None,
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                branch=data["branch"],
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The organisation was created."))
            return redirect("partners:organisation_detail", code=organisation.code)
    return render(request, "partners/organisations.html", {"form": form, "organisations": organisation_list()})


@back_office_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        organisation = organisation_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    user_form = OrganisationUserForm(request.POST if "add_user" in request.POST else None)
    attestation_form = AttestationForm(
        request.POST if "attestation" in request.POST else None,
        initial={"attests": organisation.attests_phone_verification},
    )
    if request.method == "POST":
        if "add_user" in request.POST and user_form.is_valid():
            user = get_user_model().objects.filter(username=user_form.cleaned_data["username"]).first()
            if user is None:
                user_form.add_error("username", _("No user with this username."))
            else:
                organisation_user_add(actor=Actor.for_user(request.user), organisation=organisation, user=user)
                messages.success(request, _("The user now acts for this organisation."))
                return redirect("partners:organisation_detail", code=organisation.code)
        elif "consent" in request.POST:
            membership = membership_pending_list(organisation=organisation).filter(pk=request.POST["consent"]).first()
            if membership is None:
                raise Http404
            membership_consent_record(actor=Actor.for_user(request.user), membership=membership, via="branch")
            messages.success(request, _("The member's consent was recorded."))
            return redirect("partners:organisation_detail", code=organisation.code)
        elif "attestation" in request.POST and attestation_form.is_valid():
            organisation_set_phone_attestation(
                actor=Actor.for_user(request.user),
                organisation=organisation,
                attests=attestation_form.cleaned_data["attests"],
            )
            messages.success(request, _("The attestation was recorded."))
            return redirect("partners:organisation_detail", code=organisation.code)
    return render(
        request,
        "partners/organisation_detail.html",
        {
            "organisation": organisation,
            "users": organisation.users.select_related("user"),
            "user_form": user_form,
            "attestation_form": attestation_form,
            "pending": membership_pending_list(organisation=organisation)[:200],
        },
    )
