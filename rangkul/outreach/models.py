"""Reminders: one row per member, contribution month and kind, so nobody is reminded twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rangkul.core.periods import PeriodField


class ReminderKind(models.TextChoices):
    # The contribution month is unpaid and its due date is a few days away.
    DUE_SOON = "due_soon", _("Due soon")
    # The month's due date has passed unpaid; it can still be paid within the arrears window.
    MISSED = "missed", _("Missed payment")
    # The membership ended after unpaid months: an invitation to resume (win-back).
    LAPSED = "lapsed", _("Membership ended")


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("Text message")


class Reminder(models.Model):
    """A reminder decided by the daily run; ``sent_at`` is set once the provider accepted it.

    The unique (worker, period, kind) is what makes a re-run, a retry or two runs at once
    remind nobody twice: the run inserts with ON CONFLICT DO NOTHING and texts only the rows
    it inserted.
    """

    # No separate index on the member: the unique constraint's index starts with it.
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("worker")
    )
    period = PeriodField(_("month"))
    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=ReminderChannel.choices)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["worker", "period", "kind"], name="outreach_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.period} {self.kind}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Waiting for approval")
    SENDING = "sending", _("Approved, sending")
    DONE = "done", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class CampaignChannel(models.TextChoices):
    SMS = "sms", _("Text message")
    WHATSAPP = "whatsapp", _("WhatsApp (SMS if undelivered)")
    EMAIL = "email", _("Email (to members who gave an address)")


class FallbackChannel(models.TextChoices):
    # An e-mail campaign's choice for members without an e-mail address.
    NONE = "", _("Nothing: skip them")
    SMS = "sms", _("Text message")
    WHATSAPP = "whatsapp", _("WhatsApp (SMS if undelivered)")


class Campaign(models.Model):
    """A message to a segment, made by one staff member and approved by another (ADR 0034).

    Approval freezes the audience: one ``CampaignRecipient`` per member, a random share of
    them in the control group that gets nothing, each with the moment it may be sent
    (the schedule, moved out of the member's quiet hours).
    """

    name = models.CharField(_("name"), max_length=120)
    segment = models.JSONField(_("segment"), default=dict)
    body_id = models.TextField(_("message (Indonesian)"))
    body_en = models.TextField(_("message (English)"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=CampaignChannel.choices, default="sms")
    # WhatsApp: the name of the template approved by Meta; its body parameters are the
    # variables of ``body_id`` in the order they appear, and ``body_id`` is the SMS fallback.
    whatsapp_template = models.CharField(_("WhatsApp template name"), max_length=100, blank=True)
    # E-mail: what members without an address get instead (nothing, SMS or WhatsApp), and the
    # subject line (variables allowed; "Rangkul" when empty). The text is ``body_id``.
    fallback_channel = models.CharField(
        _("for members without an e-mail address"),
        max_length=10,
        choices=FallbackChannel.choices,
        blank=True,
        default="",
    )
    email_subject = models.CharField(_("e-mail subject"), max_length=150, blank=True, default="")
    # An optional second version of the message (A/B): the message group is split in two at random.
    body_b_id = models.TextField(_("message B (Indonesian)"), blank=True)
    whatsapp_template_b = models.CharField(_("WhatsApp template name B"), max_length=100, blank=True)
    scheduled_for = models.DateTimeField(_("send from"))
    control_percent = models.PositiveSmallIntegerField(_("control group (%)"), default=10)
    conversion_days = models.PositiveSmallIntegerField(_("conversion window (days)"), default=30)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default="draft")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The seed of the control-group draw, kept so the split can be explained afterwards.
    control_seed = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(control_percent__lte=50), name="outreach_campaign_control_le_50"),
        ]

    def __str__(self) -> str:
        return self.name


class RecipientState(models.TextChoices):
    CONTROL = "control", _("Control group (not sent)")
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Handed to the provider")
    CAPPED = "capped", _("Skipped: weekly limit reached")
    OPTED_OUT = "opted_out", _("Skipped: opted out")
    NO_ADDRESS = "no_address", _("Skipped: no e-mail address")


class CampaignRecipient(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    # No database foreign key (ADR 0041): the rows are written by the one statement that selects these
    # members from the member table in the same transaction, and members are never deleted (every
    # reference protects them; merged records are kept). The check would lock a million member rows
    # when a campaign is approved and cost as much as writing the audience.
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    is_control = models.BooleanField(default=False)
    # "a" or "b" in the message group of a campaign with two versions; empty otherwise.
    variant = models.CharField(max_length=1, blank=True, default="")
    state = models.CharField(max_length=10, choices=RecipientState.choices)
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.OneToOneField(
        "messaging.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "worker"], name="outreach_recipient_once")]
        indexes = [
            # The dispatcher's scan: a campaign's pending messages that are due.
            models.Index(fields=["campaign", "state", "send_after"], name="outreach_recipient_due"),
            # Frequency caps: what a member was sent recently, across campaigns. Only sent rows are
            # indexed, so freezing a million-member audience (nothing sent yet) adds no entry here.
            models.Index(
                fields=["worker", "sent_at"],
                name="outreach_recipient_sent",
                condition=models.Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.worker_id} {self.state}"


class ReferralKind(models.TextChoices):
    COMMUNITY = "community", _("Community or partner organisation")
    AGENT = "agent", _("Field agent")
    BRANCH = "branch", _("Branch office")


class ReferralCode(models.Model):
    """A code printed on flyers and carried by registration links (ADR 0041).

    The registry keeps the code a member registered with as plain data
    (``Worker.referral_code``); counts per code are read from there.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ReferralKind.choices)
    # The owner's own code: an organisation code, an agent code or a branch office code.
    owner_code = models.CharField(_("owner's code"), max_length=40)
    name = models.CharField(_("name on the flyer"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class EducationPage(models.Model):
    """A page of education content, edited as a draft and published by staff (ADR 0041).

    Bodies are plain text with ``## `` headings, ``- `` lists and ``{placeholders}`` for amounts,
    filled from the rules in force when the page is read, so a published page never shows an
    old amount. The published copy is what the public sees; editing changes only the draft.
    """

    slug = models.SlugField(_("address"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # An example for one occupation (catalogue code, e.g. ojek_online): listed under "examples".
    occupation = models.CharField(_("occupation example"), max_length=40, blank=True)
    title_id = models.CharField(_("title (Indonesian)"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=150, blank=True)
    body_id = models.TextField(_("text (Indonesian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    published_title_id = models.CharField(max_length=150, blank=True, editable=False)
    published_title_en = models.CharField(max_length=150, blank=True, editable=False)
    published_body_id = models.TextField(blank=True, editable=False)
    published_body_en = models.TextField(blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("education page")
        verbose_name_plural = _("education pages")

    def __str__(self) -> str:
        return self.slug

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def has_draft_changes(self) -> bool:
        return (self.title_id, self.title_en, self.body_id, self.body_en) != (
            self.published_title_id,
            self.published_title_en,
            self.published_body_id,
            self.published_body_en,
        )


class TemplateStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for Meta's review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAUSED = "paused", _("Paused by Meta")


class WhatsAppTemplate(models.Model):
    """A message template registered with WhatsApp, and the review status Meta gave it.

    Business-initiated WhatsApp messages must use an approved template: a campaign naming a
    template that is not approved cannot be approved, and its messages wait while it is not.
    """

    name = models.CharField(_("template name"), max_length=100, unique=True)
    language = models.CharField(_("language"), max_length=10, default="id")
    body = models.TextField(_("text as registered"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TemplateStatus.choices, default="pending")
    reason = models.CharField(_("reason given"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")

    def __str__(self) -> str:
        return self.name
