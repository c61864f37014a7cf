"""Each module registers its scenarios with ``bench.core.scenario``."""

from bench.scenarios import agents, analytics, http_baseline, imports, members, payments, reminders  # noqa: F401
