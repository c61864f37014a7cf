"""Workers (peserta), their heirs, the occupation catalogue and the duplicates queue.

The NIK is never stored in plaintext: ``nik_sealed`` holds it under authenticated
encryption and ``nik_hash`` (keyed HMAC) keeps it unique and searchable. See
rangkul/core/crypto.py and docs/adr/0003-nik-protection.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rangkul.core.crypto import mask_nik, unseal


class Sector(models.TextChoices):
    # The PP 50/2025 discount periods differ by sector (DOMAIN.md).
    TRANSPORT = "transport", _("Transport")
    NON_TRANSPORT = "non_transport", _("Non-transport")


class Occupation(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Self-service portal")
    OFFICE = "office", _("Branch office")
    API = "api", _("Partner API")
    AGENT = "agent", _("Field agent")
    IMPORT = "import", _("Bulk import")


class WorkerStatus(models.TextChoices):
    ACTIVE = "active", _("Active record")
    # A duplicate record folded into the older one; kept, never deleted.
    MERGED = "merged", _("Merged into another record")
    # Personal data erased at the member's request (UU 27/2022); money records kept.
    ANONYMISED = "anonymised", _("Personal data erased")


# Members outside a wage relationship (BPU) always have JKK and JKM (PP 44/2015) and may add
# JHT (PP 46/2015); the rule tables price them.
MANDATORY_PROGRAMS = ("JKK", "JKM")
OPTIONAL_PROGRAMS = ("JHT",)


def programs_for(*, jht: bool) -> list[str]:
    """A member's programs, in the order they are shown and priced: the one home of this rule."""
    return [*MANDATORY_PROGRAMS, *(["JHT"] if jht else [])]


class Worker(models.Model):
    membership_number = models.CharField(_("membership number"), max_length=11, unique=True)
    nik_sealed = models.TextField(editable=False)
    nik_hash = models.CharField(max_length=64, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=150)
    # Case- and space-folded name for duplicate detection and search.
    name_normalized = models.CharField(max_length=150, editable=False)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("mobile number"), max_length=20)
    phone_verified_at = models.DateTimeField(_("mobile number verified at"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    village = models.ForeignKey(
        "regions.Village",
        on_delete=models.PROTECT,
        related_name="workers",
        verbose_name=_("village"),
        db_index=False,  # registry_worker_village_idx below serves equality and region prefixes
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="workers", verbose_name=_("occupation")
    )
    second_occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("second occupation"),
        db_index=False,  # a partial index below: most members have none
    )
    declared_income_idr = models.BigIntegerField(_("declared monthly income (Rp)"))
    jht = models.BooleanField(_("old-age savings (JHT)"), default=False)
    payment_period_months = models.PositiveSmallIntegerField(
        _("preferred payment period (months)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    branch = models.ForeignKey(
        "accounts.BranchOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workers",
        verbose_name=_("branch office"),
    )
    channel = models.CharField(_("registration channel"), max_length=10, choices=Channel.choices)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # Organisation code of the API key that registered the worker: partners see their own members.
    # Only ever read together with a membership number, whose unique index finds the row: an index
    # of its own would be one more entry to write for every member and serve no query.
    registered_by_organisation = models.CharField(max_length=40, blank=True)
    # The referral code on the flyer or link the member registered through, as given (outreach
    # owns the codes and counts them; the registry only keeps what was presented). Empty if none.
    referral_code = models.CharField(_("referral code"), max_length=20, blank=True, default="", db_default="")
    identity_warnings = models.JSONField(_("identity warnings"), default=list, blank=True)
    status = models.CharField(_("record status"), max_length=10, choices=WorkerStatus.choices, default="active")
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records", db_index=False
    )

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        indexes = [
            models.Index(fields=["name_normalized", "birth_date", "village"], name="registry_worker_dedup_idx"),
            # Newest first is the default listing in the back office and for partners.
            models.Index(fields=["-registered_at", "-id"], name="registry_worker_recent_idx"),
            # One index for a village and for a region's prefix ("33.74.%"): a pattern index
            # answers both, where Django's default makes two (ADR 0018).
            models.Index(fields=["village"], name="registry_worker_village_idx", opclasses=["varchar_pattern_ops"]),
            # Equality only (duplicate search, payments): no prefix-search twin (ADR 0018).
            models.Index(fields=["phone"], name="registry_worker_phone_idx"),
            # Mostly empty references: indexed where set, so that a new member (none set) costs no entry.
            models.Index(
                fields=["registered_by"],
                name="registry_worker_reg_by_idx",
                condition=models.Q(registered_by__isnull=False),
            ),
            models.Index(
                fields=["referral_code"],
                name="registry_worker_referral_idx",
                condition=~models.Q(referral_code=""),
            ),
            models.Index(
                fields=["second_occupation"],
                name="registry_worker_occ2_idx",
                condition=models.Q(second_occupation__isnull=False),
            ),
            models.Index(
                fields=["merged_into"],
                name="registry_worker_merged_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment_period_months__gte=1, payment_period_months__lte=12),
                name="registry_worker_payment_period_1_12",
            ),
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F"]), name="registry_worker_sex_m_f"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_number} {self.full_name}"

    def audit_label(self) -> str:
        return self.membership_number

    @property
    def nik(self) -> str:
        """The plaintext NIK; only for the reveal and export services."""
        return unseal(self.nik_sealed, purpose="nik")

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def programs(self) -> list[str]:
        return programs_for(jht=self.jht)


class Relationship(models.TextChoices):
    # The order of heirs (DOMAIN.md): spouse and children; if none, parents,
    # grandchildren, grandparents, siblings, parents-in-law, a person named in a will.
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Brother or sister")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    NAMED_IN_WILL = "named_in_will", _("Person named in a will")


RELATIONSHIP_ORDER = {value: index for index, value in enumerate(Relationship.values)}


class Heir(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="heirs")
    full_name = models.CharField(_("full name"), max_length=150)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    nik_sealed = models.TextField(blank=True, editable=False)
    nik_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["worker", "id"]
        verbose_name = _("heir")
        verbose_name_plural = _("heirs")

    def __str__(self) -> str:
        return self.full_name

    def audit_label(self) -> str:
        return f"{self.worker.membership_number} / {self.get_relationship_display()}"

    @property
    def nik_masked(self) -> str:
        return mask_nik(unseal(self.nik_sealed, purpose="heir_nik")) if self.nik_sealed else ""

    @property
    def rank(self) -> int:
        return RELATIONSHIP_ORDER.get(self.relationship, len(RELATIONSHIP_ORDER))


class DuplicateReason(models.TextChoices):
    NAME_BIRTH_VILLAGE = "name_birth_village", _("Same name, date of birth and village")
    PHONE = "phone", _("Same mobile number")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Dismissed")


class PossibleDuplicate(models.Model):
    """Two records that may be one person; branch staff decide."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="possible_duplicates")
    other = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=DuplicateReason.choices)
    status = models.CharField(_("status"), max_length=10, choices=DuplicateStatus.choices, default="open")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["worker", "other", "reason"], name="registry_duplicate_pair_reason"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="registry_dup_status_idx")]

    def __str__(self) -> str:
        return f"{self.worker_id} ~ {self.other_id} ({self.reason})"

    def merge_order(self) -> tuple[Worker, Worker]:
        """(the record that stays, the record merged into it): the older registration stays."""
        older, newer = sorted([self.worker, self.other], key=lambda w: (w.registered_at, w.pk))
        return older, newer


class ErasureRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a second administrator")
    DONE = "done", _("Personal data erased")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ErasureRequest(models.Model):
    """A member's request to have their personal data erased: one administrator records it, another
    carries it out (maker–checker). The reason is the request's reference, never personal data."""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="erasure_requests")
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=ErasureRequestStatus.choices, default=ErasureRequestStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            # At most one request waits per member.
            models.UniqueConstraint(
                fields=["worker"], condition=models.Q(status="pending"), name="registry_erasure_one_pending"
            ),
            # The administrator who decides is never the one who asked.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("requested_by")),
                name="registry_erasure_maker_not_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.status}"
