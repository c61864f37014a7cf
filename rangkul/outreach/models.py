"""Reminders: one row per member, contribution month and kind, so nobody is reminded twice."""

from __future__ import annotations

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
