"""Sponsorships: a sponsor organisation pays members' contributions for a period, within a budget.

The budget is committed when members are enrolled: each enrolled member-month is a
``SponsoredMonth`` row priced for the payer, and the sponsorship's ``committed_idr``
is their sum, never above the budget (a check constraint is the last line of defence).
A member-month belongs to at most one sponsorship (unique member and month).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rangkul.core.periods import Period, PeriodField, period_range


class PayerKind(models.TextChoices):
    REGIONAL_BUDGET = "regional_budget", _("Regional budget (APBD)")
    VILLAGE_BUDGET = "village_budget", _("Village budget (APBDes)")
    STATE_BUDGET = "state_budget", _("State budget (APBN)")
    CSR = "csr", _("Company (CSR)")
    ZAKAT = "zakat", _("Zakat body")
    PARTNER = "partner", _("Partner organisation")


class SponsorshipStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Sponsorship(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("sponsor")
    )
    payer_kind = models.CharField(_("payer kind"), max_length=20, choices=PayerKind.choices)
    # The programs the sponsor pays ("JKK", "JKM", optionally "JHT"); the member pays the rest.
    programs = models.JSONField(_("programs paid"), default=list)
    start_month = PeriodField(_("first month"))
    months = models.PositiveSmallIntegerField(_("number of months"))
    budget_idr = models.BigIntegerField(_("budget (Rp)"))
    committed_idr = models.BigIntegerField(_("committed (Rp)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=SponsorshipStatus.choices, default=SponsorshipStatus.DRAFT
    )
    document_reference = models.CharField(_("document reference"), max_length=200, blank=True)
    # Cohort rules: who may be enrolled. Empty means no restriction.
    cohort_region_code = models.CharField(_("region (code)"), max_length=13, blank=True)
    cohort_occupations = models.JSONField(_("occupations"), default=list, blank=True)
    cohort_min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    cohort_max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    # Rangkul holds no welfare register: the sponsor attests its members are on it (DTKS/DTSEN).
    cohort_welfare_list = models.BooleanField(_("welfare list members only"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        constraints = [
            models.CheckConstraint(condition=Q(budget_idr__gt=0), name="sponsorship_budget_positive"),
            models.CheckConstraint(
                condition=Q(committed_idr__gte=0, committed_idr__lte=models.F("budget_idr")),
                name="sponsorship_never_overcommitted",
            ),
            models.CheckConstraint(condition=Q(months__gte=1, months__lte=60), name="sponsorship_months_range"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def end_month(self) -> Period:
        return self.start_month + (self.months - 1)

    @property
    def periods(self) -> list[Period]:
        return list(period_range(self.start_month, self.months))

    @property
    def remaining_idr(self) -> int:
        return self.budget_idr - self.committed_idr


class SponsorshipMember(models.Model):
    sponsorship = models.ForeignKey(Sponsorship, on_delete=models.CASCADE, related_name="members")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    committed_idr = models.BigIntegerField(_("committed (Rp)"))
    enrolled_at = models.DateTimeField(_("enrolled at"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sponsorship", "worker"], name="sponsorship_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sponsorship_id}:{self.worker_id}"


class SponsoredMonth(models.Model):
    """One member-month a sponsorship has committed to pay (its programs, at the payer's price)."""

    sponsorship = models.ForeignKey(Sponsorship, on_delete=models.CASCADE, related_name="sponsored_months")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    period = PeriodField(_("month"))
    amount_idr = models.BigIntegerField(_("amount (Rp)"))

    class Meta:
        ordering = ["period", "worker_id"]
        constraints = [
            # A member-month is sponsored by one sponsorship at most.
            models.UniqueConstraint(fields=["worker", "period"], name="sponsored_month_one_sponsor"),
            models.CheckConstraint(condition=Q(amount_idr__gte=0), name="sponsored_month_amount_nonneg"),
        ]
        indexes = [models.Index(fields=["sponsorship", "period"], name="sponsored_month_by_period")]

    def __str__(self) -> str:
        return f"{self.sponsorship_id}:{self.worker_id}:{self.period}"


class SponsorshipBill(models.Model):
    """The group bill of one sponsorship month (its payment code lives on the contributions bill)."""

    sponsorship = models.ForeignKey(Sponsorship, on_delete=models.CASCADE, related_name="bills")
    bill = models.OneToOneField("contributions.Bill", on_delete=models.PROTECT, related_name="+")
    period = PeriodField(_("month"))
    members = models.PositiveIntegerField(_("members"))
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-period", "-id"]

    def __str__(self) -> str:
        return f"{self.sponsorship_id}:{self.period}"


class HandoverNotice(models.Model):
    """A hand-over text sent to a member before the sponsorship's end: one per member and threshold."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", _("before the end")
        WIN_BACK = "win_back", _("after the end")

    sponsorship = models.ForeignKey(Sponsorship, on_delete=models.CASCADE, related_name="handover_notices")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HANDOVER)
    # Days before the last day (hand-over) or after it (win-back).
    days_before = models.PositiveSmallIntegerField()
    sent_on = models.DateField()
    payment_code = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sponsorship", "worker", "kind", "days_before"], name="sponsorship_handover_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sponsorship_id}:{self.worker_id}:{self.days_before}"


class TransferStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPROVED = "approved", _("Approved and paid")
    REJECTED = "rejected", _("Rejected")


class BudgetTransfer(models.Model):
    """A treasurer's transfer settling a sponsorship's group bill: recorded by one staff member, approved by another."""

    sponsorship = models.ForeignKey(Sponsorship, on_delete=models.PROTECT, related_name="transfers")
    sponsorship_bill = models.ForeignKey(SponsorshipBill, on_delete=models.PROTECT, related_name="transfers")
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    # The bank's or the treasury's reference of the transfer (SP2D number, bank reference).
    reference = models.CharField(_("transfer reference"), max_length=80, unique=True)
    transferred_on = models.DateField(_("transferred on"))
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("recorded at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("budget transfer")
        verbose_name_plural = _("budget transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="sponsorship_transfer_amount_positive"),
            # Maker–checker: whoever decides is not whoever recorded it.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="sponsorship_transfer_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return self.reference
