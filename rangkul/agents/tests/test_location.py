"""Where the work was recorded: the phone's position, sent only when the agent allows it, checked,
kept as a ~100 m cell for the fraud signals, and never a reason to refuse the work itself."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rangkul.agents.models import FraudRule, SyncOperation
from rangkul.agents.retention import operation_locations_purge
from rangkul.agents.signals import BURST, fraud_signals
from rangkul.agents.sync import LOCATION_ACCURACY_MAX_M, location_cell
from rangkul.agents.tests.conftest import collect_op, new_agent, register_op, sync
from rangkul.contributions.selectors import month_total_idr
from rangkul.core.periods import Period

pytestmark = pytest.mark.django_db

HERE = {"lat": -6.99051, "lon": 110.42291, "accuracy": 25}


def _month_idr() -> int:
    price = month_total_idr(
        declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period.of(timezone.localdate())
    )
    assert price
    return price


@pytest.mark.parametrize(
    ("location", "cell"),
    [
        ({"lat": -6.99051, "lon": 110.42291, "accuracy": 25}, "-6.991,110.423"),
        ({"lat": -6.99051, "lon": 110.42291}, "-6.991,110.423"),  # accuracy is optional
        ({"lat": 90, "lon": -180, "accuracy": 0}, "90.000,-180.000"),  # the edges are positions
        ({"lat": -0.0001, "lon": 0.0004}, "0.000,0.000"),  # no "-0.000": one cell, not two
        ({"lat": 90.01, "lon": 0}, ""),
        ({"lat": 0, "lon": 180.5}, ""),
        ({"lat": True, "lon": 1}, ""),
        ({"lat": "1", "lon": "2"}, ""),
        ({"lat": float("nan"), "lon": 2}, ""),
        ({"lon": 2}, ""),
        ({"lat": 1, "lon": 2, "accuracy": -1}, ""),
        ({"lat": 1, "lon": 2, "accuracy": LOCATION_ACCURACY_MAX_M + 1}, ""),  # too coarse for a cell
        ({"lat": 1, "lon": 2, "accuracy": "near"}, ""),
        ([1, 2], ""),
        (None, ""),
    ],
)
def test_a_position_is_checked_and_kept_as_a_cell(location, cell):
    assert location_cell(location) == cell


def test_registrations_and_collections_sent_with_a_position_keep_its_cell(client, regions, roles):
    field = new_agent()
    register = {**register_op(op="loc-r1"), "location": HERE, "device": "dev-1"}
    [registered] = sync(client, field.key, [register]).json()["results"]
    assert registered["status"] == "applied"
    collect = {**collect_op(registered["membership_number"], amount_idr=_month_idr(), op="loc-c1"), "location": HERE}
    far = {**register_op(op="loc-r2"), "location": {**HERE, "accuracy": 5_000}}
    results = sync(client, field.key, [collect, far]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]  # a poor fix never refuses the work
    cells = dict(SyncOperation.objects.filter(agent=field.agent).values_list("operation_id", "location"))
    assert cells == {"loc-r1": "-6.991,110.423", "loc-c1": "-6.991,110.423", "loc-r2": ""}


def test_a_replay_with_another_position_keeps_the_first(client, regions, roles):
    field = new_agent()
    op = {**register_op(op="loc-once"), "location": HERE}
    first = sync(client, field.key, [op]).json()["results"]
    again = sync(client, field.key, [{**op, "location": {"lat": 1.0, "lon": 1.0}}]).json()["results"]
    assert again == first
    assert SyncOperation.objects.get(operation_id="loc-once").location == "-6.991,110.423"


def test_registrations_sent_from_one_place_show_as_a_burst(client, regions, roles):
    rule = FraudRule.objects.get(version="signals-2026")
    field = new_agent()
    ops = [{**register_op(), "location": {**HERE, "lon": HERE["lon"] + i * 0.0001}} for i in range(4)]
    ops += [{**register_op(), "location": HERE} for _ in range(rule.burst_registrations - 4)]
    assert {r["status"] for r in sync(client, field.key, ops).json()["results"]} == {"applied"}
    [burst] = [s for s in fraud_signals() if s.kind == BURST]
    assert burst.facts == {"by": "location", "value": "-6.991,110.423"}
    assert burst.count == rule.burst_registrations


def test_the_plain_forms_send_the_position_the_script_put_in_them(client, regions, roles):
    field = new_agent()
    client.force_login(field.agent.user)
    form = {**register_op()["data"], "operation_id": "web-loc", "jht": "", "device": "dev-9"}
    response = client.post(reverse("agents:register"), {**form, "location": "-6.99051,110.42291,30"})
    assert response.status_code == 302
    row = SyncOperation.objects.get(operation_id="web-loc")
    assert (row.location, row.device) == ("-6.991,110.423", "dev-9")
    # Without the script the field is empty; garbage in it is dropped: registered either way.
    for op_id, where in [("web-none", ""), ("web-junk", "here,there")]:
        form = {**register_op()["data"], "operation_id": op_id, "jht": "", "location": where}
        assert client.post(reverse("agents:register"), form).status_code == 302
        assert SyncOperation.objects.get(operation_id=op_id).location == ""


def test_only_the_agent_pages_may_ask_for_the_position(client, regions, roles):
    field = new_agent()
    client.force_login(field.agent.user)
    page = client.get(reverse("agents:register"))
    assert page.status_code == 200
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    assert "camera=()" in page.headers["Permissions-Policy"]
    assert 'name="location"' in page.content.decode()
    elsewhere = client.get("/akun/masuk/")
    assert "geolocation=()" in elsewhere.headers["Permissions-Policy"]


def test_the_api_schema_documents_the_position(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["components"]["schemas"]["SyncIn"]["properties"]["operations"]["items"]
    location = operation["properties"]["location"]
    assert location["required"] == ["lat", "lon"]
    assert location["properties"]["lat"]["maximum"] == 90
    assert location["properties"]["accuracy"]["maximum"] == LOCATION_ACCURACY_MAX_M


def test_old_cells_are_blanked_but_never_within_a_signal_look_back(client, regions, roles, settings):
    field = new_agent()
    ops = [{**register_op(op=f"age-{i}"), "location": HERE} for i in range(3)]
    assert {r["status"] for r in sync(client, field.key, ops).json()["results"]} == {"applied"}
    now = timezone.now()
    SyncOperation.objects.filter(operation_id="age-0").update(received_at=now - dt.timedelta(days=100))
    SyncOperation.objects.filter(operation_id="age-1").update(received_at=now - dt.timedelta(days=40))
    settings.AGENT_LOCATION_RETENTION_DAYS = 30
    longest = FraudRule.objects.order_by("-window_days").first()
    assert longest is not None
    longest.window_days = 60  # a rule looking back further than the setting keeps its cells
    longest.save()

    out = StringIO()
    call_command("purge_agent_locations", stdout=out)
    assert json.loads(out.getvalue()) == {"blanked": 1}
    cells = dict(SyncOperation.objects.filter(agent=field.agent).values_list("operation_id", "location"))
    assert cells == {"age-0": "", "age-1": "-6.991,110.423", "age-2": "-6.991,110.423"}
    assert SyncOperation.objects.filter(agent=field.agent).count() == 3  # the work itself is kept

    longest.window_days = 7
    longest.save()
    assert operation_locations_purge() == 1  # now past both the setting and every look-back
    assert operation_locations_purge() == 0
    assert SyncOperation.objects.get(operation_id="age-2").location == "-6.991,110.423"
