"""Each module registers its scenarios with ``bench.core.scenario``."""

from bench.scenarios import (  # noqa: F401
    analytics,
    http_baseline,
    imports,
    members,
    payments,
    reminders,
    sponsorships,
)
