"""Claims, their status history and payouts.

A claim is stored whether or not it is eligible: the assessment (eligible, the reasons,
the lines and the rule versions used) is kept on the row as calculated when it was filed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rangkul.claims.documents import document_storage


class ClaimProgram(models.TextChoices):
    JKK = "JKK", _("Work accident (JKK)")
    JKM = "JKM", _("Death (JKM)")
    JHT = "JHT", _("Old-age savings (JHT)")


class ClaimEvent(models.TextChoices):
    DEATH = "death", _("Death")
    ACCIDENT = "accident", _("Work accident")
    DISABILITY = "disability", _("Permanent disability")
    WITHDRAWAL = "withdrawal", _("Withdrawal of savings")
    SCHOLARSHIP = "scholarship", _("Scholarship")


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PROPOSED = "proposed", _("Verified, decision proposed")
    AWAITING_SECOND = "awaiting_second", _("Awaiting second approval")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    REJECTED = "rejected", _("Rejected")


class ClaimChannel(models.TextChoices):
    API = "api", _("Partner or agent (API)")
    OFFICE = "office", _("Branch office")
    PORTAL = "portal", _("Portal")


class Claim(models.Model):
    number = models.CharField(_("claim number"), max_length=20, unique=True)
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="claims")
    program = models.CharField(_("program"), max_length=3, choices=ClaimProgram.choices)
    event = models.CharField(_("event"), max_length=12, choices=ClaimEvent.choices)
    event_date = models.DateField(_("event date"))
    event_place = models.CharField(_("event place"), max_length=200, blank=True)
    event_description = models.TextField(_("what happened"), blank=True)
    # For JKK: months unable to work, the disability (total or a table row).
    months_unable = models.PositiveSmallIntegerField(default=1)
    disability = models.CharField(max_length=40, blank=True)
    # Heirs' children (specific personal data): name, birth date, level, year in level.
    children = models.JSONField(default=list, blank=True)

    claimant_name = models.CharField(_("claimant's name"), max_length=150)
    # "self", a registry heir relationship, or "funeral_arranger".
    claimant_relationship = models.CharField(_("claimant's relationship"), max_length=20)
    claimant_phone = models.CharField(_("claimant's mobile number"), max_length=20, blank=True)
    claimant_npwp = models.CharField(_("claimant's tax number (NPWP)"), max_length=20, blank=True)
    bank_code = models.CharField(_("bank"), max_length=20, blank=True)
    bank_account_number = models.CharField(_("account number"), max_length=30, blank=True)

    channel = models.CharField(max_length=8, choices=ClaimChannel.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by_label = models.CharField(max_length=120, blank=True)
    filed_at = models.DateTimeField(_("filed at"))

    declared_income_idr = models.BigIntegerField(_("declared income (Rp)"))
    months_paid = models.PositiveIntegerField(_("months paid"), default=0)
    eligible = models.BooleanField(_("eligible"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    lines = models.JSONField(_("benefit lines"), default=list, blank=True)
    benefit_idr = models.BigIntegerField(_("benefit (Rp)"), default=0)
    rules_version = models.CharField(max_length=80, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_decision = models.CharField(max_length=8, blank=True)  # "approve" / "reject"
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["worker", "program", "event"], name="claims_worker_event"),
            models.Index(fields=["status", "filed_at"], name="claims_status_filed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(benefit_idr__gte=0), name="claims_benefit_nonneg"),
            # Four eyes, as the database's last word: the approver is not who proposed.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("proposed_by")),
                name="claims_maker_not_checker",
            ),
            models.CheckConstraint(
                condition=Q(second_approved_by__isnull=True)
                | (~Q(second_approved_by=models.F("approved_by")) & ~Q(second_approved_by=models.F("proposed_by"))),
                name="claims_second_approver_distinct",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ClaimStatusChange(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.status}"


class PayoutStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Payout(models.Model):
    """One transfer of one instalment of one claim: at most one per (claim, instalment)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payouts")
    instalment = models.PositiveSmallIntegerField(default=1)
    amount_idr = models.BigIntegerField()
    adapter = models.CharField(max_length=20)
    status = models.CharField(max_length=8, choices=PayoutStatus.choices)
    external_reference = models.CharField(max_length=80, blank=True)
    account_holder_name = models.CharField(max_length=150, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["claim", "instalment"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "instalment"], name="claims_payout_once"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="claims_payout_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}#{self.instalment} {self.status}"


class DocumentKind(models.TextChoices):
    CARD = "card", _("Membership card")
    KTP_MEMBER = "ktp_member", _("Member's identity card (KTP)")
    KTP_HEIR = "ktp_heir", _("Heir's identity card (KTP)")
    DEATH_CERTIFICATE = "death_certificate", _("Death certificate")
    FAMILY_CARD = "family_card", _("Family card (KK)")
    HEIR_CERTIFICATE = "heir_certificate", _("Heir certificate")
    MARRIAGE_BOOK = "marriage_book", _("Marriage book")
    BANK_BOOK = "bank_book", _("Bank book")
    ACCIDENT_REPORT = "accident_report", _("Accident report")
    MEDICAL = "medical", _("Medical document")
    OTHER = "other", _("Other document")


# Health documents and the family card (heirs' children) are specific personal data.
SPECIFIC_KINDS = frozenset({DocumentKind.MEDICAL, DocumentKind.FAMILY_CARD})


class ClaimDocument(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(storage=document_storage, max_length=200)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    specific = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["claim", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind}"
