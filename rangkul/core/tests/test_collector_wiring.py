"""The long bulk runs work with the garbage collector tuned for them (ADR 0020)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from rangkul.contributions.services import status as contributions
from rangkul.core.bulk import BULK_GC_THRESHOLD
from rangkul.outreach import services as outreach
from rangkul.payments import settlement
from rangkul.payments.models import Channel


class _Seen(Exception):
    """Stops the run once its first step has been reached."""


def _stop_with_threshold(*args: Any, **kwargs: Any) -> None:
    raise _Seen(gc.get_threshold()[0])


@pytest.mark.parametrize(
    ("module", "first_step", "run"),
    [
        (contributions, "_rules_for_preloaded", lambda: contributions.member_statuses_review()),
        (outreach, "reminder_settings_policy", lambda: outreach.reminders_send()),
        (
            settlement,
            "file_sha256",
            lambda: settlement.settlement_reconcile(actor="test", channel=Channel(), path=Path("unused.csv")),
        ),
    ],
    ids=["daily status review", "reminder run", "settlement reconciliation"],
)
def test_bulk_runs_work_with_the_collector_relaxed_and_restore_it(monkeypatch, module, first_step, run) -> None:
    before = gc.get_threshold()
    monkeypatch.setattr(module, first_step, _stop_with_threshold)
    with pytest.raises(_Seen) as seen:
        run()
    assert seen.value.args == (BULK_GC_THRESHOLD,)
    assert gc.get_threshold() == before
