"""Kemendagri administrative regions, keyed by their official codes.

Codes are dotted (``33``, ``33.74``, ``33.74.01``, ``33.74.01.1001``) as in
Kemendagri's lists; the code is the primary key, so references are readable
and loading is idempotent.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class Regency(models.Model):
    """Kabupaten (codes 01–69) or kota (71–99)."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="regencies")
    name = models.CharField(_("name"), max_length=100)
    # Daerah 3T (tertinggal, terdepan, terluar): where field agents matter most.
    is_remote = models.BooleanField(_("remote (3T) area"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regency or city")
        verbose_name_plural = _("regencies and cities")

    def __str__(self) -> str:
        return self.name

    @property
    def is_city(self) -> bool:
        return int(self.code[-2:]) >= 71


class District(models.Model):
    code = models.CharField(_("code"), max_length=8, primary_key=True)
    regency = models.ForeignKey(Regency, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """Desa (serial starting with 2) or kelurahan (starting with 1)."""

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="villages")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("village")
        verbose_name_plural = _("villages")

    def __str__(self) -> str:
        return self.name

    @property
    def regency_code(self) -> str:
        return self.code[:5]

    @property
    def province_code(self) -> str:
        return self.code[:2]


class WorkforceLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    REGENCY = "regency", _("Regency or city")


class WorkforceDefinition(models.TextChoices):
    # Own-account workers, those helped by temporary or unpaid workers, casual and unpaid family workers.
    BPS_INFORMAL = "bps_informal", _("BPS informal employment (Sakernas)")
    # The agency's narrower headline population ("60 million informal workers").
    BPU_TARGET = "bpu_target", _("The agency's BPU target population")


class WorkforceRelease(models.Model):
    """One loaded file of informal-workforce figures (the denominators of coverage).

    Releases are kept when newer ones are loaded; exactly one is current, and every
    coverage page names it. A version's content never changes: a corrected file is a new version.
    """

    version = models.CharField(_("version"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    source_file = models.CharField(_("source file"), max_length=200, blank=True)
    content_sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["-loaded_at"]
        verbose_name = _("workforce release")
        verbose_name_plural = _("workforce releases")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="regions_workforce_one_current"
            )
        ]

    def __str__(self) -> str:
        return self.version

    def audit_label(self) -> str:
        return self.version


class WorkforceFigure(models.Model):
    """One published figure: informal workers in an area for a reference month, as the source gives it.

    Where the source publishes only a share, the count is derived from the employed
    population given beside it (``derived``); with no employed population the count stays empty.
    """

    release = models.ForeignKey(WorkforceRelease, on_delete=models.CASCADE, related_name="figures")
    level = models.CharField(_("level"), max_length=10, choices=WorkforceLevel.choices)
    # "ID" for the nation, else a Kemendagri province (PP) or regency (PP.RR) code.
    code = models.CharField(_("code"), max_length=5)
    definition = models.CharField(_("definition"), max_length=20, choices=WorkforceDefinition.choices)
    reference_month = models.DateField(_("reference month"))
    informal_workers = models.PositiveBigIntegerField(_("informal workers"), null=True, blank=True)
    informal_share_percent = models.DecimalField(
        _("informal share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    employed = models.PositiveBigIntegerField(_("employed population"), null=True, blank=True)
    derived = models.BooleanField(_("count derived from the share"), default=False)
    source = models.CharField(_("source"), max_length=300)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["level", "code", "definition", "-reference_month"]
        verbose_name = _("workforce figure")
        verbose_name_plural = _("workforce figures")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "level", "code", "definition", "reference_month"], name="regions_workforce_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.definition} {self.reference_month:%Y-%m}"
