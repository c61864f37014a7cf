"""Back office: campaign list, create with a live count, preview, approval by another person, results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.outreach.campaign_selectors import (
    campaign_audience_count,
    campaign_email_count,
    campaign_get,
    campaign_list,
    campaign_preview,
    campaign_results,
)
from rangkul.outreach.campaigns import APPROVE_PERMISSION, RUN_PERMISSION, campaign_approve, campaign_create
from rangkul.outreach.forms import ApproveForm, CampaignForm, WhatsAppTemplateForm
from rangkul.outreach.models import Campaign, CampaignChannel, CampaignStatus, WhatsAppTemplate
from rangkul.outreach.segments import segment_count
from rangkul.outreach.wa_templates import whatsapp_template_record


def _may_see(request: HttpRequest) -> None:
    if not (request.user.has_perm(RUN_PERMISSION) or request.user.has_perm(APPROVE_PERMISSION)):
        raise PermissionDenied


def _campaign(pk: int) -> Campaign:
    campaign = campaign_get(pk=pk)
    if campaign is None:
        raise Http404(_("Campaign not found."))
    return campaign


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    _may_see(request)
    return render(request, "outreach/campaign_list.html", {"campaigns": campaign_list()[:100]})


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    count = None
    if request.method == "POST" and form.is_valid():
        try:
            segment = form.segment()
            if "count" in request.POST:
                count = segment_count(segment, today=timezone.localdate())
            else:
                data = form.cleaned_data
                campaign = campaign_create(
                    actor=Actor.for_user(request.user),
                    name=data["name"],
                    segment=segment,
                    body_id=data["body_id"],
                    body_en=data["body_en"] or "",
                    scheduled_for=data["scheduled_for"],
                    control_percent=data["control_percent"],
                    conversion_days=data["conversion_days"],
                    channel=data["channel"],
                    whatsapp_template=data["whatsapp_template"] or "",
                    body_b_id=data["body_b_id"] or "",
                    whatsapp_template_b=data["whatsapp_template_b"] or "",
                    fallback_channel=data["fallback_channel"] or "",
                    email_subject=data["email_subject"] or "",
                )
                messages.success(request, _("The campaign is saved and waits for approval by another person."))
                return redirect("outreach_office:campaign", pk=campaign.pk)
        except ApplicationError as exc:
            exc.add_to_form(form)
    return render(request, "outreach/campaign_form.html", {"form": form, "count": count})


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_see(request)
    campaign = _campaign(pk)
    context: dict[str, object] = {"campaign": campaign, "form": ApproveForm()}
    if campaign.status == CampaignStatus.DRAFT:
        context["count"] = campaign_audience_count(campaign)
        context["preview"] = campaign_preview(campaign)
        if campaign.channel == CampaignChannel.EMAIL:
            context["email_count"] = campaign_email_count(campaign)
        context["may_approve"] = request.user.has_perm(APPROVE_PERMISSION) and campaign.created_by_id != request.user.pk
    else:
        context["results"] = campaign_results(campaign)
    return render(request, "outreach/campaign_detail.html", context)


@login_required
@permission_required(APPROVE_PERMISSION, raise_exception=True)
@require_POST
def campaign_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm you checked the campaign."))
        return redirect("outreach_office:campaign", pk=pk)
    try:
        counts = campaign_approve(actor=Actor.for_user(request.user), campaign=campaign)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Approved: %(to_send)s members will get the message, %(control)s are kept as the control group.")
            % counts,
        )
    return redirect("outreach_office:campaign", pk=pk)


@login_required
@permission_required(RUN_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def whatsapp_templates(request: HttpRequest) -> HttpResponse:
    """The templates registered with WhatsApp and Meta's review of each; only approved ones are sendable."""
    form = WhatsAppTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = whatsapp_template_record(actor=Actor.for_user(request.user), **form.cleaned_data)
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(
                request, _("%(name)s: %(status)s.") % {"name": template.name, "status": template.get_status_display()}
            )
            return redirect("outreach_office:whatsapp_templates")
    context = {"form": form, "templates": WhatsAppTemplate.objects.all()}
    return render(request, "outreach/whatsapp_templates.html", context)
