"""Process-level mechanics for long bulk runs, chosen by the entry point (command, task), never by a service.

A service that can split its work into numbered parts takes a *runner*: a callable that runs
``work(number)`` for every number in ``range(count)`` and returns the names of the parts that
stopped with an error. ``in_turn`` runs them one after the other in this process;
``forked`` runs them at once, part 0 here and every other in a forked process with its
own database connections (ADR 0019). ``collector_relaxed`` (in ``core.bulk``) tunes the
garbage collector around such a run, also from the entry point.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from typing import Protocol

from django.db import connections

logger = logging.getLogger("rangkul")


class PartsRunner(Protocol):
    def __call__(self, work: Callable[[int], None], count: int, *, name: str) -> list[str]: ...


def in_turn(work: Callable[[int], None], count: int, *, name: str) -> list[str]:
    """Every part in this process, one after the other; a part that fails is logged and the next one runs."""
    failed = []
    for number in range(count):
        try:
            work(number)
        except Exception:
            logger.exception("%s: part %s stopped.", name, number)
            failed.append(f"{name}-{number}")
    return failed


def forked(work: Callable[[int], None], count: int, *, name: str) -> list[str]:
    """Part 0 in this process, parts 1 … count - 1 in forked processes, all at once.

    An error in part 0 is raised here once every forked part has ended; a forked part's error
    is logged in its process and reported by its name.
    """
    # Each process opens its own connections: none may cross the fork.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_child, args=(work, number, name), name=f"{name}-{number}") for number in range(1, count)
    ]
    for child in children:
        child.start()
    try:
        work(0)
    finally:
        for child in children:
            child.join()
    return [child.name for child in children if child.exitcode != 0]


def _child(work: Callable[[int], None], number: int, name: str) -> None:
    try:
        work(number)
    except Exception:
        logger.exception("%s: part %s stopped.", name, number)
        raise SystemExit(1) from None
    finally:
        connections.close_all()
