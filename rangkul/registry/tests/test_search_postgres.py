"""Name search at scale: on PostgreSQL the query Django builds must be able to use the trigram index."""

from __future__ import annotations

import pytest
from django.db import connection

from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_search
from rangkul.registry.tests.factories import worker_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_name_search_uses_the_trigram_index(regions, administrator):
    worker_create(full_name="Bambang Pamungkas")
    qs = worker_search(user=administrator, q="pamung")
    assert list(qs.values_list("full_name", flat=True)) == ["Bambang Pamungkas"]
    # Without ORDER BY: the question is whether the filter itself can use the index.
    query = Worker.objects.filter(name_normalized__contains="pamung").order_by().values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_worker_name_trgm" in plan, plan
