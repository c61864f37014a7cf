"""Partner organisations, their users and members, and bulk imports of workers.

A partner (community, cooperative, platform, village government …) enrols its
members in bulk. An import is processed in batches; each batch commits its rows,
its per-row results and the job's counters together, so the job's
``last_committed_row`` always says exactly how far the file has been applied.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    ASSOCIATION = "association", _("Association")
    COOPERATIVE = "cooperative", _("Cooperative")
    PLATFORM = "platform", _("Platform (ride-hailing, marketplace)")
    VILLAGE_GOVERNMENT = "village_government", _("Village government")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    COMPANY = "company", _("Company")
    CSO = "cso", _("Civil-society organisation")
    ZAKAT_DONOR = "zakat_donor", _("Zakat body or donor")


class Organisation(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    region = models.ForeignKey(
        "regions.Regency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("regency / city"),
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    branch = models.ForeignKey(
        "accounts.BranchOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("branch office"),
    )
    # The organisation declares that it has verified its members' mobile numbers itself;
    # only then may its imports skip Rangkul's own verification (recorded per import).
    attests_phone_verification = models.BooleanField(_("attests phone verification"), default=False)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attested_at = models.DateTimeField(_("attested at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def audit_label(self) -> str:
        return self.code


class OrganisationUser(models.Model):
    """A user who acts for an organisation (with the partner_admin role)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="users")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_link")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("organisation user")
        verbose_name_plural = _("organisation users")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation.code}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportJob(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="imports"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_format = models.CharField(max_length=4)  # "csv" or "xlsx"
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    # Data rows in the file: an estimate while running (counted lines), exact once completed.
    rows = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    # Spreadsheet row number (header = 1) of the last row whose batch committed (one session).
    last_committed_row = models.PositiveIntegerField(default=0)
    # Sessions importing the file at once, each taking every n-th batch (ADR 0019); fixed, with
    # the batch size, by the first run that splits the file, so that every later run resumes the same parts.
    parts = models.PositiveSmallIntegerField(default=1)
    batch_size = models.PositiveIntegerField(null=True, blank=True)
    # Where the current run started, for rows per second.
    run_started_at = models.DateTimeField(null=True, blank=True)
    run_start_processed = models.PositiveIntegerField(default=0)
    # The lease of the process running the import: renewed with every committed batch. A running
    # job whose lease ran out (PARTNER_IMPORT_STALE_SECONDS) lost its process and may be resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Where the member list was found: the XLSX sheet and the header's row.
    sheet_name = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    skip_phone_verification = models.BooleanField(_("phone verification skipped"), default=False)
    sponsorship_code = models.CharField(_("sponsorship code"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["organisation", "file_sha256"], name="partners_import_file_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    def audit_label(self) -> str:
        return f"import {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.COMPLETED, ImportStatus.FAILED, ImportStatus.CANCELLED}

    @property
    def is_stale(self) -> bool:
        """Running (or queued) without a sign of life within the lease: its process died, or none took it."""
        if self.status not in {ImportStatus.RUNNING, ImportStatus.QUEUED}:
            return False
        last = self.heartbeat_at or self.run_started_at or self.created_at
        return last < timezone.now() - dt.timedelta(seconds=settings.PARTNER_IMPORT_STALE_SECONDS)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.COMPLETED:
            return 100
        if not self.rows:
            return 0
        return min(99, self.processed * 100 // self.rows)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.processed,
            "imported": self.imported,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
        }


class RowOutcome(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


class ImportJobPart(models.Model):
    """One of the sessions importing a job's file at once: batches ``number``, ``number + parts``, … (ADR 0019)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="part_progress")
    number = models.PositiveSmallIntegerField()
    # The file's next batch (0 = the first) this part writes: its watermark.
    next_batch = models.PositiveIntegerField()
    finished = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="partners_import_part_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.number}"


class ImportRowResult(models.Model):
    """One outcome per row; a rejected row has one result per problem."""

    # Both indexes below start with the job: no index of its own.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="results", db_index=False)
    row_number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices)
    column = models.CharField(_("column"), max_length=100, blank=True)
    # The offending value as written; a NIK is stored masked.
    value = models.CharField(_("value"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    worker = models.ForeignKey("registry.Worker", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["job", "row_number", "id"]
        verbose_name = _("import row result")
        verbose_name_plural = _("import row results")
        indexes = [
            models.Index(fields=["job", "outcome", "row_number"], name="partners_result_outcome_idx"),
            models.Index(fields=["job", "worker"], name="partners_result_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.outcome}"


class MemberConsent(models.TextChoices):
    GIVEN = "given", _("Member agreed")
    PENDING = "pending", _("Awaiting the member's consent")


class Membership(models.Model):
    """A worker is a member of an organisation; a worker may belong to several.

    A member the organisation registered (or who agreed) is fully visible to it. A person
    already registered elsewhere whom an import names (NIK, name and birth date matching) is
    linked with consent PENDING: until the member agrees, the organisation sees only what it
    supplied itself (``supplied_name`` and the masked NIK), never the registry's record.
    """

    # The unique (organisation, worker) constraint is the organisation's index.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    worker = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="partner_memberships")
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    source_import = models.ForeignKey(
        ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    # Database defaults: bulk paths insert memberships without naming these columns.
    consent = models.CharField(
        _("member's consent"),
        max_length=10,
        choices=MemberConsent.choices,
        default=MemberConsent.GIVEN,
        db_default=MemberConsent.GIVEN.value,
    )
    supplied_name = models.CharField(
        _("name as the organisation wrote it"), max_length=150, blank=True, default="", db_default=""
    )
    consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["-joined_at", "-id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "worker"], name="partners_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code}: {self.worker_id}"
