"""Rangkul settings: one module, driven by environment variables.

Every variable is listed in `.env.example`. With no environment at all Rangkul
runs in development mode on SQLite; with ``RANGKUL_ENV=production`` it refuses
to start until its secrets and allowed hosts are set.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

ENV = os.environ.get("RANGKUL_ENV", "development").strip().lower()
if ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("RANGKUL_ENV must be development, test or production.")
PRODUCTION = ENV == "production"


def env_str(name: str, default: str | None = None) -> str:
    """A string from the environment; in production a missing secret stops start-up."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None or PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when RANGKUL_ENV=production.")
    return default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development-only secrets: fixed so that demo data stays readable between runs,
# and unusable in production because production demands its own.
_DEV_SECRET_KEY = "rangkul-development-secret-key-not-for-production"  # noqa: S105
_DEV_NIK_SEAL_KEYS = "dev1:ZGV2LW5pay1zZWFsLWtleS0zMi1ieXRlcy1sb25nISE="
_DEV_NIK_HASH_KEY = "ZGV2LW5pay1sb29rdXAtaGFzaC1rZXktbm90LXNlYyE="
_DEV_SANDBOX_CALLBACK_TOKEN = "sandbox-dev-token"  # noqa: S105  (published in .env.example)

SECRET_KEY = env_str("RANGKUL_SECRET_KEY", None if PRODUCTION else _DEV_SECRET_KEY)
DEBUG = env_bool("RANGKUL_DEBUG", ENV == "development")
ALLOWED_HOSTS = env_list("RANGKUL_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("RANGKUL_ALLOWED_HOSTS must be set when RANGKUL_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("RANGKUL_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "rangkul.core.views.csrf_failure"

# NIK protection (see docs/adr/0003-nik-protection.md). Seal keys are
# "key_id:base64(32 bytes)" separated by commas; the first one seals, all open.
NIK_SEAL_KEYS = env_str("RANGKUL_NIK_SEAL_KEYS", None if PRODUCTION else _DEV_NIK_SEAL_KEYS)
NIK_HASH_KEY = env_str("RANGKUL_NIK_HASH_KEY", None if PRODUCTION else _DEV_NIK_HASH_KEY)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "rangkul.core",
    "rangkul.messaging",
    "rangkul.accounts",
    "rangkul.audit",
    "rangkul.regions",
    "rangkul.contributions",
    "rangkul.registry",
    # Before partners: its import_workers command extends the partners one (--sponsorship enrols).
    "rangkul.sponsorships",
    "rangkul.partners",
    "rangkul.outreach",
    "rangkul.portal",
    "rangkul.payments",
    "rangkul.analytics",
    "rangkul.claims",
    "rangkul.agents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rangkul.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for slow mobile networks (static files are served precompressed by WhiteNoise
    # above, which answers before this runs). Django's gzip pads responses at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "rangkul.core.api_errors.ApiErrorShapeMiddleware",
    "rangkul.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rangkul.accounts.middleware.TotpRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["rangkul.core.templatetags.rangkul"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("RANGKUL_DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer must not hang a request (or /readyz): libpq gives up
    # connecting after this many seconds (its minimum is 2).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("RANGKUL_DB_CONNECT_TIMEOUT", 2))
# /readyz answers 503 when the database has not answered within this many seconds.
READYZ_TIMEOUT_SECONDS = float(os.environ.get("RANGKUL_READYZ_TIMEOUT_SECONDS", "").strip() or 1.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and the web server share the demo database.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["rangkul.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:start"
LOGOUT_REDIRECT_URL = "core:landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff lockout: this many failed logins in a row locks the account for the window.
LOGIN_MAX_FAILURES = env_int("RANGKUL_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("RANGKUL_LOGIN_LOCKOUT_MINUTES", 15)
# Back-office staff must use an authenticator app (TOTP) as a second factor. On by default in
# production; off by default in development so the demo logins work with a password alone.
STAFF_TOTP_REQUIRED = env_bool("RANGKUL_STAFF_TOTP_REQUIRED", PRODUCTION)

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if PRODUCTION else 0
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    # Development serves static files through finders; STATIC_ROOT exists only after collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("RANGKUL_MEDIA_ROOT", "").strip() or BASE_DIR / "media")

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend" if ENV == "test" else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Security. Production gets the full set; check --deploy must be silent there.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("RANGKUL_SESSION_SECONDS", 8 * 3600)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sent on every response (rangkul.core.middleware.SecurityHeadersMiddleware). Scripts only from
# Rangkul's own static files: no inline scripts or event handlers anywhere.
CONTENT_SECURITY_POLICY = os.environ.get("RANGKUL_CONTENT_SECURITY_POLICY", "").strip() or (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PERMISSIONS_POLICY = os.environ.get("RANGKUL_PERMISSIONS_POLICY", "").strip() or (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("RANGKUL_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("RANGKUL_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Request bodies: the API's largest legitimate body is far below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("RANGKUL_MAX_BODY_BYTES", 2_621_440)

# E-mail (campaign messages to members with an address): Django's e-mail framework. SMTP in
# production, the console in development; RANGKUL_EMAIL_BACKEND overrides (e.g. the file backend).
EMAIL_BACKEND = os.environ.get("RANGKUL_EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("RANGKUL_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("RANGKUL_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("RANGKUL_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RANGKUL_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("RANGKUL_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("RANGKUL_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("RANGKUL_EMAIL_TIMEOUT_SECONDS", 10)
EMAIL_FILE_PATH = os.environ.get("RANGKUL_EMAIL_FILE_DIR", "").strip() or str(BASE_DIR / "var" / "email")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("RANGKUL_EMAIL_USE_TLS and RANGKUL_EMAIL_USE_SSL are exclusive: choose one.")
DEFAULT_FROM_EMAIL = os.environ.get("RANGKUL_FROM_EMAIL", "Rangkul <noreply@rangkul.local>")

# Text messages (one-time codes, reminders): console in development, in-memory in tests,
# the HTTP provider adapter in production; "rangkul.messaging.backends.file.SmsBackend" for demos.
# A path written before sending moved to rangkul.messaging ("rangkul.messaging.backends.…") still works.
SMS_BACKEND = re.sub(
    r"^rangkul\.outreach\.backends\.",
    "rangkul.messaging.backends.",
    os.environ.get("RANGKUL_SMS_BACKEND", "").strip()
    or (
        "rangkul.messaging.backends.http.SmsBackend"
        if PRODUCTION
        else "rangkul.messaging.backends.locmem.SmsBackend"
        if ENV == "test"
        else "rangkul.messaging.backends.console.SmsBackend"
    ),
)
SMS_FILE_DIR = Path(os.environ.get("RANGKUL_SMS_FILE_DIR", "").strip() or BASE_DIR / "var" / "sms")
SMS_HTTP_URL = os.environ.get("RANGKUL_SMS_HTTP_URL", "").strip()
SMS_HTTP_TOKEN = os.environ.get("RANGKUL_SMS_HTTP_TOKEN", "").strip()
SMS_HTTP_TIMEOUT_SECONDS = env_int("RANGKUL_SMS_HTTP_TIMEOUT_SECONDS", 10)
# One-time codes for mobile numbers: lifetime, wrong tries allowed, resend pacing.
OTP_TTL_SECONDS = env_int("RANGKUL_OTP_TTL_SECONDS", 300)
OTP_MAX_ATTEMPTS = env_int("RANGKUL_OTP_MAX_ATTEMPTS", 5)
OTP_RESEND_SECONDS = env_int("RANGKUL_OTP_RESEND_SECONDS", 60)
OTP_MAX_PER_HOUR = env_int("RANGKUL_OTP_MAX_PER_HOUR", 5)
# Codes asked for from one client address in an hour, whatever the number (number probing).
OTP_MAX_PER_CLIENT_PER_HOUR = env_int("RANGKUL_OTP_MAX_PER_CLIENT_PER_HOUR", 20)
# Behind a reverse proxy: the header the proxy sets to the client's address (e.g. X-Real-IP).
# Empty: REMOTE_ADDR, which behind a proxy is the proxy's own address for every client.
CLIENT_IP_HEADER = os.environ.get("RANGKUL_CLIENT_IP_HEADER", "").strip()
# Self-registration: how many NIKs one verified code may try that turn out to be registered
# already; after that the number must be verified again (whose codes are limited per hour).
REGISTRATION_NIK_TRIES_PER_CODE = env_int("RANGKUL_REGISTRATION_NIK_TRIES_PER_CODE", 2)
# Counters that must hold across processes (the registration's NIK-answer limits) live in Django's
# cache. "local": each process keeps its own (development, tests); "database": one table shared by
# every process and server (create it once with `manage.py createcachetable`).
CACHE_KIND = os.environ.get("RANGKUL_CACHE", "").strip() or "local"
if CACHE_KIND not in {"local", "database"}:
    raise ImproperlyConfigured("RANGKUL_CACHE takes local or database.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "rangkul_cache"}
        if CACHE_KIND == "database"
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# How often registration may say "this NIK is already registered" (rangkul/portal/nik_answers.py):
# early checks on the identity step per client address an hour and per NIK a day, and such answers
# per verified mobile number a day. Counted in the cache: use a shared cache in production.
REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR = env_int("RANGKUL_REGISTRATION_NIK_CHECKS_PER_CLIENT_PER_HOUR", 10)
REGISTRATION_NIK_CHECKS_PER_NIK_PER_DAY = env_int("RANGKUL_REGISTRATION_NIK_CHECKS_PER_NIK_PER_DAY", 3)
REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY = env_int("RANGKUL_REGISTRATION_NIK_ANSWERS_PER_PHONE_PER_DAY", 3)

# Reminders (docs/reminders.md): the kinds the daily run sends (empty = all three), how many days
# before a month's due date "due soon" goes out, how recent a lapse must be for a win-back text
# (older lapses are left to campaigns), and members per committed batch.
REMINDER_KINDS = env_list("RANGKUL_REMINDER_KINDS") or ["due_soon", "missed", "lapsed"]
if set(REMINDER_KINDS) - {"due_soon", "missed", "lapsed"}:
    raise ImproperlyConfigured("RANGKUL_REMINDER_KINDS takes due_soon, missed and lapsed, comma-separated.")
REMINDER_DAYS_BEFORE_DUE = env_int("RANGKUL_REMINDER_DAYS_BEFORE_DUE", 3)
REMINDER_LAPSED_WITHIN_DAYS = env_int("RANGKUL_REMINDER_LAPSED_WITHIN_DAYS", 60)
REMINDER_BATCH_SIZE = env_int("RANGKUL_REMINDER_BATCH_SIZE", 5000)
# Also e-mail each reminder to members who gave an address (the text is always sent by SMS too).
REMINDER_EMAIL_COPY = env_bool("RANGKUL_REMINDER_EMAIL_COPY", True)
# Sponsorship hand-over texts: days before a sponsorship's last day (docs/adr/0030-sponsorships.md).
try:
    SPONSORSHIP_HANDOVER_DAYS = sorted({int(d) for d in env_list("RANGKUL_SPONSORSHIP_HANDOVER_DAYS") or ["30", "7"]})
except ValueError as exc:
    raise ImproperlyConfigured("RANGKUL_SPONSORSHIP_HANDOVER_DAYS takes whole days, comma-separated.") from exc
if any(d < 0 for d in SPONSORSHIP_HANDOVER_DAYS):
    raise ImproperlyConfigured("RANGKUL_SPONSORSHIP_HANDOVER_DAYS must not be negative.")
# The win-back text: this many days after a sponsorship's last day, to members who have not paid on their own.
SPONSORSHIP_WINBACK_DAYS = env_int("RANGKUL_SPONSORSHIP_WINBACK_DAYS", 14)
# PostgreSQL: the daily hand-over and win-back runs text a sponsorship's members in this many
# sessions at once, each member in one part by their key; 1 runs them in one. SQLite always uses one.
SPONSORSHIP_HANDOVER_PARTS = env_int("RANGKUL_SPONSORSHIP_HANDOVER_PARTS", 2)
if SPONSORSHIP_WINBACK_DAYS < 1:
    raise ImproperlyConfigured("RANGKUL_SPONSORSHIP_WINBACK_DAYS must be at least 1.")
if SPONSORSHIP_HANDOVER_PARTS < 1:
    raise ImproperlyConfigured("RANGKUL_SPONSORSHIP_HANDOVER_PARTS must be at least 1.")
if REMINDER_DAYS_BEFORE_DUE < 0 or REMINDER_LAPSED_WITHIN_DAYS < 0 or REMINDER_BATCH_SIZE < 1:
    raise ImproperlyConfigured("RANGKUL_REMINDER_* days must not be negative and the batch size must be positive.")

# The outbound queue (ADR 0034): refused sends are retried after base × 2^(n−1) seconds up to
# MAX_ATTEMPTS, then reported; WhatsApp not delivered within FALLBACK_HOURS gets an SMS copy.
MESSAGING_RETRY_BASE_SECONDS = env_int("RANGKUL_MESSAGING_RETRY_BASE_SECONDS", 60)
MESSAGING_MAX_ATTEMPTS = env_int("RANGKUL_MESSAGING_MAX_ATTEMPTS", 5)
MESSAGING_WHATSAPP_FALLBACK_HOURS = env_int("RANGKUL_MESSAGING_WHATSAPP_FALLBACK_HOURS", 24)
# WhatsApp Business Platform (Cloud API): the sandbox backend outside production.
WHATSAPP_BACKEND = os.environ.get("RANGKUL_WHATSAPP_BACKEND", "").strip() or (
    "rangkul.messaging.backends.whatsapp.WhatsAppBackend"
    if PRODUCTION
    else "rangkul.messaging.backends.whatsapp.LocmemWhatsAppBackend"
)
WHATSAPP_API_URL = os.environ.get("RANGKUL_WHATSAPP_API_URL", "").strip() or "https://graph.facebook.com/v21.0"
WHATSAPP_TOKEN = os.environ.get("RANGKUL_WHATSAPP_TOKEN", "").strip()
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("RANGKUL_WHATSAPP_PHONE_NUMBER_ID", "").strip()
WHATSAPP_APP_SECRET = os.environ.get("RANGKUL_WHATSAPP_APP_SECRET", "").strip()
WHATSAPP_VERIFY_TOKEN = os.environ.get("RANGKUL_WHATSAPP_VERIFY_TOKEN", "").strip()
# Texts people send to Rangkul's number (ADR 0039): the largest provider request read, and how
# long a received text and its answer are kept (docs/security.md).
SMS_INBOUND_MAX_BYTES = env_int("RANGKUL_SMS_INBOUND_MAX_BYTES", 64 * 1024)
SMS_INBOUND_RETENTION_DAYS = env_int("RANGKUL_SMS_INBOUND_RETENTION_DAYS", 90)
# Texts from one number answered in an hour; beyond it a text still acts (STOP stops) but gets no answer.
SMS_INBOUND_ANSWERS_PER_HOUR = env_int("RANGKUL_SMS_INBOUND_ANSWERS_PER_HOUR", 10)
# Days the ~100 m cell of an agent's synced work is kept for the fraud signals (docs/security.md);
# never less than the longest look-back of a fraud-signal rule.
AGENT_LOCATION_RETENTION_DAYS = env_int("RANGKUL_AGENT_LOCATION_RETENTION_DAYS", 90)
if AGENT_LOCATION_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("RANGKUL_AGENT_LOCATION_RETENTION_DAYS must be at least 1 day.")
if SMS_INBOUND_MAX_BYTES < 1024 or SMS_INBOUND_RETENTION_DAYS < 1 or SMS_INBOUND_ANSWERS_PER_HOUR < 1:
    raise ImproperlyConfigured("RANGKUL_SMS_INBOUND_*: at least 1024 bytes, 1 day and 1 answer an hour.")
if MESSAGING_RETRY_BASE_SECONDS < 1 or MESSAGING_MAX_ATTEMPTS < 1 or MESSAGING_WHATSAPP_FALLBACK_HOURS < 1:
    raise ImproperlyConfigured("RANGKUL_MESSAGING_* values must be positive.")

# Campaigns (ADR 0034): messages per member per seven days across campaigns and reminders, the
# share of each campaign's audience kept as a control group, the days a conversion is counted,
# quiet hours in the member's local time (WIB/WITA/WIT), and the link a template's {link} becomes.
OUTREACH_WEEKLY_CAP = env_int("RANGKUL_OUTREACH_WEEKLY_CAP", 2)
OUTREACH_CONTROL_PERCENT = env_int("RANGKUL_OUTREACH_CONTROL_PERCENT", 10)
OUTREACH_CONVERSION_DAYS = env_int("RANGKUL_OUTREACH_CONVERSION_DAYS", 30)
OUTREACH_QUIET_START_HOUR = env_int("RANGKUL_OUTREACH_QUIET_START_HOUR", 21)
OUTREACH_QUIET_END_HOUR = env_int("RANGKUL_OUTREACH_QUIET_END_HOUR", 7)
OUTREACH_LINK_URL = os.environ.get("RANGKUL_OUTREACH_LINK_URL", "").strip() or "https://rangkul.id/"
if OUTREACH_WEEKLY_CAP < 0 or not 0 <= OUTREACH_CONTROL_PERCENT <= 50 or OUTREACH_CONVERSION_DAYS < 1:
    raise ImproperlyConfigured("RANGKUL_OUTREACH_*: the cap is not negative, the control share 0-50, the window >= 1.")
if not (0 <= OUTREACH_QUIET_START_HOUR <= 23 and 0 <= OUTREACH_QUIET_END_HOUR <= 23):
    raise ImproperlyConfigured("RANGKUL_OUTREACH_QUIET_*_HOUR are hours from 0 to 23.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "rangkul.core.logging.RequestContextFilter"},
        "redact_personal_data": {"()": "rangkul.core.logging.RedactPersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_context", "redact_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("RANGKUL_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Asked before a member's personal data is erased (registry.services.erasure): dotted paths to
# callables that take the worker and answer why not ("" when nothing stands in the way).
REGISTRY_ERASURE_BLOCKERS = ["config.erasure.open_claims"]
# Run inside the erasure's transaction, before the member's own data is replaced: each erases the
# member's personal data that an app above the registry holds (config/erasure.py).
REGISTRY_ERASURE_STEPS = [
    "config.erasure.partner_supplied_data",
    "config.erasure.claimant_own_phone",
    "config.erasure.missing_receipt_notes",
]
# Civil-registry (Dukcapil) identity verification: a dotted path to the adapter. The development
# adapter accepts every structurally valid NIK; production plugs in the agency's Dukcapil link.
DUKCAPIL_BACKEND = (
    os.environ.get("RANGKUL_DUKCAPIL_BACKEND", "").strip() or "rangkul.registry.dukcapil.DevelopmentDukcapil"
)

# How long a payment code is accepted after its bill is issued.
PAYMENT_CODE_TTL_HOURS = env_int("RANGKUL_PAYMENT_CODE_TTL_HOURS", 72)

# Claims: a decided benefit above this amount needs a second approver (four eyes, then six);
# the bank-transfer adapter for payouts ("sandbox" is built in and never moves money, so it is
# the default outside production only; production pays nothing until a real adapter is named).
CLAIMS_SECOND_APPROVAL_ABOVE_IDR = env_int("RANGKUL_CLAIMS_SECOND_APPROVAL_ABOVE_IDR", 100_000_000)
CLAIMS_DISBURSEMENT_ADAPTER = os.environ.get("RANGKUL_CLAIMS_DISBURSEMENT_ADAPTER", "").strip() or (
    "" if PRODUCTION else "sandbox"
)
# Days promised to decide and pay a claim; older open claims are flagged on the staff queue.
CLAIMS_PROMISED_DAYS = env_int("RANGKUL_CLAIMS_PROMISED_DAYS", 14)
# Claim documents: kept outside MEDIA_ROOT (no public URL), at most this many bytes each.
CLAIMS_DOCUMENT_ROOT = Path(
    os.environ.get("RANGKUL_CLAIMS_DOCUMENT_ROOT", "").strip() or BASE_DIR / "private" / "claim-documents"
)
CLAIMS_DOCUMENT_MAX_BYTES = env_int("RANGKUL_CLAIMS_DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)
# Signals for the approver: an event this many days after the first payment; a claimant phone
# number (or bank account) on claims for this many other members.
CLAIMS_SIGNAL_EARLY_DAYS = env_int("RANGKUL_CLAIMS_SIGNAL_EARLY_DAYS", 30)
CLAIMS_SIGNAL_SHARED_PHONE = env_int("RANGKUL_CLAIMS_SIGNAL_SHARED_PHONE", 3)
# The public claim forms (file, track) are open to guessing: within a sliding window, at most
# this many uses per client address, and this many failed matches per claim or membership
# number and per phone; then a 429 until the window moves on (ADR 0038).
CLAIMS_FORM_WINDOW_MINUTES = env_int("RANGKUL_CLAIMS_FORM_WINDOW_MINUTES", 60)
CLAIMS_TRACK_MAX_PER_IP = env_int("RANGKUL_CLAIMS_TRACK_MAX_PER_IP", 20)
CLAIMS_TRACK_MAX_PER_CLAIM = env_int("RANGKUL_CLAIMS_TRACK_MAX_PER_CLAIM", 5)
CLAIMS_TRACK_MAX_PER_PHONE = env_int("RANGKUL_CLAIMS_TRACK_MAX_PER_PHONE", 5)
CLAIMS_FILE_MAX_PER_IP = env_int("RANGKUL_CLAIMS_FILE_MAX_PER_IP", 10)
CLAIMS_FILE_MAX_PER_MEMBER = env_int("RANGKUL_CLAIMS_FILE_MAX_PER_MEMBER", 5)
CLAIMS_FILE_MAX_PER_PHONE = env_int("RANGKUL_CLAIMS_FILE_MAX_PER_PHONE", 5)
if (
    CLAIMS_FORM_WINDOW_MINUTES < 1
    or min(
        CLAIMS_TRACK_MAX_PER_IP,
        CLAIMS_TRACK_MAX_PER_CLAIM,
        CLAIMS_TRACK_MAX_PER_PHONE,
        CLAIMS_FILE_MAX_PER_IP,
        CLAIMS_FILE_MAX_PER_MEMBER,
        CLAIMS_FILE_MAX_PER_PHONE,
    )
    < 1
):
    raise ImproperlyConfigured("RANGKUL_CLAIMS_FORM_WINDOW_MINUTES and RANGKUL_CLAIMS_*_MAX_PER_* are at least 1.")

# Bulk imports: rows per committed batch (a crash loses at most one batch) and the largest upload.
# SQLite writes a batch's changed index pages to its log at commit, so larger batches share them
# among more members (ADR 0020; figures in docs/benchmarks.md). On PostgreSQL a larger batch is
# no faster, and a batch one part retries after a deadlock (ADR 0019) stays small.
PARTNER_IMPORT_BATCH_SIZE = env_int(
    "RANGKUL_PARTNER_IMPORT_BATCH_SIZE",
    5000 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 1000,
)
# PostgreSQL: a file of at least PARTNER_IMPORT_PARALLEL_MIN_ROWS rows is imported by this many
# sessions at once (ADR 0019); 1 imports every file in one session. SQLite always uses one.
PARTNER_IMPORT_PARTS = env_int("RANGKUL_PARTNER_IMPORT_PARTS", 2)
PARTNER_IMPORT_PARALLEL_MIN_ROWS = env_int("RANGKUL_PARTNER_IMPORT_PARALLEL_MIN_ROWS", 20_000)
PARTNER_IMPORT_MAX_BYTES = env_int("RANGKUL_PARTNER_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# Uploaded import and settlement files hold personal data. An import's file is deleted when the
# import completes; a failed or stopped import keeps its file this many days to be resumed, and a
# processed settlement file is kept this many days for investigation; `manage.py purge_uploads`
# (run daily) deletes them after that. 0 deletes them at the next purge.
UPLOAD_RETENTION_DAYS = env_int("RANGKUL_UPLOAD_RETENTION_DAYS", 7)
# A running import whose process committed no batch for this long is taken as dead: it is shown as
# stalled and can be resumed (a batch takes seconds; opening a large XLSX, a minute at most).
PARTNER_IMPORT_STALE_SECONDS = env_int("RANGKUL_PARTNER_IMPORT_STALE_SECONDS", 600)
# XLSX files are refused before they are unpacked when they would unpack to more than this
# (decompression bombs): total uncompressed bytes, shared strings, and columns per row.
PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES = env_int("RANGKUL_PARTNER_IMPORT_XLSX_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
PARTNER_IMPORT_XLSX_MAX_SHARED_STRINGS = env_int("RANGKUL_PARTNER_IMPORT_XLSX_MAX_SHARED_STRINGS", 5_000_000)
PARTNER_IMPORT_XLSX_MAX_COLUMNS = env_int("RANGKUL_PARTNER_IMPORT_XLSX_MAX_COLUMNS", 200)

# Payment callbacks: the sandbox channel's shared token (development default documented in
# .env.example; required in production only when the sandbox is enabled), the largest callback
# body accepted, and whether the public sandbox page and channel exist at all.
PAYMENTS_SANDBOX_ENABLED = env_bool("RANGKUL_PAYMENTS_SANDBOX_ENABLED", not PRODUCTION)
SANDBOX_CALLBACK_TOKEN = (
    env_str("RANGKUL_SANDBOX_CALLBACK_TOKEN", _DEV_SANDBOX_CALLBACK_TOKEN)
    if PAYMENTS_SANDBOX_ENABLED
    else os.environ.get("RANGKUL_SANDBOX_CALLBACK_TOKEN", "").strip()
)
PAYMENTS_CALLBACK_MAX_BYTES = env_int("RANGKUL_PAYMENTS_CALLBACK_MAX_BYTES", 64 * 1024)
# Settlement lines per committed batch: a reconciliation killed halfway resumes after the last batch.
PAYMENTS_SETTLEMENT_BATCH_SIZE = env_int("RANGKUL_PAYMENTS_SETTLEMENT_BATCH_SIZE", 5000)
# The largest single payment recorded without review (Rp). A callback or settlement line above it
# is held in the exceptions queue, untouched by the ledger, until two staff members confirm it.
PAYMENTS_PAYMENT_CEILING_IDR = env_int("RANGKUL_PAYMENTS_PAYMENT_CEILING_IDR", 100_000_000)
# Gateway status checks (a first "paid" notice and a reversal are confirmed with the gateway
# before they act): adapter per kind, and how long to wait for the gateway's answer.
PAYMENTS_STATUS_CHECK_ADAPTERS = {
    "midtrans": (
        "rangkul.payments.gateways.SandboxStatusCheck"
        if ENV == "test"
        else "rangkul.payments.gateways.MidtransStatusCheck"
    ),
}
PAYMENTS_STATUS_CHECK_TIMEOUT_SECONDS = env_int("RANGKUL_PAYMENTS_STATUS_CHECK_TIMEOUT_SECONDS", 5)

# Production fails closed: a published development secret stops start-up here, when the settings
# load (gunicorn, uwsgi, every manage.py command), not only in `manage.py check`.
if PRODUCTION:
    _published = [
        name
        for name, value, published in (
            ("RANGKUL_SECRET_KEY", SECRET_KEY, _DEV_SECRET_KEY),
            ("RANGKUL_NIK_SEAL_KEYS", NIK_SEAL_KEYS, _DEV_NIK_SEAL_KEYS),
            ("RANGKUL_NIK_HASH_KEY", NIK_HASH_KEY, _DEV_NIK_HASH_KEY),
            ("RANGKUL_SANDBOX_CALLBACK_TOKEN", SANDBOX_CALLBACK_TOKEN, _DEV_SANDBOX_CALLBACK_TOKEN),
        )
        if value and published in {part.strip() for part in value.split(",")} | {value}
    ]
    if _published:
        raise ImproperlyConfigured(
            f"{', '.join(_published)}: the published development value must not be used when RANGKUL_ENV=production."
        )

if ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
