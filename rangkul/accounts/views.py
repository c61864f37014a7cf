from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rangkul.accounts.forms import StaffLoginForm, TotpCodeForm
from rangkul.accounts.models import User
from rangkul.accounts.totp import totp_enable, totp_provisioning_svg, totp_secret_new, totp_verify
from rangkul.core.crypto import SealError, seal, unseal
from rangkul.core.errors import ApplicationError

TOTP_PENDING = "_totp_pending"
TOTP_SETUP = "_totp_setup"
TOTP_PENDING_SECONDS = 300


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: StaffLoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if not user.has_totp:
            return super().form_valid(form)
        # Password right; the session is not logged in until the authenticator code is too.
        self.request.session[TOTP_PENDING] = {
            "user": user.pk,
            "at": int(time.time()),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_code")


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step of a staff login: the 6-digit code from the authenticator app."""
    pending = request.session.get(TOTP_PENDING) or {}
    if not pending or int(time.time()) - int(pending.get("at", 0)) > TOTP_PENDING_SECONDS:
        request.session.pop(TOTP_PENDING, None)
        messages.error(request, _("Please log in again."))
        return redirect("accounts:login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(TOTP_PENDING, None)
        return redirect("accounts:login")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_verify(user=user, code=form.cleaned_data["code"]):
            request.session.pop(TOTP_PENDING, None)
            auth_login(request, user, backend="rangkul.accounts.backends.LockoutModelBackend")
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            return redirect(target or "accounts:start")
        user.refresh_from_db(fields=["locked_until"])
        if user.is_locked():
            request.session.pop(TOTP_PENDING, None)
            form.add_error(None, _("Too many failed attempts. This account is locked for a while."))
        else:
            form.add_error("code", _("That code is not right. Type the newest code from your app."))
    return render(request, "accounts/login_code.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the QR code, then confirm with one code."""
    user = request.user
    secret: str | None = None
    sealed = request.session.get(TOTP_SETUP)
    if sealed and request.method == "POST":
        try:
            secret = unseal(sealed, purpose="totp_setup")
        except SealError:
            secret = None  # an old or altered session: start again with a new key
    if secret is None or request.method == "GET":
        secret = totp_secret_new()
        request.session[TOTP_SETUP] = seal(secret, purpose="totp_setup")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            totp_enable(user=user, secret=secret, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            request.session.pop(TOTP_SETUP, None)
            messages.success(request, _("Your authenticator app is set up. You will need a code at every login."))
            return redirect("accounts:start")
    context = {
        "form": form,
        "qr_svg": totp_provisioning_svg(user=user, secret=secret),  # type: ignore[arg-type]
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "already": user.has_totp,  # type: ignore[union-attr]
    }
    response = render(request, "accounts/totp_setup.html", context)
    response["Cache-Control"] = "no-store"
    return response


class StaffLogoutView(auth_views.LogoutView):
    pass


# Where each kind of user starts after logging in, in order of precedence. Apps that add
# pages for a role add their start page here.
START_PAGES = [
    ("accounts.access_office", "office:home"),
    ("accounts.manage_partner", "partners:home"),
    ("accounts.manage_sponsorship", "sponsors:home"),
    ("accounts.collect_contributions", "agents:home"),
]


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Send a user who just logged in to the pages their role works in."""
    for permission, url_name in START_PAGES:
        if request.user.has_perm(permission):
            try:
                return redirect(url_name)
            except NoReverseMatch:
                continue
    return redirect("core:landing")
