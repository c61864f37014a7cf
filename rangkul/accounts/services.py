from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.accounts.models import ApiKey, User
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ValidationFailed

API_KEY_PREFIX = "rk_"


def user_for_login(username: str) -> User | None:
    return User.objects.filter(username__iexact=username.strip()).first()


@transaction.atomic
def user_login_failed(*, user: User) -> None:
    """Count a failure; the failure that reaches the limit locks the account."""
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count", "locked_until"])
    if user.failed_login_count >= settings.LOGIN_MAX_FAILURES:
        user.locked_until = timezone.now() + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        user.failed_login_count = 0
        user.save(update_fields=["locked_until", "failed_login_count"])
        audit_record(
            actor=Actor.system("system"),
            action="accounts.user_locked",
            subject=user,
            after={"locked_until": user.locked_until.isoformat()},
        )


def user_login_succeeded(*, user: User) -> None:
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)


def _hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor: Actor, name: str, organisation_code: str = "", user: User | None = None) -> str:
    """Create a key and return it in full: the only time it is ever seen."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("An API key needs a name."), fields={"name": [_("This field is required.")]})
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=raw[:12],
        key_hash=_hash_api_key(raw),
        organisation_code=organisation_code.strip(),
        user=user,
    )
    audit_record(
        actor=actor,
        action="accounts.api_key_created",
        subject=key,
        after={"name": key.name, "prefix": key.prefix, "organisation_code": key.organisation_code},
    )
    return raw


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key for a presented secret, or None. Lookup by hash, never by the secret."""
    if not raw or not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
        return None
    key = ApiKey.objects.select_related("user").filter(key_hash=_hash_api_key(raw), revoked_at__isnull=True).first()
    if key is None:
        return None
    now = timezone.now()
    # Touch at most once a minute so that busy integrations do not write on every call.
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@transaction.atomic
def api_key_revoke(*, actor: Actor, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.api_key_revoked", subject=key)
