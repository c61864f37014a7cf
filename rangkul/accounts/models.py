from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BranchOffice(models.Model):
    """A branch (kantor cabang), e.g. "Semarang Majapahit"; staff are scoped to its region."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # The regency/city the branch serves; staff see workers whose village lies in it.
    regency = models.ForeignKey("regions.Regency", on_delete=models.PROTECT, related_name="branch_offices")
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Shown to members on the help page: where to go or call after an accident or a death.
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("branch office")
        verbose_name_plural = _("branch offices")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Every person who logs in: staff, agents, partner and sponsor users, workers."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    branch = models.ForeignKey(
        BranchOffice, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("branch")
    )
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Second factor for staff: an authenticator-app (TOTP, RFC 6238) secret, sealed like a NIK.
    totp_secret_sealed = models.TextField(blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last 30-second step accepted, so that a code cannot be used twice.
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Named permissions that roles are built from (see roles.py). Model-level
        # add/change/view permissions of each app are used alongside these.
        permissions = [
            ("access_office", "Can use the back office"),
            ("reveal_nik", "Can reveal a full NIK (audited)"),
            ("register_worker", "Can register workers"),
            ("view_all_regions", "Can see workers in every region"),
            ("manage_partner", "Can manage a partner organisation and its imports"),
            ("manage_sponsorship", "Can manage sponsorships and their cohorts"),
            ("collect_contributions", "Can collect contributions as a field agent"),
            ("process_claims", "Can prepare claims"),
            ("approve_claims", "Can approve claims and payouts"),
            ("approve_adjustments", "Can approve ledger adjustments and payment exceptions"),
            ("view_analytics", "Can view aggregate dashboards and exports"),
            ("view_audit_log", "Can browse the audit log"),
            ("handle_payments", "Can upload settlement files and propose how to resolve payment exceptions"),
            ("approve_payments", "Can approve or send back payment exception resolutions"),
            ("run_campaigns", "Can create outreach campaigns"),
            ("approve_campaigns", "Can approve outreach campaigns made by someone else"),
            ("anonymise_worker", "Can erase a member's personal data at their request (audited)"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret_sealed and self.totp_confirmed_at)

    def is_locked(self, *, now: dt.datetime | None = None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or timezone.now()))


class ApiKey(models.Model):
    """A key for partners and integrations. Only its SHA-256 is stored."""

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(max_length=12, unique=True, help_text=_("First characters, to recognise a key."))
    key_hash = models.CharField(max_length=64, unique=True)
    organisation_code = models.CharField(_("organisation code"), max_length=40, blank=True, db_index=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="api_keys")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class OtpPurpose(models.TextChoices):
    REGISTER = "register", _("Registration")
    LOGIN = "login", _("Log in")
    CHANGE_PHONE = "change_phone", _("Change mobile number")


class OtpChallenge(models.Model):
    """A one-time code sent to a mobile number (rangkul/accounts/otp.py).

    Neither the code nor the number is stored: ``code_hash`` is a keyed hash of the
    code with a per-challenge salt, ``phone_hash`` the keyed lookup hash of the number.
    """

    phone_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=20, choices=OtpPurpose.choices)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer code replaced this one, or after the last wrong attempt.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Keyed hash of the requesting address, for the per-address limit (the address is not stored).
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="accounts_otp_phone_created_idx")]

    def __str__(self) -> str:
        return f"OTP {self.purpose} #{self.pk}"

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts, 0)
