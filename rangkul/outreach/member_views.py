"""A member stops (or resumes) campaign and reminder messages: from the portal, or from the link in a message.

The link carries a signed member id (``optout_links.optout_url``), never a phone number or NIK; following it
shows a confirmation page and only the POST records the opt-out, so a link preview fetched
by a messaging app stops nothing by itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rangkul.messaging.models import OptOutSource
from rangkul.messaging.optout import is_opted_out, optout_cancel, optout_record
from rangkul.outreach.optout_links import optout_worker_id
from rangkul.registry.models import Worker, WorkerStatus
from rangkul.registry.sessions import worker_required


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    worker_id = optout_worker_id(token)
    worker = Worker.objects.filter(pk=worker_id, status=WorkerStatus.ACTIVE).first() if worker_id else None
    if worker is None:
        raise Http404(_("This link is not valid."))
    done = False
    if request.method == "POST":
        optout_record(phone=worker.phone, source=OptOutSource.LINK)
        done = True
    return render(request, "outreach/unsubscribe.html", {"done": done or is_opted_out(worker.phone)})


@worker_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    if request.method == "POST":
        if request.POST.get("messages") == "stop":
            optout_record(phone=worker.phone, source=OptOutSource.PORTAL)
            messages.success(request, _("You will get no more campaign messages or reminders."))
        else:
            optout_cancel(phone=worker.phone)
            messages.success(request, _("You will get campaign messages and reminders again."))
        return redirect("outreach_member:preferences")
    return render(request, "outreach/preferences.html", {"opted_out": is_opted_out(worker.phone)})
