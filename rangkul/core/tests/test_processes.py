"""Runners for work split in numbered parts: every part runs, a failing part is reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from rangkul.core.processes import forked, in_turn, read_ahead


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


def test_read_ahead_yields_every_item_in_order() -> None:
    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))


def test_read_ahead_raises_the_producers_error_where_it_happened() -> None:
    def items():
        yield 1
        yield 2
        raise ValueError("line 3 unreadable")

    reader = read_ahead(items())
    assert [next(reader), next(reader)] == [1, 2]
    with pytest.raises(ValueError, match="line 3"):
        next(reader)


def test_read_ahead_stops_the_producer_when_the_caller_stops() -> None:
    produced = []

    def items():
        for n in range(1000):
            produced.append(n)
            yield n

    reader = read_ahead(items(), depth=2)
    assert next(reader) == 0
    reader.close()  # joins the producing thread
    assert len(produced) < 10
