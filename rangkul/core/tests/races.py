"""Run callables at the same moment, each on its own database connection (PostgreSQL concurrency tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections


def race(targets: Sequence[Callable[[], Any]], *, timeout: float = 300) -> list[BaseException]:
    """Start every target in its own thread, released together by a barrier; the errors they raised.

    Each thread opens its own connection and closes it when done, so the targets meet in the
    database exactly as requests or workers in separate processes would.
    """
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(target: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors
