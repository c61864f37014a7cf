from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch

from rangkul.accounts.forms import StaffLoginForm


class StaffLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True


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
