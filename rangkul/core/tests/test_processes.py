"""Runners for work split in numbered parts: every part runs, a failing part is reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from rangkul.core.processes import forked, in_turn


def _work(folder: Path, failing: int | None):
    def work(number: int) -> None:
        if number == failing:
            raise RuntimeError("part failed")
        (folder / str(number)).write_text("done")

    return work


@pytest.mark.parametrize("runner", [in_turn, forked])
def test_every_part_runs_once(tmp_path, runner) -> None:
    assert runner(_work(tmp_path, None), 3, name="job") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0", "1", "2"]


@pytest.mark.parametrize("runner", [in_turn, forked])
def test_a_failing_part_is_named_and_the_others_finish(tmp_path, runner) -> None:
    assert runner(_work(tmp_path, 1), 3, name="job") == ["job-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0", "2"]


def test_forked_raises_part_zeros_error_after_the_others_end(tmp_path) -> None:
    with pytest.raises(RuntimeError):
        forked(_work(tmp_path, 0), 2, name="job")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1"]
