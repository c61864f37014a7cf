"""Each module registers its scenarios with ``bench.core.scenario``."""

from bench.scenarios import analytics, campaigns, http_baseline, imports, members, payments, reminders  # noqa: F401
