"""Informal-workforce figures (the denominators of coverage), loaded from a cited CSV.

The file format is described in ``docs/workforce.md``. Every row names its source;
a row with only a published share gets a count only when the employed population
is given beside it, and says so. Nothing is estimated here.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ValidationFailed
from rangkul.regions.errors import RegionErrorCode
from rangkul.regions.models import (
    Province,
    Regency,
    WorkforceDefinition,
    WorkforceFigure,
    WorkforceLevel,
    WorkforceRelease,
)

COLUMNS = [
    "level",
    "code",
    "definition",
    "reference_month",
    "informal_workers",
    "informal_share_percent",
    "employed",
    "source",
    "note",
]
NATIONAL_CODE = "ID"
_CODE_SHAPE = {
    WorkforceLevel.NATIONAL: re.compile(r"^ID$"),
    WorkforceLevel.PROVINCE: re.compile(r"^\d{2}$"),
    WorkforceLevel.REGENCY: re.compile(r"^\d{2}\.\d{2}$"),
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DERIVED_NOTE = "count derived: employed × published share"


def default_workforce_file() -> Path:
    return Path(__file__).parent / "data" / "workforce" / "bps-sakernas-2024-08.csv"


class WorkforceFileError(ValidationFailed):
    default_code = RegionErrorCode.WORKFORCE_FILE_INVALID


@dataclass
class WorkforceLoadSummary:
    version: str
    rows: int = 0
    national: int = 0
    provinces: int = 0
    regencies: int = 0
    derived: int = 0
    share_only: int = 0
    current: bool = False
    unchanged: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rows": self.rows,
            "national": self.national,
            "provinces": self.provinces,
            "regencies": self.regencies,
            "derived": self.derived,
            "share_only": self.share_only,
            "current": self.current,
            "unchanged": self.unchanged,
        }


def _int(value: str) -> int | None:
    value = value.strip().replace("_", "")
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(value)
    return int(value)


def _share(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        share = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not Decimal(0) <= share <= Decimal(100) or share.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(value)
    return share


def _parse(text: str) -> tuple[list[WorkforceFigure], list[str]]:
    reader = csv.DictReader(text.splitlines())
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        return [], [_("The header lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}]
    provinces = set(Province.objects.values_list("code", flat=True))
    regencies = set(Regency.objects.values_list("code", flat=True))
    figures: list[WorkforceFigure] = []
    errors: list[str] = []
    seen: set[tuple[str, str, str, str]] = set()
    for line, row in enumerate(reader, start=2):
        values = {name: (row.get(name) or "").strip() for name in COLUMNS}
        if not any(values.values()):
            continue
        problems = []
        level, code, definition = values["level"], values["code"], values["definition"]
        if level not in WorkforceLevel.values:
            problems.append(_("level must be national, province or regency"))
        elif not _CODE_SHAPE[WorkforceLevel(level)].match(code):
            problems.append(_("code %(code)s does not fit the level %(level)s") % {"code": code, "level": level})
        elif (level == WorkforceLevel.PROVINCE and code not in provinces) or (
            level == WorkforceLevel.REGENCY and code not in regencies
        ):
            problems.append(_("region %(code)s is unknown (load the regions first)") % {"code": code})
        if definition not in WorkforceDefinition.values:
            problems.append(_("definition must be bps_informal or bpu_target"))
        if not _MONTH.match(values["reference_month"]):
            problems.append(_("reference_month must be YYYY-MM"))
        try:
            workers = _int(values["informal_workers"])
            employed = _int(values["employed"])
        except ValueError:
            problems.append(_("informal_workers and employed must be whole numbers"))
            workers = employed = None
        try:
            share = _share(values["informal_share_percent"])
        except ValueError:
            problems.append(_("informal_share_percent must be a number from 0 to 100 with at most 2 decimals"))
            share = None
        if workers is None and share is None and not problems:
            problems.append(_("give informal_workers or informal_share_percent"))
        if not values["source"]:
            problems.append(_("source is required: cite the release and its month"))
        key = (level, code, definition, values["reference_month"])
        if key in seen:
            problems.append(_("the same area, definition and month appear twice"))
        seen.add(key)
        if problems:
            errors.append(_("line %(line)s: %(problems)s") % {"line": line, "problems": "; ".join(problems)})
            continue
        derived = workers is None and share is not None and employed is not None
        if derived:
            assert share is not None and employed is not None  # noqa: S101 (checked just above)
            workers = int((Decimal(employed) * share / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        note = values["note"]
        if derived:
            note = f"{note}; {DERIVED_NOTE}" if note else DERIVED_NOTE
        figures.append(
            WorkforceFigure(
                level=level,
                code=code,
                definition=definition,
                reference_month=dt.date.fromisoformat(values["reference_month"] + "-01"),
                informal_workers=workers,
                informal_share_percent=share,
                employed=employed,
                derived=derived,
                source=values["source"][:300],
                note=note[:300],
            )
        )
    if not figures and not errors:
        errors.append(_("The file holds no figures."))
    return figures, errors


@transaction.atomic
def workforce_release_load(
    *, actor: Actor, text: str, version: str, title: str = "", source_file: str = "", make_current: bool = True
) -> WorkforceLoadSummary:
    """Load one release of figures; all rows or none. Older releases are kept.

    Loading the same version with the same content again changes nothing; the same
    version with other content is refused (a corrected file needs a new version).
    """
    version = version.strip()
    if not version or len(version) > 60:
        raise WorkforceFileError(_("Give the release a version of 1 to 60 characters."), fields={"version": []})
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    summary = WorkforceLoadSummary(version=version)
    existing = WorkforceRelease.objects.filter(version=version).first()
    if existing is not None:
        if existing.content_sha256 != digest:
            raise WorkforceFileError(
                _("Version %(version)s is already loaded with other content; give the new file a new version.")
                % {"version": version}
            )
        summary.unchanged = True
        release = existing
    else:
        figures, errors = _parse(text)
        if errors:
            raise WorkforceFileError(
                _("The workforce file was not loaded: %(errors)s") % {"errors": " | ".join(errors[:20])},
                fields={"file": errors},
            )
        release = WorkforceRelease.objects.create(
            version=version,
            title=(title or version)[:200],
            source_file=source_file[:200],
            content_sha256=digest,
            loaded_at=timezone.now(),
        )
        for figure in figures:
            figure.release = release
        WorkforceFigure.objects.bulk_create(figures)
    switched = make_current and not release.is_current
    if switched:
        WorkforceRelease.objects.filter(is_current=True).update(is_current=False)
        release.is_current = True
        release.save(update_fields=["is_current"])
    figures_qs = release.figures.all()
    summary.rows = figures_qs.count()
    summary.national = figures_qs.filter(level=WorkforceLevel.NATIONAL).count()
    summary.provinces = figures_qs.filter(level=WorkforceLevel.PROVINCE).values("code").distinct().count()
    summary.regencies = figures_qs.filter(level=WorkforceLevel.REGENCY).values("code").distinct().count()
    summary.derived = figures_qs.filter(derived=True).count()
    summary.share_only = figures_qs.filter(informal_workers__isnull=True).count()
    summary.current = release.is_current
    if switched or not summary.unchanged:
        audit_record(
            actor=actor,
            action="regions.workforce_release_loaded",
            subject=release,
            after={**summary.as_dict(), "sha256": digest, "source_file": source_file},
        )
    return summary
