"""The worker table carries the indexes its queries need and no others (every one is written per member)."""

from __future__ import annotations

import pytest
from django.db import connection

from rangkul.registry.models import Worker

pytestmark = pytest.mark.django_db


def _indexed_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Worker._meta.db_table)
    return [info["columns"] for info in constraints.values() if info["index"] or info["unique"]]


def test_the_organisation_code_has_no_index_of_its_own() -> None:
    # Registry migration 0008 drops it by name on both databases; a wrong name would leave it behind.
    columns = _indexed_columns()
    assert ["registered_by_organisation"] not in columns
    # The lookup partners make still has its unique index.
    assert ["membership_number"] in columns
