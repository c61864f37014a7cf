"""The long bulk runs' entry points run them with the garbage collector tuned for them (ADR 0020, ADR 0036)."""

from __future__ import annotations

import gc
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from rangkul.contributions.services import status as contributions
from rangkul.core.bulk import BULK_GC_THRESHOLD
from rangkul.outreach import services as outreach
from rangkul.payments import settlement
from rangkul.payments.models import Channel

pytestmark = pytest.mark.django_db


class _Seen(Exception):
    """Stops the run once its first step has been reached."""


def _stop_with_threshold(*args: Any, **kwargs: Any) -> None:
    raise _Seen(gc.get_threshold()[0])


def _settlement_command(tmp_path) -> None:
    channel = Channel.objects.first() or Channel.objects.create(code="bank", name="Bank")
    path = tmp_path / "settlement.csv"
    path.write_text("external_id,payment_code,amount_idr,paid_at\n", encoding="utf-8")
    call_command("reconcile_settlement", str(path), "--channel", channel.code, stdout=StringIO())


@pytest.mark.parametrize(
    ("module", "first_step", "run"),
    [
        (contributions, "_rules_for_preloaded", lambda tmp: call_command("review_member_statuses", stdout=StringIO())),
        (outreach, "reminder_settings_policy", lambda tmp: call_command("send_reminders", stdout=StringIO())),
        (settlement, "file_sha256", _settlement_command),
    ],
    ids=["daily status review", "reminder run", "settlement reconciliation"],
)
def test_bulk_commands_run_with_the_collector_relaxed_and_restore_it(
    monkeypatch, tmp_path, module, first_step, run
) -> None:
    before = gc.get_threshold()
    monkeypatch.setattr(module, first_step, _stop_with_threshold)
    with pytest.raises(_Seen) as seen:
        run(tmp_path)
    assert seen.value.args == (BULK_GC_THRESHOLD,)
    assert gc.get_threshold() == before


@pytest.mark.parametrize(
    ("module", "first_step", "run"),
    [
        (contributions, "_rules_for_preloaded", lambda: contributions.member_statuses_review()),
        (outreach, "reminder_settings_policy", lambda: outreach.reminders_send()),
    ],
    ids=["daily status review", "reminder run"],
)
def test_the_services_leave_the_collector_to_their_entry_point(monkeypatch, module, first_step, run) -> None:
    monkeypatch.setattr(module, first_step, _stop_with_threshold)
    with pytest.raises(_Seen) as seen:
        run()
    assert seen.value.args == (gc.get_threshold()[0],)
