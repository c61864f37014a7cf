"""What the registry must ask before erasing a member's personal data (``REGISTRY_ERASURE_BLOCKERS``).

The registry sits below the apps that hold these facts, so it cannot import them; the composition
root, which may import every app, joins them here, as it mounts their URLs and API routers.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from rangkul.claims.models import Claim
from rangkul.claims.selectors import OPEN_STATUSES
from rangkul.registry.models import Worker


def open_claims(worker: Worker) -> str:
    """An undecided or unpaid claim needs the member's and heirs' identities until it is paid."""
    if Claim.objects.filter(worker=worker, status__in=OPEN_STATUSES).exists():
        return _("The member has an open claim: decide and pay it before erasing personal data.")
    return ""
