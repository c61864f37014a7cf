from __future__ import annotations

import csv
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.regions.models import Province, Regency, WorkforceFigure, WorkforceRelease
from rangkul.regions.selectors import workforce_figures, workforce_release_current
from rangkul.regions.services import default_region_file
from rangkul.regions.workforce import COLUMNS, WorkforceFileError, default_workforce_file, workforce_release_load

HEADER = ",".join(COLUMNS)
CITED_PROVINCES = {"91": "PAPUA", "53": "NUSA TENGGARA TIMUR", "18": "LAMPUNG", "17": "BENGKULU", "75": "GORONTALO"}


@pytest.fixture
def provinces(regions):
    for code, name in CITED_PROVINCES.items():
        Province.objects.get_or_create(code=code, defaults={"name": name})


def _load(text: str, version: str, **kwargs):
    return workforce_release_load(actor=Actor.system("test"), text=text, version=version, **kwargs)


def test_the_shipped_release_loads_with_its_citations_and_no_invented_counts(provinces):
    out = StringIO()
    call_command("load_workforce", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary == {
        "version": "bps-sakernas-2024-08",
        "rows": 9,
        "national": 4,
        "provinces": 5,
        "regencies": 0,
        "derived": 0,
        "share_only": 5,
        "current": True,
        "unchanged": False,
    }
    release = workforce_release_current()
    assert release is not None and release.source_file == default_workforce_file().name
    national = workforce_figures(release=release, level="national")["ID"]
    assert national.informal_workers == 83_830_000  # August 2024, the latest BPS figure
    assert "Agustus 2024" in national.source
    target = workforce_figures(release=release, level="national", definition="bpu_target")["ID"]
    assert target.informal_workers == 60_000_000
    papua = workforce_figures(release=release, level="province")["91"]
    assert papua.informal_share_percent == Decimal("85.18") and papua.informal_workers is None
    assert "Februari 2023" in papua.source
    # No figure was made up for a province the sources do not cover.
    assert "33" not in workforce_figures(release=release, level="province")
    assert AuditEvent.objects.filter(action="regions.workforce_release_loaded").count() == 1


def test_a_share_with_the_employed_population_gives_a_derived_count_that_says_so(provinces):
    text = "\n".join(
        [
            HEADER,
            "province,33,bps_informal,2023-02,,60.5,1000001,BPS Sakernas Februari 2023,",
            "regency,33.74,bps_informal,2023-08,120000,,,BPS Kota Semarang Agustus 2023,published count",
        ]
    )
    summary = _load(text, "test-1")
    assert summary.derived == 1 and summary.regencies == 1 and summary.share_only == 0
    derived = WorkforceFigure.objects.get(code="33")
    assert derived.informal_workers == 605_001  # 1,000,001 × 60.5 %, rounded half up
    assert derived.derived and "derived" in derived.note
    assert WorkforceFigure.objects.get(code="33.74").derived is False


def test_newer_releases_keep_the_older_ones_and_the_same_version_cannot_change(provinces):
    first = "\n".join([HEADER, "national,ID,bps_informal,2024-02,84130000,59.17,,BPS Februari 2024,"])
    second = "\n".join([HEADER, "national,ID,bps_informal,2024-08,83830000,57.95,,BPS Agustus 2024,"])
    _load(first, "2024-02")
    _load(second, "2024-08")
    assert WorkforceRelease.objects.count() == 2
    current = workforce_release_current()
    assert current is not None and current.version == "2024-08"
    older = WorkforceRelease.objects.get(version="2024-02")
    assert workforce_figures(release=older, level="national")["ID"].informal_workers == 84_130_000

    again = _load(first, "2024-02")  # the same content: nothing new, but it can be made current again
    assert again.unchanged and again.current
    assert WorkforceRelease.objects.filter(is_current=True).get().version == "2024-02"
    with pytest.raises(WorkforceFileError, match="sudah dimuat dengan isi lain"):
        _load(second, "2024-02")

    third = "\n".join([HEADER, "national,ID,bps_informal,2025-02,85000000,,,BPS Februari 2025,"])
    kept = _load(third, "2025-02", make_current=False)
    assert not kept.current
    assert WorkforceRelease.objects.get(is_current=True).version == "2024-02"


def test_a_bad_file_is_refused_whole_with_line_by_line_reasons(provinces):
    text = "\n".join(
        [
            HEADER,
            "national,ID,bps_informal,2024-08,83830000,57.95,,BPS Agustus 2024,",
            "province,99,bps_informal,2023-02,,50,,BPS,",
            "province,33,informal,2023-13,,150,,,",
            "regency,3374,bps_informal,2023-02,12x,,,BPS,",
            "province,33,bps_informal,2023-02,,,,BPS,",
        ]
    )
    with pytest.raises(WorkforceFileError) as raised:
        _load(text, "bad")
    reasons = raised.value.fields["file"]
    assert reasons[0].startswith("baris 3:") and "99" in reasons[0]
    assert "definisi" in reasons[1] and "YYYY-MM" in reasons[1] and "0 sampai 100" in reasons[1]
    assert "sumber" in reasons[1]
    assert "3374" in reasons[2] and "bilangan bulat" in reasons[2]
    assert "informal_workers atau informal_share_percent" in reasons[3]
    assert not WorkforceRelease.objects.exists() and not WorkforceFigure.objects.exists()

    with pytest.raises(WorkforceFileError, match="kolom"):
        _load("code,name\nID,Indonesia", "no-header")


def test_the_command_accepts_a_full_file_of_every_province_and_regency(regions, tmp_path):
    for number in range(11, 96):
        province = Province.objects.get_or_create(code=str(number), defaults={"name": f"P{number}"})[0]
        Regency.objects.get_or_create(code=f"{number}.01", defaults={"name": f"R{number}", "province": province})
    lines = [HEADER, "national,ID,bps_informal,2025-02,85000000,,,BPS Sakernas Februari 2025,"]
    for number in range(11, 96):
        lines.append(f"province,{number},bps_informal,2025-02,,55.5,2000000,BPS Sakernas Februari 2025,")
        lines.append(f"regency,{number}.01,bps_informal,2025-02,50000,,,BPS Sakernas Februari 2025,")
    path = tmp_path / "sakernas-2025-02.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    out = StringIO()
    call_command("load_workforce", str(path), "--release", "sakernas-2025-02", "--title", "Februari 2025", stdout=out)
    summary = json.loads(out.getvalue())
    assert (summary["provinces"], summary["regencies"], summary["derived"]) == (85, 85, 85)
    assert WorkforceRelease.objects.get().title == "Februari 2025"
    assert WorkforceFigure.objects.get(code="33").informal_workers == 1_110_000


def test_the_command_reports_a_missing_or_invalid_file(regions, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("load_workforce", str(tmp_path / "none.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\nnational,XX,bps_informal,2024-08,1,,,BPS,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="baris 2"):
        call_command("load_workforce", str(bad))


def test_the_shipped_release_names_provinces_by_the_region_table_codes():
    """BPS numbers Papua 94, Kemendagri 91: the shipped file must use the codes ``load_regions`` loads."""
    with default_region_file().open(encoding="utf-8") as handle:
        provinces = {line.split(",", 1)[0] for line in handle if "." not in line.split(",", 1)[0]}
    shipped = Path(default_workforce_file())
    with shipped.open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle) if row["level"] == "province"}
    assert codes and codes <= provinces, codes - provinces
