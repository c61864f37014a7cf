from __future__ import annotations

from rangkul.registry import identity
from rangkul.registry.demo import seed_demo_workers
from rangkul.registry.models import Worker


def test_demo_workers_are_valid_and_reproducible(regions):
    summary = seed_demo_workers(count=60)
    assert summary["workers"] + summary["existing"] == 60
    assert summary["workers"] >= 55
    assert summary["possible_duplicates"] >= 1
    workers = list(Worker.objects.select_related("occupation"))
    semarang = [w for w in workers if w.village_id.startswith("33.74.")]
    assert len(semarang) > len(workers) / 2
    assert len({w.occupation.code for w in workers}) >= 8
    for worker in workers:
        facts = identity.nik_parse(worker.nik)
        assert facts is not None and facts.sex == worker.sex
        assert identity.nik_check(worker.nik, birth_date=worker.birth_date, sex=worker.sex).fields == {}
    again = seed_demo_workers(count=60)
    assert again["workers"] == 0 and Worker.objects.count() == len(workers)
