"""Process-level mechanics for long bulk runs, chosen by the entry point (command, task), never by a service.

A service that can split its work into numbered parts takes a *runner*: a callable that runs
``work(number)`` for every number in ``range(count)`` and returns the names of the parts that
stopped with an error. ``in_turn`` runs them one after the other in this process;
``forked`` runs them at once, part 0 here and every other in a forked process with its
own database connections (ADR 0019). ``collector_relaxed`` (in ``core.bulk``) tunes the
garbage collector around such a run, also from the entry point.

``read_ahead`` produces an iterator's next items in a thread while the caller works on the
current one: for a file read and parsed in Python while the database does the caller's work.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Generator, Iterable
from typing import Any, Protocol, TypeVar

from django.db import connection, connections
from django.utils import timezone

T = TypeVar("T")

logger = logging.getLogger("rangkul")


def parallel_writers() -> bool:
    """Whether parts may run in several sessions at once: the database takes several writers
    (PostgreSQL; SQLite one at a time), and this session is in no transaction whose writes the
    other sessions could not see."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


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


_END = object()


def read_ahead(items: Iterable[T], *, depth: int = 2, name: str = "read-ahead") -> Generator[T, None, None]:
    """``items``, produced in a thread up to ``depth`` ahead of the caller.

    The thread runs with the caller's current time zone and must touch no database. An error
    raised while producing reaches the caller at the item where it happened; when the caller
    stops early, the thread stops too.
    """
    tz = timezone.get_current_timezone()
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        timezone.activate(tz)
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller's thread and raised there
            put(exc)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
