"""Key rotation: every sealed NIK (members' and heirs') sealed again with the current key.

After a new key is put first in ``RANGKUL_NIK_SEAL_KEYS`` (the old one kept after it), the
``reseal_niks`` command runs this; the old key can leave the list once it reports nothing left.
Each batch is one transaction; a run that stops is simply run again.
"""

from __future__ import annotations

from django.db import models, transaction

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.crypto import needs_reseal, reseal
from rangkul.registry.models import Heir, Worker

# (model, the purpose its NIK is sealed for)
_SEALED: tuple[tuple[type[models.Model], str], ...] = ((Worker, "nik"), (Heir, "heir_nik"))


def niks_reseal(*, actor: Actor, batch_size: int = 1000) -> dict[str, int]:
    """Seal again every NIK not sealed with the current key; ``{"workers", "heirs"}`` resealed."""
    summary = {"workers": 0, "heirs": 0}
    for model, purpose in _SEALED:
        key = "workers" if model is Worker else "heirs"
        after = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(pk__gt=after)
                    .exclude(nik_sealed="")
                    .order_by("pk")
                    .only("pk", "nik_sealed")[:batch_size]
                )
                if not rows:
                    break
                after = rows[-1].pk
                stale = [row for row in rows if needs_reseal(row.nik_sealed)]  # type: ignore[attr-defined]
                for row in stale:
                    row.nik_sealed = reseal(row.nik_sealed, purpose=purpose)  # type: ignore[attr-defined]
                model._default_manager.bulk_update(stale, ["nik_sealed"])
                summary[key] += len(stale)
    if summary["workers"] or summary["heirs"]:
        with transaction.atomic():
            audit_record(actor=actor, action="registry.niks_resealed", subject_type="registry.worker", after=summary)
    return summary
