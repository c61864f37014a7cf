"""The import's database mechanics: one implementation per database, chosen once."""

from __future__ import annotations

import psycopg
from django.db import OperationalError, connection

from rangkul.partners.sql import _Portable, _PostgreSQL, import_sql


def _lost_deadlock() -> OperationalError:
    exc = OperationalError("deadlock detected")
    exc.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return exc


def test_several_sessions_import_one_file_on_postgresql_only() -> None:
    assert import_sql().parallel_parts() is (connection.vendor == "postgresql")
    assert import_sql() is import_sql()


def test_only_a_lost_deadlock_is_retried() -> None:
    assert _PostgreSQL().is_deadlock(_lost_deadlock())
    assert not _PostgreSQL().is_deadlock(OperationalError("could not extend file: no space left on device"))
    assert not _Portable().is_deadlock(_lost_deadlock())
