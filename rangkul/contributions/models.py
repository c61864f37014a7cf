"""Contribution rules (dated, versioned data) and the double-entry ledger.

Rule rows are loaded from ``rangkul/contributions/rules/*.toml``; a version that
has priced a bill is locked and never changes again. The ledger stores every
movement of money as a balanced journal entry; member-keyed lines carry the
member on the line (not one account per member), so the chart of accounts
stays small at 60 million members.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rangkul.core.periods import PeriodField


class RuleSet(models.Model):
    """One version of the BPU contribution rules, effective for a range of contribution months."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    citation = models.TextField(_("regulation"))
    source_file = models.CharField(max_length=200, blank=True)
    content_sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))
    is_locked = models.BooleanField(_("locked"), default=False)
    locked_at = models.DateTimeField(null=True, blank=True)

    due_day = models.PositiveSmallIntegerField()
    holiday_calendar = models.CharField(max_length=8, default="ID")
    prepay_min_months = models.PositiveSmallIntegerField()
    prepay_max_months = models.PositiveSmallIntegerField()
    arrears_window_months = models.PositiveSmallIntegerField()
    lapse_after_unpaid_months = models.PositiveSmallIntegerField()
    retroactive_cover = models.BooleanField(default=False)
    registration_min_age = models.PositiveSmallIntegerField()
    registration_max_age = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("contribution rule version")
        verbose_name_plural = _("contribution rule versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="contrib_ruleset_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(due_day__gte=1, due_day__lte=28), name="contrib_ruleset_due_day"),
        ]

    def __str__(self) -> str:
        return self.version


class ProgramRule(models.Model):
    class Basis(models.TextChoices):
        INCOME_LEVEL = "income_level", _("nominal per income level")
        FLAT = "flat", _("flat amount")
        RATE = "rate", _("rate of declared income")
        NONE = "none", _("not offered")

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="programs")
    code = models.CharField(max_length=8)
    name = models.CharField(max_length=80)
    available = models.BooleanField()
    mandatory = models.BooleanField()
    basis = models.CharField(max_length=16, choices=Basis.choices)
    flat_idr = models.BigIntegerField(null=True, blank=True)
    rate = models.DecimalField(max_digits=7, decimal_places=5, null=True, blank=True)
    citation = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ruleset", "code"], name="contrib_program_unique")]

    def __str__(self) -> str:
        return f"{self.ruleset_id}:{self.code}"


class IncomeLevel(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="income_levels")
    income_idr = models.BigIntegerField()
    jkk_idr = models.BigIntegerField()

    class Meta:
        ordering = ["income_idr"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "income_idr"], name="contrib_income_level_unique"),
            models.CheckConstraint(condition=Q(income_idr__gt=0, jkk_idr__gte=0), name="contrib_income_level_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.income_idr} → {self.jkk_idr}"


class DiscountRule(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="discounts")
    code = models.CharField(max_length=40)
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    programs = models.JSONField(default=list)
    sectors = models.JSONField(default=list)
    from_period = PeriodField()
    to_period = PeriodField()
    excluded_sponsor_kinds = models.JSONField(default=list)
    citation = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "code"], name="contrib_discount_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0, rate__lte=1), name="contrib_discount_rate_range"),
        ]

    def __str__(self) -> str:
        return self.code


class BenefitRule(models.Model):
    """A headline benefit figure (for the simulator); values are the figures from the rule file."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="benefits")
    program = models.CharField(max_length=8)
    code = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)
    values = models.JSONField(default=dict)
    citation = models.TextField(blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "program", "code"], name="contrib_benefit_unique")]

    def __str__(self) -> str:
        return f"{self.program}:{self.code}"


# --- Ledger ---------------------------------------------------------------------------------


class Account(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("asset")
        LIABILITY = "liability", _("liability")
        INCOME = "income", _("income")
        EXPENSE = "expense", _("expense")

    code = models.CharField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # Member-keyed accounts (receivable, credit) keep one row here; each line names the member.
    per_member = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=40)
    # Idempotency: the same (kind, reference) is posted once, whatever retries happen.
    reference = models.CharField(_("reference"), max_length=120)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [models.UniqueConstraint(fields=["kind", "reference"], name="contrib_journal_kind_reference")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.reference}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    # The member a member-keyed line belongs to (receivable, credit, JHT, payments). Looked up
    # through the (worker, account) index: a second index on the member alone would only slow writes.
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    period = PeriodField(null=True, blank=True)
    program = models.CharField(max_length=8, blank=True)
    debit_idr = models.BigIntegerField(default=0)
    credit_idr = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(debit_idr__gte=0), name="contrib_line_debit_nonneg"),
            models.CheckConstraint(condition=Q(credit_idr__gte=0), name="contrib_line_credit_nonneg"),
            models.CheckConstraint(
                condition=(Q(debit_idr=0) & Q(credit_idr__gt=0)) | (Q(debit_idr__gt=0) & Q(credit_idr=0)),
                name="contrib_line_one_side",
            ),
        ]
        indexes = [models.Index(fields=["worker", "account"], name="contrib_line_worker_account")]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit_idr} C{self.credit_idr}"


# --- Bills and coverage ---------------------------------------------------------------------


class BillStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Bill(models.Model):
    """What to pay under one payment code; its lines may belong to one member or, for a group, many."""

    payment_code = models.CharField(_("payment code"), max_length=16, unique=True)
    # The member of a single-member bill; empty for a group bill (lines name each member).
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, null=True, blank=True, related_name="bills")
    # What to pay: the lines' total less the member's credit at issue time.
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    credit_applied_idr = models.BigIntegerField(_("credit used (Rp)"), default=0)
    # Who pays a sponsored bill ("regional_budget", "state_budget", "csr", ...): it changes the price.
    sponsor_kind = models.CharField(_("sponsor kind"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN)
    expires_at = models.DateTimeField(_("pay before"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="contrib_bill_amount_positive"),
            # A member has at most one open bill: issuing a new one cancels the old code.
            models.UniqueConstraint(
                fields=["worker"], condition=Q(status="open"), name="contrib_bill_one_open_per_worker"
            ),
        ]

    def __str__(self) -> str:
        return self.payment_code


class BillLine(models.Model):
    # Looked up through the unique (bill, worker, period, program) index, which starts with the bill.
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines", db_index=False)
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    period = PeriodField(_("month"))
    program = models.CharField(_("program"), max_length=8)
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    discount_idr = models.BigIntegerField(_("discount (Rp)"), default=0)
    # No index of its own: rule versions are never deleted, and no page looks lines up by version.
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+", db_index=False)
    # When a group bill's payment paid this member's share (empty: not yet, or a member's own bill).
    settled_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # The journal entry that paid this line (the member's share entry; for a line with nothing to
    # pay, the entry that received the part payment). A reversal of that entry opens the line again.
    settled_entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("paid by")
    )

    class Meta:
        ordering = ["period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "worker", "period", "program"], name="contrib_bill_line_unique"),
            models.CheckConstraint(
                condition=Q(amount_idr__gte=0, discount_idr__gte=0), name="contrib_bill_line_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.program}"


class ContributionMonth(models.Model):
    """One paid month of one program for one member: the coverage table.

    ``coverage_on`` reads it through the unique (worker, period, program) index.
    A month paid on time covers from its first day; a month paid late covers
    from the payment day only, unless the rule version allows retroactive cover.
    """

    # Looked up through the unique (worker, period, program) index, which starts with the member.
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="contribution_months", db_index=False
    )
    period = PeriodField(_("month"))
    program = models.CharField(_("program"), max_length=8)
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    discount_idr = models.BigIntegerField(_("discount (Rp)"), default=0)
    paid_at = models.DateTimeField(_("paid at"))
    covered_from = models.DateField(_("covered from"))
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    # Who paid this program-month when it was not the member: the sponsor's payer kind
    # ("regional_budget", "csr", ...) from a sponsor's group bill; empty when the member paid.
    payer_kind = models.CharField(_("paid by"), max_length=20, blank=True, default="", db_default="")

    class Meta:
        ordering = ["period", "program"]
        verbose_name = _("paid contribution month")
        verbose_name_plural = _("paid contribution months")
        constraints = [
            models.UniqueConstraint(fields=["worker", "period", "program"], name="contrib_month_unique"),
            models.CheckConstraint(condition=Q(amount_idr__gte=0), name="contrib_month_amount_nonneg"),
        ]
        # The daily review finds members with a month paid after the review day (ADR 0014).
        indexes = [models.Index(fields=["paid_at"], name="contrib_month_paid_at")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.period} {self.program}"


class MemberStatusValue(models.TextChoices):
    REGISTERED = "registered", _("Registered, not yet paid")
    ACTIVE = "active", _("Active")
    IN_ARREARS = "in_arrears", _("In arrears")
    ENDED = "ended", _("Ended")


class MemberStatus(models.Model):
    """The member's current status, kept up to date by payments and the daily review.

    Derived from the paid months (``schedule.member_status``); stored so that
    reminders and dashboards read it without recomputing 60 million histories.
    ``next_review_on`` is the next day the passage of time alone can change it.
    """

    worker = models.OneToOneField(
        "registry.Worker", on_delete=models.PROTECT, primary_key=True, related_name="contribution_status"
    )
    status = models.CharField(_("status"), max_length=12, choices=MemberStatusValue.choices)
    since = models.DateField(_("since"))
    paid_through = PeriodField(_("paid through"), null=True, blank=True)
    arrears_months = models.PositiveSmallIntegerField(_("months in arrears"), default=0)
    pay_arrears_by = models.DateField(_("pay arrears by"), null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member status")
        verbose_name_plural = _("member statuses")
        indexes = [models.Index(fields=["status", "since"], name="contrib_status_since")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.status}"


class MemberStatusChange(models.Model):
    # Looked up through the unique (worker, status, since) index, which starts with the member.
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(_("status"), max_length=12, choices=MemberStatusValue.choices)
    since = models.DateField(_("since"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["worker", "since", "id"]
        verbose_name = _("member status change")
        verbose_name_plural = _("member status changes")
        constraints = [
            models.UniqueConstraint(fields=["worker", "status", "since"], name="contrib_status_change_unique")
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.status} {self.since}"


class AdjustmentKind(models.TextChoices):
    CREDIT_ADD = "credit_add", _("Add to the member's credit")
    CREDIT_REMOVE = "credit_remove", _("Remove from the member's credit")
    REFUND = "refund", _("Refund the member's credit")


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved and posted")
    REJECTED = "rejected", _("Rejected")


class LedgerAdjustment(models.Model):
    """A manual correction: proposed by one person, approved by another, then posted as a journal entry."""

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=AdjustmentKind.choices)
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("ledger adjustment")
        verbose_name_plural = _("ledger adjustments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="contrib_adjustment_amount_positive"),
            # Maker–checker: the approver is never the proposer.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="contrib_adjustment_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_idr}"


class MonthShare(models.Model):
    """Programs of one member-month a third party (a sponsor) has taken on: the split payer.

    The member's own bills and payments leave these programs out for that month and carry
    only the rest (JHT, say, when a sponsor pays JKK and JKM). Written and released by the
    sponsor's enrolment through ``services.month_shares_take``/``month_shares_release``.
    """

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    period = PeriodField(_("month"))
    programs = models.JSONField(_("programs"), default=list)
    payer_kind = models.CharField(_("payer kind"), max_length=20)
    # What took the share on, e.g. "sponsorship:APBD-SMG-2026" (for release and reports).
    source = models.CharField(_("source"), max_length=60)

    class Meta:
        ordering = ["period", "worker_id"]
        verbose_name = _("month shared with a sponsor")
        verbose_name_plural = _("months shared with a sponsor")
        constraints = [models.UniqueConstraint(fields=["worker", "period"], name="contrib_month_share_unique")]
        indexes = [models.Index(fields=["source", "period"], name="contrib_month_share_source")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.period} {','.join(self.programs)}"
