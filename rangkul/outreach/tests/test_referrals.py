"""Referral codes: created by campaign staff (audited), carried from the flyer's link into the
registration, counted with the payments of the members they brought, printed on an A5 flyer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from rangkul.accounts.roles import Role
from rangkul.accounts.services import api_key_create
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.contributions.selectors import month_total_idr
from rangkul.contributions.services import payment_allocate
from rangkul.contributions.tests.factories import member
from rangkul.core import pdf
from rangkul.core.errors import ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.outreach.campaigns import CampaignNotAllowed
from rangkul.outreach.facts import facts_current
from rangkul.outreach.flyer_pdf import flyer_pdf
from rangkul.outreach.models import ReferralCode, ReferralKind
from rangkul.outreach.referrals import referral_code_create, referral_counts, referral_link
from rangkul.portal import wizard as wz
from rangkul.registry.services.registration import referral_code_clean
from rangkul.registry.tests.factories import make_nik


@pytest.fixture
def officer(roles, regions):
    rulebook_cache_clear()
    user = UserFactory(username="penyuluh")
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return user


def test_codes_are_drawn_checked_and_audited(officer, branch):
    drawn = referral_code_create(
        actor=Actor.for_user(officer), kind="community", owner_code="kop-nelayan", name="Koperasi Nelayan"
    )
    assert drawn.code.startswith("K") and len(drawn.code) == 7 and referral_code_clean(drawn.code) == drawn.code
    chosen = referral_code_create(
        actor=Actor.for_user(officer), kind="branch", owner_code=branch.code, name="Cabang", code="smg-1"
    )
    assert chosen.code == "SMG-1" and chosen.kind == ReferralKind.BRANCH
    assert AuditEvent.objects.filter(action="referral.create").count() == 2
    with pytest.raises(ValidationFailed) as taken:
        referral_code_create(actor=Actor.for_user(officer), kind="agent", owner_code="AG1", name="Agen", code="SMG-1")
    assert "code" in taken.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        referral_code_create(actor=Actor.for_user(officer), kind="branch", owner_code="NOPE", name="Cabang")
    assert "owner_code" in unknown.value.fields
    with pytest.raises(CampaignNotAllowed):
        referral_code_create(
            actor=Actor.for_user(UserFactory(username="lain")), kind="agent", owner_code="AG1", name="Agen"
        )
    assert ReferralCode.objects.count() == 2


def test_a_mistyped_code_is_not_recorded_but_never_blocks_registration(regions):
    assert referral_code_clean(" k7hq2mx ") == "K7HQ2MX"
    assert referral_code_clean("a b") == "" and referral_code_clean("x" * 21) == ""
    assert member(referral_code="k7hq2mx").referral_code == "K7HQ2MX"
    assert member(referral_code="<script>").referral_code == ""


def test_the_flyer_link_carries_the_code_into_the_registration(client, regions):
    response = client.get(reverse("portal:register") + "?ref=K7HQ2MX")
    assert response.status_code == 302
    assert client.session[wz.SESSION_KEY]["ref"] == "K7HQ2MX"
    assert referral_link("K7HQ2MX").endswith(reverse("portal:register") + "?ref=K7HQ2MX")


def test_registrations_and_payments_are_counted_per_code(officer):
    ours = referral_code_create(
        actor=Actor.for_user(officer), kind="agent", owner_code="AG-01", name="Agen Budi", code="AGBUDI"
    )
    referral_code_create(
        actor=Actor.for_user(officer), kind="community", owner_code="ojol", name="Komunitas Ojol", code="OJOL"
    )
    payer, _idle = member(referral_code="AGBUDI"), member(referral_code="agbudi")
    member()  # no code: counted nowhere
    amount = month_total_idr(declared_income_idr=1_000_000, jht=False, sector="non_transport", period=Period(2026, 1))
    assert amount
    payment_allocate(
        actor=Actor.system("test"),
        worker=payer,
        amount_idr=amount,
        payment_reference="P-1",
        channel="sandbox",
        paid_at=dt.datetime(2026, 1, 10, 3, tzinfo=dt.UTC),
    )
    counts = {row.referral.code: row for row in referral_counts()}
    assert (counts[ours.code].registered, counts[ours.code].paying) == (2, 1)
    assert counts[ours.code].paid_idr > 0
    assert (counts["OJOL"].registered, counts["OJOL"].paying, counts["OJOL"].paid_idr) == (0, 0, 0)


def test_registrations_through_the_partner_api_are_attributed_to_the_code(client, officer):
    referral_code_create(
        actor=Actor.for_user(officer), kind="community", owner_code="ojol", name="Komunitas Ojol", code="OJOL"
    )
    key = api_key_create(actor=Actor.system("system"), name="Koperasi Maju", organisation_code="KOP-MAJU")
    for code in ("ojol", "OJ0L!"):  # the second is mistyped: registered all the same, counted nowhere
        response = client.post(
            "/api/v1/workers",
            data=json.dumps(
                {
                    "nik": make_nik(),
                    "full_name": "Budi Santoso",
                    "birth_date": "1990-05-17",
                    "sex": "M",
                    "phone": "081234567890",
                    "village_code": "33.74.01.1001",
                    "occupation": "ojek_online",
                    "declared_income_idr": 1000000,
                    "jht": False,
                    "referral_code": code,
                }
            ),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 201, response.json()
    counts = {row.referral.code: row for row in referral_counts()}
    assert counts["OJOL"].registered == 1


def test_the_flyer_shows_the_price_and_benefits_from_the_rules_and_the_link(officer):
    referral = referral_code_create(
        actor=Actor.for_user(officer), kind="community", owner_code="nelayan", name="Nelayan Sejahtera"
    )
    facts = facts_current()
    assert facts is not None
    document = flyer_pdf(referral, facts=facts)
    assert document.startswith(b"%PDF") and b"419.5276 595.2756" in document  # A5 portrait (MediaBox)
    text = pdf.page_text(document)
    assert pdf.pdf_text(format_rupiah(facts.price_idr)) in text
    assert referral.code in text and "Nelayan Sejahtera" in text
    assert referral_link(referral.code) in text
    assert pdf.pdf_text(format_rupiah(facts.amounts["death"])) in text  # JKM's benefit, from the rule table


def test_staff_page_lists_counts_and_serves_the_flyer(client, officer):
    client.force_login(officer)
    created = client.post(
        reverse("outreach_office:referrals"), {"kind": "agent", "owner_code": "AG-2", "name": "Agen Sari", "code": ""}
    )
    assert created.status_code == 302
    code = ReferralCode.objects.get().code
    member(referral_code=code)
    page = client.get(reverse("outreach_office:referrals")).content.decode()
    assert code in page and "Agen Sari" in page
    flyer = client.get(reverse("outreach_office:referral_flyer", args=[code]))
    assert flyer.status_code == 200 and flyer["Content-Type"] == "application/pdf"
    bad = client.post(reverse("outreach_office:referrals"), {"kind": "branch", "owner_code": "X", "name": "C"})
    assert bad.status_code == 200 and "owner_code" in bad.context["form"].errors
    client.force_login(UserFactory(username="tamu"))
    assert client.get(reverse("outreach_office:referrals")).status_code == 403
