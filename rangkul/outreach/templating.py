"""Campaign message templates: ``{name}``-style variables, checked when saved, filled per member.

Only the variables below exist; anything else in braces is refused when the campaign is
saved, so a typo never reaches a member as ``{nama}``. The preview fills the template with
a real member's data masked (name and payment code), so staff see the length and shape of
the message without reading a member's details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from rangkul.core.crypto import MASK
from rangkul.core.errors import ValidationFailed

VARIABLES = ("name", "amount", "paid_through", "payment_code", "link", "stop_link")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_LENGTH = 640  # four SMS parts; WhatsApp templates allow more, SMS is the fallback
SUBJECT_MAX_LENGTH = 150


@dataclass(frozen=True)
class MemberValues:
    name: str
    amount: str
    paid_through: str
    payment_code: str
    link: str
    stop_link: str = ""  # the member's own signed opt-out link


def template_validate(body: str, *, field: str = "body_id") -> None:
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(body)} - set(VARIABLES))
    if not body.strip():
        raise ValidationFailed(_("Write the message."), fields={field: [_("Write the message.")]})
    if unknown:
        message = _(
            "Unknown variable: %(names)s. Use {name}, {amount}, {paid_through}, {payment_code}, {link} or {stop_link}."
        ) % {"names": ", ".join("{" + u + "}" for u in unknown)}
        raise ValidationFailed(message, fields={field: [message]})
    if len(body) > MAX_LENGTH:
        message = _("The message is too long (at most %(max)s characters).") % {"max": MAX_LENGTH}
        raise ValidationFailed(message, fields={field: [message]})


def subject_validate(subject: str, *, field: str = "email_subject") -> None:
    """An e-mail subject: optional, one line, the same variables as the message."""
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(subject)} - set(VARIABLES))
    if unknown:
        message = _(
            "Unknown variable: %(names)s. Use {name}, {amount}, {paid_through}, {payment_code}, {link} or {stop_link}."
        ) % {"names": ", ".join("{" + u + "}" for u in unknown)}
        raise ValidationFailed(message, fields={field: [message]})
    if len(subject) > SUBJECT_MAX_LENGTH:
        message = _("The subject is too long (at most %(max)s characters).") % {"max": SUBJECT_MAX_LENGTH}
        raise ValidationFailed(message, fields={field: [message]})


def template_variables(body: str) -> list[str]:
    """The variables in the order they appear: a WhatsApp template's body parameters {{1}}, {{2}}, …"""
    return [m.group(1) for m in _PLACEHOLDER.finditer(body) if m.group(1) in VARIABLES]


def template_render(body: str, values: MemberValues) -> str:
    data = {name: getattr(values, name) for name in VARIABLES}
    return _PLACEHOLDER.sub(lambda m: data.get(m.group(1), m.group(0)), body)


def mask_name(name: str) -> str:
    """``Budi Santoso`` → ``B••• S•••``: the shape of a name, not the name."""
    return " ".join(f"{part[0]}{MASK}" for part in name.split() if part)


def mask_code(code: str) -> str:
    return f"{MASK}{code[-4:]}" if len(code) > 4 else MASK if code else ""


def masked(values: MemberValues) -> MemberValues:
    return MemberValues(
        name=mask_name(values.name),
        amount=values.amount,
        paid_through=values.paid_through,
        payment_code=mask_code(values.payment_code),
        link=values.link,
        stop_link=values.stop_link.rsplit("/", 2)[0] + f"/{MASK}/" if values.stop_link else "",
    )
