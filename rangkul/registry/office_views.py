"""Back-office pages for workers (peserta): search, detail, edit, registration, heirs, duplicates.

Thin: parse a form, call a selector or service, render. The scope (branch
staff see their branch's regency) is the selectors'; a worker outside it is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.audit.selectors import audit_events_for
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.core.htmx import is_htmx, render_page_or_fragment, search_recall, search_remember
from rangkul.regions.forms import REFRESH_FIELD
from rangkul.registry import services
from rangkul.registry.forms import (
    DuplicateMergeForm,
    DuplicateResolveForm,
    HeirForm,
    OfficeRegistrationForm,
    WorkerEditForm,
    WorkerSearchForm,
    add_service_error,
)
from rangkul.registry.identity import WARNING_MESSAGES
from rangkul.registry.models import Channel, PossibleDuplicate, Worker
from rangkul.registry.selectors import (
    duplicate_get_for_user,
    duplicate_list_for_user,
    heir_get,
    heir_list,
    worker_get_for_user,
    worker_search,
)

PAGE_SIZE = 25
AUDIT_ROWS = 50

View = Callable[..., HttpResponse]


def office_view(permission: str = "") -> Callable[[View], View]:
    """Login, back-office access, an optional extra permission; NotFound from a selector becomes a 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(str(exc.message)) from exc

        guarded = permission_required("accounts.access_office", raise_exception=True)(wrapped)
        if permission:
            guarded = permission_required(permission, raise_exception=True)(guarded)
        return login_required(guarded)

    return decorator


def _worker(request: HttpRequest, membership_number: str) -> Worker:
    return worker_get_for_user(user=request.user, membership_number=membership_number)


@office_view()
@require_http_methods(["GET", "POST"])
def worker_search_view(request: HttpRequest) -> HttpResponse:
    """Search by NIK, number, phone or name: POSTed, then shown under an opaque token (never the terms).

    Region and branch alone may still come as query parameters; ``q`` never does.
    """
    fields = ("q", "region", "branch")
    token = ""
    expired = False
    data: dict[str, str] | None = None
    if request.method == "POST":
        data = {name: request.POST.get(name, "") for name in fields}
        token = search_remember(request, scope="registry", data=data)
        if not is_htmx(request):
            return redirect(f"{reverse('registry:search')}?s={token}")
    elif request.GET.get("s"):
        token = request.GET["s"]
        data = search_recall(request, scope="registry", token=token)
        if data is None:  # another session's token, or one pushed out by newer searches
            messages.info(request, _("That search has expired. Please search again."))
            token = ""
            data = {"q": "", "region": "", "branch": ""}
            expired = True
    elif request.GET.get("region") or request.GET.get("branch"):
        data = {"q": "", "region": request.GET.get("region", ""), "branch": request.GET.get("branch", "")}
    form = WorkerSearchForm(data)
    workers = worker_search(user=request.user)
    if form.is_bound and form.is_valid():
        cleaned = form.cleaned_data
        workers = worker_search(
            user=request.user, q=cleaned["q"], region_code=cleaned["region"], branch=cleaned["branch"]
        )
    if expired or (form.is_bound and not form.is_valid()):
        workers = workers.none()
    page = Paginator(workers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = QueryDict(mutable=True)
    if token:
        query["s"] = token
    elif data:
        query.update({k: v for k, v in data.items() if v and k != "q"})
    response = render_page_or_fragment(
        request,
        page="registry/office_search.html",
        fragment="registry/office_search_results.html",
        context={"form": form, "page": page, "query": query.urlencode()},
    )
    if token and is_htmx(request):
        response["HX-Push-Url"] = f"{reverse('registry:search')}?s={token}"
    return response


def _detail_context(request: HttpRequest, worker: Worker, **extra: Any) -> dict[str, Any]:
    duplicates = PossibleDuplicate.objects.select_related("worker", "other").filter(worker=worker) | (
        PossibleDuplicate.objects.select_related("worker", "other").filter(other=worker)
    )
    return {
        "worker": worker,
        "heirs": heir_list(worker=worker),
        "warnings": [WARNING_MESSAGES.get(code, code) for code in worker.identity_warnings or []],
        "duplicates": duplicates.order_by("-created_at")[:20],
        "events": audit_events_for(subject_type=worker._meta.label_lower, subject_id=str(worker.pk)).order_by(
            "-occurred_at", "-pk"
        )[:AUDIT_ROWS],
        **extra,
    }


@office_view()
@require_GET
def worker_detail_view(request: HttpRequest, membership_number: str) -> HttpResponse:
    worker = _worker(request, membership_number)
    return render(request, "registry/office_detail.html", _detail_context(request, worker))


@never_cache
@office_view("accounts.reveal_nik")
@require_POST
def worker_reveal_nik_view(request: HttpRequest, membership_number: str) -> HttpResponse:
    """Shows the full NIK once, in this response only: never in a URL, never cached."""
    worker = _worker(request, membership_number)
    nik = services.worker_reveal_nik(actor=Actor.for_user(request.user), worker=worker)
    response = render(request, "registry/office_detail.html", _detail_context(request, worker, revealed_nik=nik))
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@office_view("accounts.reveal_nik")
@require_POST
def worker_export_view(request: HttpRequest, membership_number: str) -> HttpResponse:
    """All of one person's data as JSON, for an access request made at the branch (UU 27/2022)."""
    worker = _worker(request, membership_number)
    data = services.worker_export_data(actor=Actor.for_user(request.user), worker=worker)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="rangkul-{worker.membership_number}.json"'
    response["Cache-Control"] = "no-store"
    return response


@office_view("accounts.register_worker")
@require_http_methods(["GET", "POST"])
def worker_edit_view(request: HttpRequest, membership_number: str) -> HttpResponse:
    worker = _worker(request, membership_number)
    initial = WorkerEditForm.initial_for(worker)
    if request.method == "POST":
        form = WorkerEditForm(request.POST, initial=initial)
        if REFRESH_FIELD not in request.POST and not form.is_valid():
            # One round: the registry's rules on the fields the form could read, beside its own errors.
            try:
                services.worker_update_check(worker=worker, changes=form.readable_changes())
            except ApplicationError as exc:
                add_service_error(form, exc, keep_form_errors=True)
        elif REFRESH_FIELD not in request.POST:
            changes = form.changes()
            if not changes:
                messages.info(request, _("Nothing was changed."))
                return redirect("registry:detail", membership_number=worker.membership_number)
            try:
                services.worker_update(
                    actor=Actor.for_user(request.user),
                    worker=worker,
                    changes=changes,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The worker's data was saved."))
                return redirect("registry:detail", membership_number=worker.membership_number)
    else:
        form = WorkerEditForm(initial=initial)
    return render(request, "registry/office_edit.html", {"worker": worker, "form": form})


@office_view("accounts.register_worker")
@require_http_methods(["GET", "POST"])
def worker_register_view(request: HttpRequest) -> HttpResponse:
    user_branch = getattr(request.user, "branch", None)
    if request.method == "POST":
        form = OfficeRegistrationForm(request.POST)
        if REFRESH_FIELD not in request.POST and form.is_valid():
            try:
                worker = services.worker_register(
                    actor=Actor.for_user(request.user),
                    data=form.registration_input(),
                    channel=Channel.OFFICE,
                    phone_verified=form.cleaned_data.get("phone_verified", False),
                    branch=form.cleaned_data.get("branch") or user_branch,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Registered. Membership number: %(number)s.") % {"number": worker.membership_number},
                )
                return redirect("registry:detail", membership_number=worker.membership_number)
    else:
        form = OfficeRegistrationForm(initial={"branch": user_branch})
    return render(request, "registry/office_register.html", {"form": form})


@office_view("accounts.register_worker")
@require_http_methods(["GET", "POST"])
def heir_edit_view(request: HttpRequest, membership_number: str, heir_id: int | None = None) -> HttpResponse:
    worker = _worker(request, membership_number)
    heir = heir_get(worker=worker, heir_id=heir_id) if heir_id is not None else None
    initial = (
        {
            "full_name": heir.full_name,
            "relationship": heir.relationship,
            "birth_date": heir.birth_date,
            "phone": heir.phone,
        }
        if heir
        else {}
    )
    form = HeirForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if heir is None:
                services.heir_add(actor=Actor.for_user(request.user), worker=worker, data=form.heir_input())
            else:
                services.heir_update(
                    actor=Actor.for_user(request.user), worker=worker, heir=heir, data=form.heir_input()
                )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The heir was saved."))
            return redirect("registry:detail", membership_number=worker.membership_number)
    return render(request, "registry/office_heir_form.html", {"worker": worker, "heir": heir, "form": form})


@office_view("accounts.register_worker")
@require_POST
def heir_remove_view(request: HttpRequest, membership_number: str, heir_id: int) -> HttpResponse:
    worker = _worker(request, membership_number)
    heir = heir_get(worker=worker, heir_id=heir_id)
    services.heir_remove(actor=Actor.for_user(request.user), worker=worker, heir=heir)
    messages.success(request, _("The heir was removed."))
    return redirect("registry:detail", membership_number=worker.membership_number)


@office_view()
@require_GET
def duplicate_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in {"open", "merged", "dismissed"}:
        status = "open"
    page = Paginator(duplicate_list_for_user(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "registry/office_duplicates.html",
        {"page": page, "status": status, "form": DuplicateResolveForm()},
    )


@office_view("accounts.register_worker")
@require_http_methods(["GET", "POST"])
def duplicate_merge_view(request: HttpRequest, duplicate_id: int) -> HttpResponse:
    """Shows the facts that decide whether two records are one person, and merges only when confirmed."""
    duplicate = duplicate_get_for_user(user=request.user, duplicate_id=duplicate_id)
    form = DuplicateMergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.duplicate_merge(
                actor=Actor.for_user(request.user), duplicate=duplicate, note=form.cleaned_data["note"]
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The newer record was merged into the older one."))
            return redirect("registry:duplicates")
    stays, merged = duplicate.merge_order()
    return render(
        request,
        "registry/office_merge.html",
        {"duplicate": duplicate, "stays": stays, "merged": merged, "form": form},
        status=422 if form.errors else 200,
    )


@office_view("accounts.register_worker")
@require_POST
def duplicate_dismiss_view(request: HttpRequest, duplicate_id: int) -> HttpResponse:
    duplicate = duplicate_get_for_user(user=request.user, duplicate_id=duplicate_id)
    form = DuplicateResolveForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.duplicate_dismiss(actor=Actor.for_user(request.user), duplicate=duplicate, note=note)
        messages.success(request, _("Marked as two different people."))
    except ApplicationError as exc:
        detail = "; ".join(m for msgs in exc.fields.values() for m in msgs) or str(exc.message)
        messages.error(request, detail)
    return redirect("registry:duplicates")
