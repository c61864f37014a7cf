"""Who asked not to be messaged: one row per mobile number, whatever path it came by.

Kept by number, not by member, because the messaging layer knows no members: a ``STOP``
text arrives with a number only. Every marketing send (campaigns) and every reminder
checks this table; one-time codes and receipts, which the person asked for, do not.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OptOutSource(models.TextChoices):
    SMS_STOP = "sms_stop", _("STOP text message")
    LINK = "link", _("Unsubscribe link")
    PORTAL = "portal", _("Member portal")
    OFFICE = "office", _("Back office")


class OptOut(models.Model):
    phone = models.CharField(_("mobile number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=OptOutSource.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("messaging opt-out")
        verbose_name_plural = _("messaging opt-outs")

    def __str__(self) -> str:
        return self.source
