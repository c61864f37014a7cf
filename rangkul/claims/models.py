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
from rangkul.core.crypto import MASK, unseal

# The purpose bound to a sealed bank account number (associated data, see core/crypto.py).
BANK_ACCOUNT_PURPOSE = "claim_bank_account"


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
    # The account number is financial personal data (UU 27/2022): sealed like the NIK, with a
    # keyed hash to find claims paid to one account and the last four digits for screens.
    bank_account_sealed = models.TextField(blank=True, editable=False)
    bank_account_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    bank_account_last4 = models.CharField(max_length=4, blank=True, editable=False)

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

    @property
    def bank_account_masked(self) -> str:
        """``•••• 7890``: enough for the claimant and staff to recognise the account."""
        return f"{MASK} {self.bank_account_last4}" if self.bank_account_sealed else ""

    def bank_account_open(self) -> str:
        """The plain account number, for the disbursement adapter at the moment of sending only."""
        return unseal(self.bank_account_sealed, purpose=BANK_ACCOUNT_PURPOSE) if self.bank_account_sealed else ""


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
    SCHOOL_ENROLMENT = "school_enrolment", _("Proof of school enrolment")
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


class CheckEvidence(models.TextChoices):
    DOCUMENT = "document", _("A document on the claim (proof of school enrolment)")
    CONFIRMATION = "confirmation", _("Confirmation from the school or the family, noted by staff")


class ChildSchoolStatus(models.TextChoices):
    IN_SCHOOL = "in_school", _("Still in school")
    LEFT_SCHOOL = "left_school", _("No longer in school")
    MARRIED = "married", _("Married")
    EMPLOYED = "employed", _("Working")


class ScholarshipCheck(models.Model):
    """The yearly check before a later scholarship year is paid: one per claim and instalment.

    ``children`` holds, per child on the schedule, what staff found and what follows from the
    rule table: ``{"child", "status", "level", "outcome": "pay"|"end"|"hold", "reason"}``.
    Children's data is specific personal data: only claim staff see it, and the audit row
    carries the outcomes, not the names.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="scholarship_checks")
    instalment = models.PositiveSmallIntegerField()
    school_year = models.PositiveSmallIntegerField()
    evidence = models.CharField(max_length=12, choices=CheckEvidence.choices)
    document = models.ForeignKey(
        ClaimDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="scholarship_checks"
    )
    children = models.JSONField(default=list)
    note = models.TextField()
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_by_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["claim", "instalment"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "instalment"], name="claims_scholarship_check_once"),
            models.CheckConstraint(condition=Q(instalment__gte=2), name="claims_scholarship_check_later_years"),
            models.CheckConstraint(
                condition=Q(evidence="confirmation") | Q(document__isnull=False),
                name="claims_scholarship_check_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}#{self.instalment} check"


class JhtDeclaredRate(models.Model):
    """The JHT return the agency declared for one year, with the text that declares it.

    Loaded by ``manage.py load_jht_rates``; a year without a row has no declared rate, and a
    JHT benefit for it is only an estimate (see rangkul/claims/jht_rates.py).
    """

    year = models.PositiveSmallIntegerField(unique=True)
    rate = models.DecimalField(max_digits=7, decimal_places=6)
    citation = models.CharField(max_length=300)
    source = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="claims_jht_rate_fraction"),
            models.CheckConstraint(condition=~Q(citation=""), name="claims_jht_rate_cited"),
        ]

    def __str__(self) -> str:
        return f"JHT {self.year}: {self.rate}"


class FormAttempt(models.Model):
    """One use of a public claim form, keyed by a keyed hash (never the address, number or phone).

    Counted over a sliding window to rate-limit ``/klaim/ajukan/`` and ``/klaim/lacak/``, the
    way one-time codes are limited per number and per address (rangkul/accounts/otp.py).
    """

    form = models.CharField(max_length=12)
    scope = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["form", "scope", "key_hash", "at"], name="claims_attempt_lookup"),
            models.Index(fields=["at"], name="claims_attempt_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.form}/{self.scope} {self.at:%Y-%m-%d %H:%M}"
