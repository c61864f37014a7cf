"""Back office: referral codes with their registrations and payments, and each code's printable flyer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.outreach.campaigns import RUN_PERMISSION
from rangkul.outreach.facts import facts_current
from rangkul.outreach.flyer_pdf import flyer_pdf
from rangkul.outreach.forms import ReferralForm
from rangkul.outreach.models import ReferralCode
from rangkul.outreach.referrals import referral_code_create, referral_counts, referral_link


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def referrals(request: HttpRequest) -> HttpResponse:
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_code_create(actor=Actor.for_user(request.user), **form.cleaned_data)
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Referral code %(code)s created.") % {"code": referral.code})
            return redirect("outreach_office:referrals")
    rows = [(row, referral_link(row.referral.code)) for row in referral_counts()]
    return render(request, "outreach/referral_list.html", {"form": form, "rows": rows})


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_GET
def referral_flyer(request: HttpRequest, code: str) -> HttpResponse:
    referral = ReferralCode.objects.filter(code=code).first()
    if referral is None:
        raise Http404(_("Referral code not found."))
    language = request.GET.get("lang") if request.GET.get("lang") in {"id", "en"} else None
    response = HttpResponse(
        flyer_pdf(referral, facts=facts_current(), language=language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="rangkul-{referral.code}.pdf"'
    return response
