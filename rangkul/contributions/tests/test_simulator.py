from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from rangkul.contributions.models import RuleSet

pytestmark = pytest.mark.django_db

URL = "/iuran/"


def _get(client, **params):
    base = {"declared_income_idr": 1_000_000, "sector": "non_transport", "jht": "no", "month": "2026-03"}
    return client.get(URL, {**base, **params})


def test_page_opens_with_an_answer_for_the_current_month(client, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: dt.date(2026, 3, 10))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Berapa iuran saya dan apa manfaatnya?" in body or "How much is my contribution" in body
    assert 'data-testid="monthly-total">Rp16.800<' in body


def test_url_name():
    assert reverse("contributions:simulator") == URL


def test_discount_is_shown_and_explained(client):
    body = _get(client, month="2026-05").content.decode()
    assert 'data-testid="monthly-total">Rp8.400<' in body
    assert 'data-testid="discount-note"' in body
    assert "PP 50/2025" in body


def test_totals_for_several_months_follow_the_discount_calendar(client):
    response = _get(client, month="2026-11", jht="yes")
    totals = {row["months"]: row["total_idr"] for row in response.context["totals"]}
    # Nov and Dec 2026 discounted (28,400), January 2027 onwards in full (36,800).
    assert totals == {1: 28_400, 3: 2 * 28_400 + 36_800, 6: 2 * 28_400 + 4 * 36_800, 12: 2 * 28_400 + 10 * 36_800}


def test_benefits_come_from_the_rule_data(client):
    response = _get(client, declared_income_idr=2_000_000, jht="yes")
    body = response.content.decode()
    assert "Rp42.000.000" in body  # JKM death benefit
    assert "Rp96.000.000" in body  # 48 × Rp2,000,000
    assert "Rp40.000" in body  # JHT a month: 2% of Rp2,000,000
    programs = [title for title, _items in response.context["benefits"]]
    assert len(programs) == 3


def test_without_jht_no_jht_benefit(client):
    response = _get(client)
    assert len(response.context["benefits"]) == 2


def test_htmx_request_gets_only_the_result_fragment(client):
    response = client.get(
        URL,
        {"declared_income_idr": 1_000_000, "sector": "transport", "jht": "no", "month": "2026-03"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="monthly-total">Rp8.400<' in body


@pytest.mark.parametrize(
    "params",
    [{"month": "2019-01"}, {"month": "nope"}, {"declared_income_idr": "123"}, {"sector": "boats"}],
)
def test_bad_input_shows_an_error_not_a_crash(client, params):
    response = _get(client, **params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "monthly-total" not in response.content.decode()


def test_page_says_so_when_no_rules_cover_this_month(client):
    RuleSet.objects.update(effective_to=dt.date(2024, 12, 31))
    response = client.get(URL)
    assert response.status_code == 503
    assert b'data-testid="simulator-unavailable"' in response.content
