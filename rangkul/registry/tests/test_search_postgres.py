"""Lookups at scale: on PostgreSQL the queries Django builds must be able to use the intended indexes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from rangkul.audit.actors import Actor
from rangkul.core.errors import NotFound
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_api_key, worker_scope_for_api_key, worker_search
from rangkul.registry.services import worker_register
from rangkul.registry.tests.factories import registration_input, worker_create

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


def test_a_partner_key_finds_its_member_through_the_membership_number_index(regions):
    # The organisation code has no index of its own (registry migration 0008): the unique
    # membership number must find the row, the code only confirms it belongs to the partner.
    worker = worker_register(
        actor=Actor.system("test"), data=registration_input(), channel="api", organisation_code="KopMaju"
    )
    key = SimpleNamespace(organisation_code="KopMaju")
    assert worker_get_for_api_key(api_key=key, membership_number=worker.membership_number) == worker
    other = SimpleNamespace(organisation_code="lain")
    with pytest.raises(NotFound):  # another partner's key, the same number: not theirs
        worker_get_for_api_key(api_key=other, membership_number=worker.membership_number)
    query = worker_scope_for_api_key(key).filter(membership_number=worker.membership_number).values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "membership_number" in plan and "Index" in plan, plan
    assert "Filter: ((registered_by_organisation)" in plan, plan
