"""The database mechanics of partner imports behind one interface.

``import_sql()`` gives the implementation for the project's database, chosen once:
PostgreSQL (several sessions may import one file at once, and a lost deadlock is
recognised by its SQLSTATE) or the portable one (one session, no deadlock to retry).
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.db import OperationalError, connection

_DEADLOCK_DETECTED = "40P01"


class ImportSql(Protocol):
    def parallel_parts(self) -> bool:
        """Whether one file may be imported by several sessions at once (ADR 0019)."""
        ...

    def is_deadlock(self, exc: OperationalError) -> bool:
        """Whether ``exc`` is a transaction chosen as a deadlock's victim (safe to retry whole)."""
        ...


class _PostgreSQL:
    def parallel_parts(self) -> bool:
        return True

    def is_deadlock(self, exc: OperationalError) -> bool:
        return getattr(exc.__cause__, "sqlstate", None) == _DEADLOCK_DETECTED


class _Portable:
    def parallel_parts(self) -> bool:
        return False

    def is_deadlock(self, exc: OperationalError) -> bool:
        return False


@cache
def import_sql() -> ImportSql:
    """The implementation for the default database's vendor (read once per process)."""
    return _PostgreSQL() if connection.vendor == "postgresql" else _Portable()
