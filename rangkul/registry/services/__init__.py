"""Writes to the registry. Every channel (portal, back office, API, agents, imports) registers here.

All the rules of registration live in this package and in identity.py; callers
pass raw input and receive either a Worker or one ``ValidationFailed`` that
lists every problem by field. By sub-domain:

- ``validation``: the input types and every rule a record passes (``_clean``);
- ``registration``: one worker through any channel;
- ``bulk``: a batch of workers (imports), the same rules with the database work per batch;
- ``duplicates``: possible duplicates found, swept and decided;
- ``heirs``: a member's heirs;
- ``updates``: changes to a member, the NIK revealed, the data export;
- ``erasure``: a member's personal data erased at their request, money records kept.

The statements that depend on the database live in ``rangkul.registry.sql``.
Every public name is importable from this package.
"""

from rangkul.registry.services.bulk import WORKER_COLUMNS, NewWorker, workers_register_many
from rangkul.registry.services.duplicates import (
    duplicate_dismiss,
    duplicate_merge,
    duplicates_detect,
    duplicates_queue_among,
)
from rangkul.registry.services.erasure import (
    worker_erasure_confirm,
    worker_erasure_refusals,
    worker_erasure_request,
    worker_erasure_withdraw,
)
from rangkul.registry.services.heirs import heir_add, heir_remove, heir_update
from rangkul.registry.services.keys import niks_reseal
from rangkul.registry.services.registration import OCCUPATIONS_FILE, occupations_load, worker_register
from rangkul.registry.services.updates import (
    UPDATABLE_FIELDS,
    worker_change_phone,
    worker_export_data,
    worker_reveal_nik,
    worker_update,
    worker_update_check,
)
from rangkul.registry.services.validation import (
    DUPLICATE_CANDIDATES,
    MAX_DECLARED_INCOME_IDR,
    MAX_HEIRS,
    MEMBERSHIP_NUMBER_ATTEMPTS,
    NIK_REGISTERED_MESSAGE,
    BatchLookups,
    HeirInput,
    RegistrationInput,
    registration_problems,
)

__all__ = [
    "DUPLICATE_CANDIDATES",
    "MAX_DECLARED_INCOME_IDR",
    "MAX_HEIRS",
    "MEMBERSHIP_NUMBER_ATTEMPTS",
    "NIK_REGISTERED_MESSAGE",
    "OCCUPATIONS_FILE",
    "UPDATABLE_FIELDS",
    "WORKER_COLUMNS",
    "BatchLookups",
    "HeirInput",
    "NewWorker",
    "RegistrationInput",
    "duplicate_dismiss",
    "duplicate_merge",
    "duplicates_detect",
    "duplicates_queue_among",
    "heir_add",
    "heir_remove",
    "heir_update",
    "niks_reseal",
    "occupations_load",
    "registration_problems",
    "worker_change_phone",
    "worker_erasure_confirm",
    "worker_erasure_refusals",
    "worker_erasure_request",
    "worker_erasure_withdraw",
    "worker_export_data",
    "worker_register",
    "worker_reveal_nik",
    "worker_update",
    "worker_update_check",
    "workers_register_many",
]
