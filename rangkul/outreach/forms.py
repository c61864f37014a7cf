"""Back-office campaign form: segment, message and schedule in one page that works without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.outreach.models import CampaignChannel, FallbackChannel, ReferralKind, TemplateStatus
from rangkul.outreach.segments import Segment, SegmentStatus


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    regions = forms.CharField(
        label=_("Regions"),
        required=False,
        help_text=_("Region codes separated by commas, e.g. 33.74 or 51; empty for everywhere."),
    )
    occupations = forms.CharField(
        label=_("Occupations"), required=False, help_text=_("Occupation codes separated by commas, e.g. ojek_online.")
    )
    sex = forms.ChoiceField(
        label=_("Sex"), required=False, choices=[("", _("Both")), ("M", _("Male")), ("F", _("Female"))]
    )
    min_age = forms.IntegerField(label=_("Lowest age"), required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("Highest age"), required=False, min_value=0, max_value=120)
    statuses = forms.MultipleChoiceField(
        label=_("Membership status"), required=False, choices=SegmentStatus.CHOICES, widget=forms.CheckboxSelectMultiple
    )
    lapsed_within_days = forms.IntegerField(label=_("Ended within (days)"), initial=90, min_value=1, max_value=3660)
    partner = forms.CharField(label=_("Partner organisation code"), required=False, max_length=40)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices, initial="sms")
    whatsapp_template = forms.CharField(label=_("WhatsApp template name"), required=False, max_length=100)
    fallback_channel = forms.ChoiceField(
        label=_("E-mail: members without an address get"), required=False, choices=FallbackChannel.choices
    )
    email_subject = forms.CharField(
        label=_("E-mail subject (optional)"),
        required=False,
        max_length=150,
        help_text=_("The same variables as the message; the e-mail ends with the member's own opt-out link."),
    )
    body_id = forms.CharField(
        label=_("Message (Indonesian)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Variables: {name}, {amount}, {paid_through}, {payment_code}, {link}, {stop_link}."),
    )
    body_en = forms.CharField(label=_("Message (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    body_b_id = forms.CharField(
        label=_("Message B (Indonesian, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A second version: half of the message group, drawn at random, gets it; the results compare A with B."
        ),
    )
    whatsapp_template_b = forms.CharField(label=_("WhatsApp template name B"), required=False, max_length=100)
    scheduled_for = forms.DateTimeField(
        label=_("Send from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"],
        help_text=_("Messages never go out 21:00–07:00 in the member's own time zone."),
    )
    control_percent = forms.IntegerField(label=_("Control group (%)"), min_value=0, max_value=50)
    conversion_days = forms.IntegerField(label=_("Conversion window (days)"), min_value=1, max_value=365)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["control_percent"].initial = settings.OUTREACH_CONTROL_PERCENT
        self.fields["conversion_days"].initial = settings.OUTREACH_CONVERSION_DAYS
        self.fields["scheduled_for"].initial = (timezone.localtime() + dt.timedelta(hours=1)).replace(
            minute=0, second=0, microsecond=0
        )

    def segment(self) -> Segment:
        data = self.cleaned_data
        return Segment.from_dict(
            {
                "regions": _codes(data.get("regions") or ""),
                "occupations": _codes(data.get("occupations") or ""),
                "sex": data.get("sex") or "",
                "min_age": data.get("min_age"),
                "max_age": data.get("max_age"),
                "statuses": data.get("statuses") or [],
                "lapsed_within_days": data.get("lapsed_within_days") or 90,
                "partner": data.get("partner") or "",
            }
        )


class ApproveForm(forms.Form):
    confirm = forms.BooleanField(label=_("I checked the segment, the message and the schedule."))


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label=_("For"), choices=ReferralKind.choices)
    owner_code = forms.CharField(
        label=_("Owner's code"),
        max_length=40,
        help_text=_("The organisation code, agent code or branch office code."),
    )
    name = forms.CharField(label=_("Name on the flyer"), max_length=120)
    code = forms.CharField(
        label=_("Code"), max_length=20, required=False, help_text=_("Leave empty to draw one (e.g. K7HQ2MX).")
    )


class WhatsAppTemplateForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=100)
    language = forms.CharField(label=_("Language"), max_length=10, initial="id")
    status = forms.ChoiceField(label=_("Status"), choices=TemplateStatus.choices)
    reason = forms.CharField(label=_("Reason given (if rejected)"), max_length=255, required=False)
    body = forms.CharField(label=_("Text as registered"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
