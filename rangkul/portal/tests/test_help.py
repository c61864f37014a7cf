from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rangkul.accounts.tests.factories import BranchOfficeFactory
from rangkul.contributions.benefits import headline_benefits
from rangkul.contributions.quotes import contribution_quote
from rangkul.contributions.selectors import rulebook_for
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period


@pytest.mark.django_db
def test_help_page_explains_cover_payment_claims_and_reminders_from_the_rules(client, regions):
    BranchOfficeFactory(
        code="SMG-MJP", name="Semarang Majapahit", regency_id="33.74", address="Jl. Contoh 1", phone="(024) 555-0100"
    )
    response = client.get(reverse("help:page"))
    assert response.status_code == 200
    content = response.content.decode()
    current = Period.of(timezone.localdate())
    rules = rulebook_for(current)
    quote = contribution_quote(
        declared_income_idr=rules.lowest_income_idr, jht=True, sector="non_transport", month=current
    )
    # Every benefit text comes from the rule tables (amounts included), for all three programmes.
    for title, items in headline_benefits(rules=rules, quote=quote):
        assert str(title) in content
        for item in items:
            assert item.text in content
    assert {"JKK", "JKM", "JHT"} <= set(quote.programs)
    for anchor in ("manfaat", "bayar", "kecelakaan", "pertanyaan", "cabang"):
        assert f'id="{anchor}"' in content
    assert 'href="tel:175"' in content
    assert "Jl. Contoh 1" in content and 'href="tel:0245550100"' in content
    # The reminder texts' questions: late payment and lapse follow the rule version in force.
    assert f"{rules.lapse_after_unpaid_months} bulan berturut-turut" in content


@pytest.mark.django_db
def test_landing_quotes_the_price_and_death_benefit_from_the_rules(client):
    current = Period.of(timezone.localdate())
    rules = rulebook_for(current)
    quote = contribution_quote(
        declared_income_idr=rules.lowest_income_idr, jht=False, sector="non_transport", month=current
    )
    death = next(b for b in rules.benefits if b.program == "JKM" and b.code == "death")
    content = client.get(reverse("core:landing")).content.decode()
    assert format_rupiah(quote.total_idr) in content.split('data-testid="landing-price"')[1].split("</p>")[0]
    assert format_rupiah(death.values["amount_idr"]) in content.split('data-testid="landing-death"')[1].split("</p>")[0]


@pytest.mark.django_db
def test_the_education_address_of_the_public_contract_serves_the_same_content(client, regions):
    education = client.get("/edukasi/")
    assert education.status_code == 200
    assert education.content.decode().count('id="manfaat"') == 1
    assert 'href="tel:175"' in education.content.decode()
