"""Field agents (Perisai): who they are, their rules, and the operations they sync."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgentRule(models.Model):
    """Dated rules for agents (the 2018 scheme first); the row in force on a day applies."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    # An agent with no activity for this many months is deactivated …
    inactive_after_months = models.PositiveSmallIntegerField(_("inactive after (months)"))
    # … and may be taken back only this many months after deactivation.
    return_after_months = models.PositiveSmallIntegerField(_("may return after (months)"))
    default_cash_limit_idr = models.BigIntegerField(_("default cash limit (Rp)"))

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("agent rule")
        verbose_name_plural = _("agent rules")

    def __str__(self) -> str:
        return self.version


class AgentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Agent(models.Model):
    code = models.CharField(_("agent code"), max_length=12, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent")
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="agents", verbose_name=_("host organisation")
    )
    branch = models.ForeignKey(
        "accounts.BranchOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("branch"),
    )
    districts = models.ManyToManyField("regions.District", blank=True, related_name="+", verbose_name=_("districts"))
    villages = models.ManyToManyField("regions.Village", blank=True, related_name="+", verbose_name=_("villages"))
    status = models.CharField(_("status"), max_length=10, choices=AgentStatus.choices, default=AgentStatus.ACTIVE)
    cash_limit_idr = models.BigIntegerField(_("cash limit (Rp)"))
    # The balance of the agent's ledger account ``clearing:agent:<code>``, kept as it moves (under
    # this row's lock) so that a collection need not sum the account's whole history;
    # ``check_agent_cash`` compares it with the ledger.
    cash_held_idr = models.BigIntegerField(_("cash held (Rp)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == AgentStatus.ACTIVE


class OperationKind(models.TextChoices):
    REGISTER = "register", _("Register a worker")
    COLLECT = "collect", _("Collect contributions")


class SyncOperation(models.Model):
    """One operation an agent's phone sent, once per (agent, client id); its first result is kept."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="operations", db_index=False)
    operation_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=OperationKind.choices)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    result = models.JSONField(default=dict)
    # Where the work was done, as the phone says: its own random id, and a ~100 m grid cell
    # ("-6.991,110.423") when it shared its position. For fraud signals only; either may be empty.
    device = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=24, blank=True)

    class Meta:
        verbose_name = _("synced operation")
        verbose_name_plural = _("synced operations")
        constraints = [
            models.UniqueConstraint(fields=["agent", "operation_id"], name="agents_operation_once_per_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.operation_id}"


class Collection(models.Model):
    """Cash an agent took from a member; the payment it became is in ``payments``."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="collections")
    operation = models.OneToOneField(SyncOperation, on_delete=models.PROTECT, related_name="collection")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    amount_idr = models.BigIntegerField(_("amount (Rp)"))
    months = models.JSONField(_("months paid"), default=list)
    credit_idr = models.BigIntegerField(_("kept as credit (Rp)"), default=0)
    collected_at = models.DateTimeField(_("collected at"))
    payment_id = models.BigIntegerField()
    receipt_number = models.CharField(_("receipt number"), max_length=20, blank=True)
    # Set once: the month whose statement took back the commission paid on a reversed collection.
    clawed_back_in = models.CharField(max_length=7, blank=True)
    commission_month = models.CharField(max_length=7, blank=True)
    commission_idr = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-collected_at"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.amount_idr}"


class CommissionRule(models.Model):
    """Dated commission rates (the 2018 scheme first; a later period gets a new row)."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    collection_rate = models.DecimalField(_("share of contributions collected"), max_digits=6, decimal_places=4)
    acquisition_bonus_idr = models.BigIntegerField(_("acquisition bonus (Rp)"))
    acquisition_bonus_members = models.PositiveIntegerField(_("new members per bonus"))
    agent_share = models.DecimalField(_("agent's share"), max_digits=5, decimal_places=4)
    # The first payment an agent collects for a member the agent registered earns no percentage.
    first_payment_deducted = models.BooleanField(_("first payment deducted"), default=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")

    def __str__(self) -> str:
        return self.version


class CommissionStatement(models.Model):
    """One agent's commission for one month, as posted to the ledger (one entry per statement)."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="statements")
    month = models.CharField(_("month"), max_length=7)
    rule = models.ForeignKey(CommissionRule, on_delete=models.PROTECT, related_name="+")
    collected_idr = models.BigIntegerField(_("collected (Rp)"))
    first_payments_idr = models.BigIntegerField(_("first payments deducted (Rp)"))
    collection_commission_idr = models.BigIntegerField(_("collection commission (Rp)"))
    new_members = models.PositiveIntegerField(_("new members"))
    bonus_idr = models.BigIntegerField(_("acquisition bonus (Rp)"))
    clawback_idr = models.BigIntegerField(_("clawed back (Rp)"), default=0)
    agent_idr = models.BigIntegerField(_("agent's share (Rp)"))
    organisation_idr = models.BigIntegerField(_("organisation's share (Rp)"))
    entry_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "agent__code"]
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        constraints = [models.UniqueConstraint(fields=["agent", "month"], name="agents_statement_once_per_month")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.month}"

    @property
    def gross_idr(self) -> int:
        return self.collection_commission_idr + self.bonus_idr


class FraudRule(models.Model):
    """Dated thresholds for the signals supervisors see. They flag work to look into; nothing is
    decided or blocked by them."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    window_days = models.PositiveSmallIntegerField(_("look back (days)"))
    burst_registrations = models.PositiveSmallIntegerField(_("registrations in a burst"))
    burst_minutes = models.PositiveSmallIntegerField(_("burst length (minutes)"))
    late_sync_hours = models.PositiveIntegerField(_("collection sent late after (hours)"))
    cash_hold_days = models.PositiveSmallIntegerField(_("cash held too long after (days)"))
    receipt_reports = models.PositiveSmallIntegerField(_("reports of missing receipts"))

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("fraud signal rule")
        verbose_name_plural = _("fraud signal rules")
        permissions = [("view_fraud_signals", "Can see fraud signals about field agents")]

    def __str__(self) -> str:
        return self.version


class ReportChannel(models.TextChoices):
    PORTAL = "portal", _("Member portal")
    BRANCH = "branch", _("Branch office (call or visit)")
    SMS = "sms", _("SMS reply")


class ReceiptReport(models.Model):
    """A member saying they paid an agent in cash and got no receipt."""

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt_reports")
    channel = models.CharField(_("reported through"), max_length=10, choices=ReportChannel.choices)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    amount_idr = models.BigIntegerField(_("amount (Rp)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("missing receipt report")
        verbose_name_plural = _("missing receipt reports")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.reported_at:%Y-%m-%d}"
