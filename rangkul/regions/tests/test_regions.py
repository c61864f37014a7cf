from __future__ import annotations

import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.regions.forms import RegionPickerMixin
from rangkul.regions.models import District, Province, Regency, Village
from rangkul.regions.services import RegionFileError, regions_load

SAMPLE = """11,ACEH
11.01,KAB. ACEH SELATAN
11.01.01,Bakongan
11.01.01.2001,Keude Bakongan
11.01.01.2002,Ujong Mangki
33,JAWA TENGAH
33.74,KOTA SEMARANG
33.74.01,Semarang Tengah
33.74.01.1001,Miroto
"""


def test_load_is_idempotent_and_renames_in_place(db):
    first = regions_load(stream=io.StringIO(SAMPLE))
    assert first.totals == {"provinces": 2, "regencies": 2, "districts": 2, "villages": 3}
    assert first.created == 9
    again = regions_load(stream=io.StringIO(SAMPLE))
    assert (again.created, again.updated) == (0, 0)
    renamed = regions_load(stream=io.StringIO(SAMPLE.replace("Miroto", "Miroto Baru")))
    assert renamed.updated == 1
    assert Village.objects.get(code="33.74.01.1001").name == "Miroto Baru"


def test_remote_flag(db):
    summary = regions_load(stream=io.StringIO(SAMPLE), remote_codes=["11.01"])
    assert summary.remote_flagged == 1
    assert Regency.objects.get(code="11.01").is_remote


@pytest.mark.parametrize(
    "content",
    ["33,JAWA TENGAH\n33.74\n", "33,JAWA TENGAH\n3374,KOTA\n", "33,JAWA TENGAH\n33.74.01,Orphan district\n"],
)
def test_bad_files_are_refused_without_partial_writes(db, content):
    with pytest.raises(RegionFileError):
        regions_load(stream=io.StringIO(content))
    assert Province.objects.count() == 0


def test_load_regions_command_loads_the_whole_country(db):
    out = StringIO()
    call_command("load_regions", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["provinces"] >= 34
    assert summary["regencies"] >= 514
    assert summary["districts"] >= 7000
    assert summary["villages"] >= 80000
    assert Regency.objects.get(code="33.74").name == "KOTA SEMARANG"
    out = StringIO()
    call_command("load_regions", stdout=out)
    again = json.loads(out.getvalue())
    assert again["created"] == 0 and again["updated"] == 0
    assert District.objects.filter(regency_id="33.74").count() == 16
    assert summary["remote"] == 62, "Perpres 63/2020 lists 62 daerah tertinggal"
    assert Regency.objects.get(code="91.17").is_remote


def test_load_regions_command_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("load_regions", "--file", str(tmp_path / "missing.csv"), stdout=StringIO())


def test_api_lists_provinces_and_children(client, regions):
    provinces = client.get("/api/v1/regions").json()
    assert {"code": "33", "name": "JAWA TENGAH"} in provinces
    regencies = client.get("/api/v1/regions", {"parent": "33"}).json()
    assert [r["code"] for r in regencies] == ["33.22", "33.74"]
    villages = client.get("/api/v1/regions", {"parent": "33.74.01"}).json()
    assert [v["code"] for v in villages] == ["33.74.01.1001", "33.74.01.1002"]


@pytest.mark.parametrize("parent", ["99", "33.74.01.1001", "x", "33.99", "'; DROP TABLE x; --"])
def test_api_unknown_parent_is_a_clear_404(client, regions, parent):
    response = client.get("/api/v1/regions", {"parent": parent})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "region_not_found"
    assert "parent" in body["fields"]


def test_picker_rebuilds_the_chain_and_drops_inconsistent_levels(regions):
    form = RegionPickerMixin({"province": "33", "regency": "33.74", "district": "33.22.01", "village": ""})
    assert [c for c, _ in form.fields["regency"].choices][1:] == ["33.22", "33.74"]
    assert [c for c, _ in form.fields["district"].choices][1:] == ["33.74.01", "33.74.02"]
    assert form.fields["village"].choices == [("", form.fields["village"].choices[0][1])], (
        "a district from another regency offers no villages"
    )
    assert not form.is_valid()
    assert "village" in form.errors


def test_picker_accepts_a_consistent_village(regions):
    data = {"province": "33", "regency": "33.74", "district": "33.74.01", "village": "33.74.01.1002"}
    form = RegionPickerMixin(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["village_obj"].name == "Brumbungan"


def test_picker_rebuilds_from_a_village_code_alone(regions):
    form = RegionPickerMixin(initial={"village": "33.74.02.1001"})
    assert ("33.74.02.1001", "Bulu Lor") in form.fields["village"].choices


def test_browse_page_without_javascript(client, regions):
    page = client.get("/wilayah/", {"province": "33", "regency": "33.74"}).content.decode()
    assert "Semarang Tengah" in page
    result = client.get(
        "/wilayah/", {"province": "33", "regency": "33.74", "district": "33.74.01", "village": "33.74.01.1001"}
    ).content.decode()
    assert "33.74.01.1001" in result and "Miroto" in result


def test_picker_fragment_for_htmx(client, regions):
    response = client.get("/wilayah/pilih/", {"province": "94"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "KAB. MERAUKE" in html and "<html" not in html
