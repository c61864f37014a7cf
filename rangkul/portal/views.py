"""The worker-facing portal: log-in by one-time code.

The registration wizard is in ``registration_views``, "Akun saya" in ``account_views``.
Views are thin: they validate forms, call the registry and OTP services, and show errors next to
the right field. Every page is a plain form flow that works with JavaScript off.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rangkul.accounts.otp import otp_issue, otp_verify
from rangkul.core.crypto import mask_phone
from rangkul.core.errors import ApplicationError
from rangkul.core.middleware import client_ip
from rangkul.portal.forms import CodeForm, PhoneForm
from rangkul.registry.selectors import worker_find_by_phone, workers_active_among
from rangkul.registry.sessions import portal_login, portal_logout, portal_worker

LOGIN_PHONE_KEY = "portal_login_phone"
LOGIN_CHOICES_KEY = "portal_login_choices"
MAX_CHOICES = 10


@require_http_methods(["GET", "POST"])
def login_phone(request: HttpRequest) -> HttpResponse:
    if portal_worker(request) is not None:
        return redirect("portal:account")
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            # Only registered numbers get a text, but the rest is the same either way (limits,
            # message, the code page): the answer does not tell whether the number is registered.
            otp_issue(
                phone=phone,
                purpose="login",
                deliver=worker_find_by_phone(phone=phone).exists(),
                client_ip=client_ip(request),
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            request.session[LOGIN_PHONE_KEY] = phone
            messages.info(
                request,
                _("If %(phone)s is registered, we sent it a code. It may take a minute.")
                % {"phone": mask_phone(phone)},
            )
            return redirect("portal:login_code")
    return render(request, "portal/login_phone.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(LOGIN_PHONE_KEY)
    if not phone:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp_verify(phone=phone, purpose="login", code=form.cleaned_data["code"])
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            workers = list(worker_find_by_phone(phone=phone).order_by("registered_at", "pk")[:MAX_CHOICES])
            if not workers:
                form.add_error("code", _("No member is registered with this number."))
            elif len(workers) == 1:
                request.session.pop(LOGIN_PHONE_KEY, None)
                portal_login(request, workers[0])
                return redirect("portal:account")
            else:
                # A family may share one phone: the code proved the phone, the person chooses the record.
                request.session.pop(LOGIN_PHONE_KEY, None)
                request.session[LOGIN_CHOICES_KEY] = [w.pk for w in workers]
                return redirect("portal:login_choose")
    return render(request, "portal/login_code.html", {"form": form, "phone_masked": mask_phone(phone)})


@require_http_methods(["GET", "POST"])
def login_choose(request: HttpRequest) -> HttpResponse:
    """Pick one of several records registered with the phone number just verified."""
    choices = request.session.get(LOGIN_CHOICES_KEY) or []
    if not choices:
        return redirect("portal:login")
    workers = workers_active_among(worker_ids=choices)
    if request.method == "POST":
        chosen = next((w for w in workers if str(w.pk) == request.POST.get("worker", "")), None)
        if chosen is not None:
            request.session.pop(LOGIN_CHOICES_KEY, None)
            portal_login(request, chosen)
            return redirect("portal:account")
    return render(request, "portal/login_choose.html", {"workers": workers})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    portal_logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("portal:login")
