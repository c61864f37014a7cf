from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rangkul.audit.forms import AuditFilterForm
from rangkul.audit.selectors import audit_event_list
from rangkul.core.htmx import render_page_or_fragment

PAGE_SIZE = 50


@login_required
@permission_required("accounts.view_audit_log", raise_exception=True)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = audit_event_list()
    if form.is_bound and form.is_valid():
        events = audit_event_list(**{k: v for k, v in form.cleaned_data.items() if v})
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page_or_fragment(
        request,
        page="audit/log.html",
        fragment="audit/_results.html",
        context={"form": form, "page": page, "query": query.urlencode()},
    )
