"""Payment channels, the callbacks they send, payments recorded exactly once, receipts,
settlement files and the exceptions queue.

A payment is unique per (channel, external reference): the database decides when two
deliveries of the same callback race. Raw callbacks are kept as evidence, including
the ones that were rejected.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    BANK = "bank", _("Bank")
    MINIMARKET = "minimarket", _("Minimarket")
    EWALLET = "ewallet", _("E-wallet")
    AGENT_CASH = "agent_cash", _("Agent (cash)")
    SANDBOX = "sandbox", _("Sandbox (demonstration)")


class AuthStyle(models.TextChoices):
    # A shared secret sent as a header on every callback (as Xendit's X-Callback-Token).
    TOKEN_HEADER = "token_header", _("Shared token header")
    # SHA512(order_id + status_code + gross_amount + server_key) in the body (as Midtrans).
    SIGNATURE_SHA512 = "signature_sha512", _("SHA-512 body signature")


class Channel(models.Model):
    """A way money reaches Rangkul; configuration, loaded by migration, secrets from the environment."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=ChannelKind.choices)
    auth_style = models.CharField(_("authentication"), max_length=20, choices=AuthStyle.choices)
    # Name of the environment variable holding the token or server key (never the secret itself).
    secret_env = models.CharField(_("secret environment variable"), max_length=80)
    # How to read a callback body: {"fields": {...}, "paid_statuses": [...], "token_header": "..."}.
    callback_format = models.JSONField(_("callback format"), default=dict)
    # Settlement CSV: {"delimiter": ",", "columns": {"external_reference": ..., "payment_code": ...,
    # "amount_idr": ..., "paid_at": ...}}.
    settlement_layout = models.JSONField(_("settlement file layout"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("payment channel")
        verbose_name_plural = _("payment channels")

    def __str__(self) -> str:
        return self.code


class CallbackOutcome(models.TextChoices):
    RECORDED = "recorded", _("Payment recorded")
    DUPLICATE = "duplicate", _("Duplicate of a recorded payment")
    EXCEPTION = "exception", _("Accepted for review")
    IGNORED = "ignored", _("No money moved (status)")
    REJECTED = "rejected", _("Rejected: authentication failed")
    MALFORMED = "malformed", _("Rejected: unreadable body")
    TOO_LARGE = "too_large", _("Rejected: body too large")
    TAMPERED = "tampered", _("Rejected: contradicts what the gateway vouches for")
    UNVERIFIED = "unverified", _("Not yet confirmed by the gateway (retry expected)")
    REVERSAL = "reversal", _("Reversal reported: held for review")


class CallbackEvent(models.Model):
    """Every callback as received: the evidence behind a payment or a rejection."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="events")
    received_at = models.DateTimeField(_("received at"), db_index=True)
    # A subset of headers; the authentication header is recorded as present/absent, never its value.
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"), blank=True)
    body_sha256 = models.CharField(max_length=64)
    body_truncated = models.BooleanField(default=False)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    external_reference = models.CharField(_("external reference"), max_length=120, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallbackOutcome.choices)
    http_status = models.PositiveSmallIntegerField()
    payment = models.ForeignKey("Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="events")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("callback event")
        verbose_name_plural = _("callback events")
        indexes = [models.Index(fields=["channel", "external_reference"], name="payments_event_channel_ref")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_reference or '-'} {self.outcome}"


class PaymentSource(models.TextChoices):
    CALLBACK = "callback", _("Callback")
    SETTLEMENT = "settlement", _("Settlement file")
    AGENT = "agent", _("Field agent's collection")


class PaymentStatus(models.TextChoices):
    ALLOCATED = "allocated", _("Allocated to the member")
    EXCEPTION = "exception", _("Waiting for review")
    REFUNDED = "refunded", _("Refunded")
    WRITTEN_OFF = "written_off", _("Written off")
    REVERSED = "reversed", _("Reversed by the gateway")


class Payment(models.Model):
    """Money received through a channel, recorded once per (channel, external reference)."""

    # Indexes: every one is rewritten when settlement sets ``settled_by`` on each payment of the
    # day, so only those the queries use exist (ADR 0013). By channel: the unique (channel,
    # reference) leads with it; by code: (channel, code, amount); by member: (member, paid at).
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="payments", db_index=False)
    external_reference = models.CharField(_("external reference"), max_length=120)
    payment_code = models.CharField(_("payment code"), max_length=32, blank=True)
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    paid_at = models.DateTimeField(_("paid at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    source = models.CharField(_("source"), max_length=12, choices=PaymentSource.choices)
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices)
    bill = models.ForeignKey(
        "contributions.Bill", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="payments", db_index=False
    )
    # The ledger entry that allocated the money (or parked it in suspense while under review).
    journal_entry_id = models.BigIntegerField(null=True, blank=True)
    # Settlement lines are never deleted: no index is needed behind this key.
    settled_by = models.ForeignKey(
        "SettlementLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Set when a settlement file for a later day did not contain this callback's money.
    unsettled_flagged_at = models.DateTimeField(_("missing from settlement since"), null=True, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # Exactly once: the database, not a prior read, decides between racing deliveries.
            models.UniqueConstraint(fields=["channel", "external_reference"], name="payments_payment_once"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payments_payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["worker", "-paid_at"], name="payments_payment_worker_paid"),
            models.Index(fields=["channel", "payment_code", "amount_idr"], name="payments_payment_code_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_reference}"


class ReceiptCounter(models.Model):
    """The last receipt number used in a year; incremented under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    number = models.CharField(_("receipt number"), max_length=20, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    issued_at = models.DateTimeField(_("issued at"))
    notified_at = models.DateTimeField(_("member notified at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number


class ExceptionReason(models.TextChoices):
    UNKNOWN_CODE = "unknown_code", _("Unknown payment code")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the bill")
    BILL_NOT_OPEN = "bill_not_open", _("Bill already paid or cancelled")
    BILL_EXPIRED = "bill_expired", _("Paid after the code expired")
    GROUP_BILL = "group_bill", _("Group bill (needs a split)")
    OVER_CEILING = "over_ceiling", _("Amount above the single-payment ceiling")
    PAID_BEFORE_BILL = "paid_before_bill", _("Paid before the bill existed")
    # The gateway reports a recorded payment denied, cancelled, refunded or charged back.
    REVERSAL = "reversal", _("Gateway reports the money reversed")


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PROPOSED = "proposed", _("Waiting for approval")
    RESOLVED = "resolved", _("Resolved")


class Resolution(models.TextChoices):
    ASSIGN = "assign", _("Assign to a member")
    REFUND = "refund", _("Refund to the payer")
    WRITE_OFF = "write_off", _("Write off")
    # For a reversal: the money is really gone (undo the allocation), or it stayed (nothing moves).
    REVERSE = "reverse", _("Reverse: the money is gone")
    KEEP = "keep", _("Keep: the money stayed")


class PaymentException(models.Model):
    """Money that could not be matched to a bill without guessing (held in suspense until resolved),
    or a recorded payment the gateway reports reversed. At most one is unresolved per payment."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="exceptions")
    reason = models.CharField(_("reason"), max_length=20, choices=ExceptionReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExceptionStatus.choices, default="open")
    created_at = models.DateTimeField(_("created at"))
    proposed_action = models.CharField(_("proposed action"), max_length=10, choices=Resolution.choices, blank=True)
    proposed_worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_note = models.CharField(_("reason given"), max_length=255, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment exception")
        verbose_name_plural = _("payment exceptions")
        constraints = [
            # Maker–checker: whoever proposed a resolution cannot be the one who approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("proposed_by")),
                name="payments_exception_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["payment"], condition=~Q(status="resolved"), name="payments_exception_one_unresolved"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="payments_exception_status")]

    def __str__(self) -> str:
        return f"{self.payment} {self.reason}"


class SettlementStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    # Stopped (unreadable file, or an error part-way): the reason is in ``summary["error"]``;
    # uploading the same file again resumes after the lines already stored.
    FAILED = "failed", _("Failed")


class SettlementFile(models.Model):
    """One settlement file from a channel, identified by its content: the same file is processed once."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="settlement_files")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    settlement_date = models.DateField(_("settlement date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=SettlementStatus.choices, default="processing")
    summary = models.JSONField(_("summary"), default=dict)
    created_at = models.DateTimeField(_("uploaded at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("settlement file")
        verbose_name_plural = _("settlement files")
        constraints = [models.UniqueConstraint(fields=["channel", "sha256"], name="payments_settlement_file_once")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.filename}"


class LineOutcome(models.TextChoices):
    MATCHED = "matched", _("Matched a recorded payment")
    DUPLICATE = "duplicate", _("Duplicate line")
    UNMATCHED = "unmatched", _("No callback: recorded from the file")
    MISMATCHED = "mismatched", _("Amount differs from the recorded payment")
    INVALID = "invalid", _("Unreadable line")


class SettlementLine(models.Model):
    file = models.ForeignKey(SettlementFile, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    external_reference = models.CharField(max_length=120, blank=True)
    payment_code = models.CharField(max_length=32, blank=True)
    amount_idr = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=LineOutcome.choices)
    note = models.CharField(max_length=255, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["file", "line_number"]
        constraints = [models.UniqueConstraint(fields=["file", "line_number"], name="payments_settlement_line_once")]

    def __str__(self) -> str:
        return f"{self.file_id}#{self.line_number} {self.outcome}"
