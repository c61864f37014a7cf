"""Two simultaneous registrations of one NIK on PostgreSQL: exactly one member, one clean Conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from rangkul.audit.actors import Actor
from rangkul.core.errors import Conflict
from rangkul.regions.tests.factories import small_region_tree
from rangkul.registry.models import Worker
from rangkul.registry.services import occupations_load, worker_register
from rangkul.registry.tests.factories import registration_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(data_per_thread, threads: int = 2):
    barrier = threading.Barrier(threads)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(data):
        try:
            barrier.wait(timeout=10)
            worker = worker_register(actor=Actor.system("test"), data=data, channel="api", welcome=False)
            result: object = worker.membership_number
        except Conflict as exc:
            result = exc
        except Exception as exc:
            result = exc
        finally:
            connection.close()  # each thread has its own connection; close it
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=run, args=(data,)) for data in data_per_thread]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    return outcomes


def test_same_nik_registered_concurrently_gives_exactly_one_worker():
    # Transactional tests empty every table afterwards, migration data included.
    small_region_tree()
    occupations_load()
    for _round in range(5):
        first = registration_input()
        # Same NIK, different everything else: only the NIK makes them one person.
        second = registration_input(nik=first.nik, phone="081299998888", full_name="Orang Lain")
        outcomes = _race([first, second])
        conflicts = [o for o in outcomes if isinstance(o, Conflict)]
        numbers = [o for o in outcomes if isinstance(o, str)]
        assert len(numbers) == 1 and len(conflicts) == 1, outcomes
        assert conflicts[0].code == "nik_registered"
        assert Worker.objects.filter(membership_number=numbers[0]).count() == 1
    assert Worker.objects.count() == 5


def test_concurrent_registrations_of_different_people_all_succeed():
    # Transactional tests empty every table afterwards, migration data included.
    small_region_tree()
    occupations_load()
    outcomes = _race([registration_input() for _ in range(6)], threads=6)
    assert all(isinstance(o, str) for o in outcomes), outcomes
    assert len(set(outcomes)) == 6
