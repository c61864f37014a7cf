"""Coverage snapshots: counts of members per regency, occupation and status, taken once a day.

A dashboard over tens of millions of members must not count transactional tables
while an analyst waits. A snapshot is one set-based pass over member statuses; the
dashboard then reads a few thousand rows. Snapshots are kept, so coverage can be
followed over time. No row holds personal data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageSnapshot(models.Model):
    """One day's counts, written whole in one transaction (never half a snapshot)."""

    day = models.DateField(_("day"), unique=True)
    taken_at = models.DateTimeField(_("taken at"))
    members = models.PositiveBigIntegerField(_("members"))
    seconds = models.FloatField(_("seconds to take"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")

    def __str__(self) -> str:
        return f"{self.day} ({self.members})"


class CoverageCount(models.Model):
    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="counts")
    # Codes, not foreign keys: a snapshot keeps what was true that day even if the
    # region list or the occupation catalogue changes later.
    regency_code = models.CharField(_("regency"), max_length=5)
    occupation_code = models.CharField(_("occupation"), max_length=40)
    status = models.CharField(_("status"), max_length=12)
    members = models.PositiveBigIntegerField(_("members"))

    class Meta:
        verbose_name = _("coverage count")
        verbose_name_plural = _("coverage counts")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "regency_code", "occupation_code", "status"], name="analytics_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.regency_code} {self.occupation_code} {self.status}: {self.members}"


class CoverageAreaCount(models.Model):
    """Members and active members of one snapshot per area: the nation ("ID"), each province and regency.

    Written by the snapshot beside its counts, so rates and their history read a few
    hundred rows per day instead of summing every regency × occupation × status group.
    """

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("area"), max_length=5)
    members = models.PositiveBigIntegerField(_("members"))
    active = models.PositiveBigIntegerField(_("active members"))

    class Meta:
        verbose_name = _("coverage by area")
        verbose_name_plural = _("coverage by area")
        constraints = [models.UniqueConstraint(fields=["snapshot", "code"], name="analytics_area_unique")]

    def __str__(self) -> str:
        return f"{self.code}: {self.active}/{self.members}"


class RetentionCohort(models.Model):
    """Members registered in one month, and how many paid for each month since (index 0 = that month)."""

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="cohorts")
    cohort = models.DateField(_("month of registration"))
    members = models.PositiveBigIntegerField(_("members"))
    # paying[k]: members of the cohort with a paid contribution for month cohort + k, up to the snapshot's month.
    paying = models.JSONField(_("paying per month since registration"), default=list)

    class Meta:
        ordering = ["cohort"]
        verbose_name = _("retention cohort")
        verbose_name_plural = _("retention cohorts")
        constraints = [models.UniqueConstraint(fields=["snapshot", "cohort"], name="analytics_cohort_unique")]

    def __str__(self) -> str:
        return f"{self.cohort:%Y-%m}: {self.members}"


class LapseFunnel(models.Model):
    """Registered → paid once → paid 3 months → paid 12 months, per channel × partner × occupation."""

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="funnel")
    channel = models.CharField(_("registration channel"), max_length=10)
    partner = models.CharField(_("partner"), max_length=40, blank=True)
    occupation_code = models.CharField(_("occupation"), max_length=40)
    registered = models.PositiveBigIntegerField(_("registered"))
    paid_once = models.PositiveBigIntegerField(_("paid once"))
    paid_3 = models.PositiveBigIntegerField(_("paid 3 months"))
    paid_12 = models.PositiveBigIntegerField(_("paid 12 months"))

    class Meta:
        verbose_name = _("lapse funnel")
        verbose_name_plural = _("lapse funnel")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "channel", "partner", "occupation_code"], name="analytics_funnel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.partner}/{self.occupation_code}: {self.registered}"


class FunnelDimension(models.TextChoices):
    SPONSORSHIP = "sponsorship", _("Sponsorship")
    AGENT = "agent", _("Field agent")


class GroupFunnel(models.Model):
    """The lapse funnel of the members of one sponsorship, or of the members one field agent registered.

    Sponsorships and agents are counted by code; a member of two sponsorships is counted in each.
    """

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="group_funnels")
    dimension = models.CharField(_("grouped by"), max_length=12, choices=FunnelDimension.choices)
    code = models.CharField(_("code"), max_length=40)
    label = models.CharField(_("name"), max_length=200)
    registered = models.PositiveBigIntegerField(_("registered"))
    paid_once = models.PositiveBigIntegerField(_("paid once"))
    paid_3 = models.PositiveBigIntegerField(_("paid 3 months"))
    paid_12 = models.PositiveBigIntegerField(_("paid 12 months"))

    class Meta:
        verbose_name = _("lapse funnel by sponsorship or agent")
        verbose_name_plural = _("lapse funnels by sponsorship or agent")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "dimension", "code"], name="analytics_group_funnel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.code}: {self.registered}"


class SponsorshipCliff(models.Model):
    """What happens after a sponsorship's last month: how many of its members still pay 1, 3 and 6 months on.

    ``after_k`` is null while month last + k is after the snapshot's month (not reached yet).
    """

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="sponsorship_cliffs")
    code = models.CharField(_("sponsorship"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    last_month = models.DateField(_("last sponsored month"))
    members = models.PositiveBigIntegerField(_("members"))
    paying_last = models.PositiveBigIntegerField(_("paying in the last sponsored month"))
    after_1 = models.PositiveBigIntegerField(_("paying 1 month after"), null=True)
    after_3 = models.PositiveBigIntegerField(_("paying 3 months after"), null=True)
    after_6 = models.PositiveBigIntegerField(_("paying 6 months after"), null=True)

    class Meta:
        ordering = ["last_month", "code"]
        verbose_name = _("sponsorship lapse cliff")
        verbose_name_plural = _("sponsorship lapse cliffs")
        constraints = [models.UniqueConstraint(fields=["snapshot", "code"], name="analytics_cliff_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.last_month:%Y-%m}: {self.members}"
