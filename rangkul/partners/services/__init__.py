"""Writes for partner organisations, memberships and bulk imports, split by sub-domain;
every public name stays importable from here.

- ``imports``: a job run from its last committed row to the end of the file;
- ``batches``: one batch's rows checked, registered and committed with the job's watermark;
- ``parts``: one file imported by several sessions at once;
- organisations (``partners.organisations``) and a job's life (``partners.jobs``) live beside this package.
"""

from rangkul.partners.jobs import (
    file_sha256,
    import_job_cancel,
    import_job_create,
    import_job_enqueue,
    import_job_fail,
    import_job_resume,
    import_jobs_stale,
)
from rangkul.partners.organisations import (
    membership_add,
    organisation_create,
    organisation_set_phone_attestation,
    organisation_user_add,
)
from rangkul.partners.services.imports import import_job_run

__all__ = [
    "file_sha256",
    "import_job_cancel",
    "import_job_create",
    "import_job_enqueue",
    "import_job_fail",
    "import_job_resume",
    "import_job_run",
    "import_jobs_stale",
    "membership_add",
    "organisation_create",
    "organisation_set_phone_attestation",
    "organisation_user_add",
]
