"""Each module registers its scenarios with ``bench.core.scenario``."""

from bench.scenarios import (  # noqa: F401
    agents,
    analytics,
    campaigns,
    http_baseline,
    imports,
    members,
    payments,
    reminders,
    sponsorships,
)
