"""Who asked not to be messaged: one row per mobile number, whatever path it came by.

Kept by number, not by member, because the messaging layer knows no members: a ``STOP``
text arrives with a number only. Every marketing send (campaigns) and every reminder
checks this table; one-time codes and receipts, which the person asked for, do not.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OptOutSource(models.TextChoices):
    SMS_STOP = "sms_stop", _("STOP text message")
    LINK = "link", _("Unsubscribe link")
    PORTAL = "portal", _("Member portal")
    OFFICE = "office", _("Back office")


class OptOut(models.Model):
    phone = models.CharField(_("mobile number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=OptOutSource.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("messaging opt-out")
        verbose_name_plural = _("messaging opt-outs")

    def __str__(self) -> str:
        return self.source


class MessageChannel(models.TextChoices):
    SMS = "sms", _("Text message")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """One message in the queue, with its delivery story (ADR 0034).

    The text is sealed (AES-GCM, purpose "sms"): the table holds numbers and e-mail addresses,
    as the member records do, but no message text (nor an e-mail's subject) in clear. An e-mail
    goes through Django's e-mail framework (``rangkul.messaging.mail``). A WhatsApp message that fails gets an SMS copy
    (``fallback``); a message the provider refused is tried again with growing pauses and,
    after ``MESSAGING_MAX_ATTEMPTS``, left ``failed`` and reported.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    # A mobile number (SMS, WhatsApp) or an e-mail address (e-mail).
    to = models.CharField(_("recipient"), max_length=254)
    body_sealed = models.TextField(editable=False)
    # WhatsApp only: the approved template's name, language and body parameters (sealed with the text).
    template = models.CharField(_("WhatsApp template"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default="queued")
    provider_id = models.CharField(max_length=128, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    fallback = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="fallback_of", editable=False
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="messaging_outbound_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class InboundMessage(models.Model):
    """One text a person sent to Rangkul's number, with the answer it got (ADR 0039).

    Unique per provider and the provider's message id: a provider that delivers the same
    message twice gets the stored answer back and nothing is sent twice. The number is in
    E.164; the text and the answer are sealed (purpose "sms") like queued messages, since
    people text whatever they like (a NIK among it). Rows older than
    ``SMS_INBOUND_RETENTION_DAYS`` are removed by ``purge_inbound_messages``.
    """

    provider = models.CharField(_("provider"), max_length=20)
    provider_message_id = models.CharField(_("provider's message id"), max_length=128)
    phone = models.CharField(_("mobile number"), max_length=20)
    body_sealed = models.TextField(editable=False)
    keyword = models.CharField(_("keyword"), max_length=20, blank=True)
    answer_sealed = models.TextField(editable=False, blank=True)
    answer = models.OneToOneField(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers", editable=False
    )
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_message_id"], name="messaging_inbound_once"),
        ]
        indexes = [
            models.Index(fields=["received_at"], name="messaging_inbound_received"),
            # Answers per number per hour (SMS_INBOUND_ANSWERS_PER_HOUR).
            models.Index(fields=["phone", "received_at"], name="messaging_inbound_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.keyword or '-'}"
