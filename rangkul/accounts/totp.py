"""Staff second factor: time-based one-time codes from an authenticator app (RFC 6238).

The secret is sealed at rest (``rangkul.core.crypto.seal``, purpose ``totp``); a code is
accepted once (the last accepted 30-second step is stored), within one step of clock drift;
wrong codes count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.accounts.models import User
from rangkul.accounts.services import user_login_failed, user_login_succeeded
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.crypto import seal, unseal
from rangkul.core.errors import ValidationFailed

ISSUER = "Rangkul"
STEP_SECONDS = 30


def totp_secret_new() -> str:
    return pyotp.random_base32()


def totp_provisioning_svg(*, user: User, secret: str) -> str:
    """The QR code an authenticator app scans, as inline SVG (no image files, nothing stored)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#1b1f23")


def _matching_step(secret: str, code: str, *, last_step: int | None) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    now_step = int(timezone.now().timestamp()) // STEP_SECONDS
    totp = pyotp.TOTP(secret)
    for step in (now_step, now_step - 1, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str) -> None:
    """Confirm the app was set up correctly (a valid code) and store the sealed secret."""
    step = _matching_step(secret, code, last_step=None)
    if step is None:
        raise ValidationFailed(
            _("That code does not match. Check the time on your phone and type the newest code."),
            fields={"code": [_("That code does not match.")]},
        )
    user.totp_secret_sealed = seal(secret, purpose="totp")
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step
    user.save(update_fields=["totp_secret_sealed", "totp_confirmed_at", "totp_last_step"])
    audit_record(actor=Actor.for_user(user), action="accounts.totp_enabled", subject=user)


@transaction.atomic
def totp_verify(*, user: User, code: str) -> bool:
    """Check a login code; a wrong one counts as a failed login (and may lock the account)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_locked() or not locked.has_totp:
        return False
    step = _matching_step(unseal(locked.totp_secret_sealed, purpose="totp"), code, last_step=locked.totp_last_step)
    if step is None:
        user_login_failed(user=locked)
        return False
    User.objects.filter(pk=locked.pk).update(totp_last_step=step)
    user_login_succeeded(user=locked)
    return True


@transaction.atomic
def totp_disable(*, actor: Actor, user: User, reason: str) -> None:
    """An administrator resets a lost authenticator; the user sets it up again at next login."""
    if not reason.strip():
        raise ValidationFailed(_("Give a reason."), fields={"reason": [_("This field is required.")]})
    User.objects.filter(pk=user.pk).update(totp_secret_sealed="", totp_confirmed_at=None, totp_last_step=None)
    audit_record(actor=actor, action="accounts.totp_reset", subject=user, reason=reason)


def totp_required_for(user: User) -> bool:
    """Whoever can see members' personal data must have a second factor where the setting demands it:
    back-office staff and partner administrators alike."""
    return bool(
        settings.STAFF_TOTP_REQUIRED
        and user.is_authenticated
        and (user.has_perm("accounts.access_office") or user.has_perm("accounts.manage_partner"))
    )
