"""Education pages: amounts from the rules, comparisons from the simulator's price, a draft the public
does not see until it is published, an audit trail, and pages light enough for a phone without JS."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from rangkul.accounts.roles import Role
from rangkul.accounts.tests.factories import UserFactory
from rangkul.audit.actors import Actor
from rangkul.audit.models import AuditEvent
from rangkul.contributions.rules import rulebook_cache_clear
from rangkul.core.errors import ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.outreach.campaigns import CampaignNotAllowed
from rangkul.outreach.education import (
    body_render,
    comparisons,
    education_page_publish,
    education_page_save,
)
from rangkul.outreach.facts import facts_current
from rangkul.outreach.models import EducationPage


@pytest.fixture
def editor(roles):
    rulebook_cache_clear()
    user = UserFactory(username="editor")
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_OFFICER.value))
    return user


@given(price=st.integers(1, 10_000_000))
def test_each_comparison_is_true_and_the_smallest(price: int) -> None:
    for c in comparisons(price):
        assert price < c.count * c.price_idr  # "less than" holds
        assert price >= (c.count - 1) * c.price_idr  # and one fewer would not


@pytest.mark.django_db
def test_the_index_shows_rule_amounts_comparisons_and_the_examples(client):
    rulebook_cache_clear()
    facts = facts_current()
    assert facts is not None
    response = client.get("/edukasi/")
    content = response.content.decode()
    assert response.status_code == 200 and content.count('id="manfaat"') == 1
    assert format_rupiah(facts.price_idr) in content.split('data-testid="education-benefits"')[1]
    assert format_rupiah(facts.amounts["death"]) in content  # JKM's death benefit, from the rule table
    assert "es teh" in content.split('data-testid="education-comparisons"')[1]
    examples = content.split('data-testid="education-examples"')[1].split("</section>")[0]
    assert "/edukasi/ojek-kecelakaan/" in examples and "/edukasi/nelayan-meninggal/" in examples
    # Plain HTML: no script of its own and no form, only links (the site's deferred scripts are optional).
    body = content.split('id="manfaat"')[1]
    assert "<script" not in body and "<form" not in body and "hx-" not in body
    assert len(response.content) < 40_000


@pytest.mark.django_db
def test_a_published_page_fills_its_amounts_from_the_rules_in_both_languages(client):
    rulebook_cache_clear()
    facts = facts_current()
    assert facts is not None
    page = client.get("/edukasi/nelayan-meninggal/").content.decode()
    assert format_rupiah(facts.amounts["death"]) in page and format_rupiah(facts.amounts["funeral"]) in page
    assert "{death}" not in page
    english = client.get("/edukasi/nelayan-meninggal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "death benefit of " + format_rupiah(facts.amounts["death"]) in english
    assert client.get("/edukasi/tidak-ada/").status_code == 404


@pytest.mark.django_db
def test_markup_is_escaped_and_unknown_placeholders_are_refused(editor):
    html = body_render("## Judul\n\n<b>tebal</b> {price}\n\n- satu\n- dua", facts_current())
    assert "<h2>Judul</h2>" in html and "&lt;b&gt;tebal&lt;/b&gt;" in html and "<li>dua</li>" in html
    assert "{price}" not in html
    assert "…" in body_render("{price}", None)  # no rules loaded: no invented amount
    with pytest.raises(ValidationFailed) as refused:
        education_page_save(actor=Actor.for_user(editor), slug="uji", title_id="Uji", body_id="Hanya {harga}")
    assert "body_id" in refused.value.fields and "{harga}" in str(refused.value.fields["body_id"][0])
    with pytest.raises(CampaignNotAllowed):
        education_page_save(
            actor=Actor.for_user(UserFactory(username="tamu")), slug="uji", title_id="Uji", body_id="Halo"
        )


@pytest.mark.django_db
def test_the_public_sees_the_draft_only_once_published_and_every_step_is_audited(client, editor):
    page = education_page_save(
        actor=Actor.for_user(editor), slug="pedagang", title_id="Bu Sri, pedagang", body_id="Versi satu"
    )
    assert client.get("/edukasi/pedagang/").status_code == 404  # a draft is not public
    education_page_publish(actor=Actor.for_user(editor), page=page)
    assert "Versi satu" in client.get("/edukasi/pedagang/").content.decode()
    page = education_page_save(
        actor=Actor.for_user(editor), slug="pedagang", title_id="Bu Sri, pedagang", body_id="Versi dua"
    )
    assert page.has_draft_changes
    assert "Versi satu" in client.get("/edukasi/pedagang/").content.decode()  # still the published text
    education_page_publish(actor=Actor.for_user(editor), page=page)
    assert "Versi dua" in client.get("/edukasi/pedagang/").content.decode()
    actions = list(AuditEvent.objects.filter(action__startswith="education.").values_list("action", flat=True))
    assert sorted(actions) == ["education.publish", "education.publish", "education.save", "education.save"]


@pytest.mark.django_db
def test_staff_edit_preview_and_publish_through_the_back_office(client, editor):
    client.force_login(editor)
    form = {"slug": "petani", "title_id": "Pak Tani", "body_id": "Iuran {price} sebulan.", "position": "5"}
    saved = client.post(reverse("outreach_office:education_new"), form)
    assert saved.status_code == 302
    edit = client.get(reverse("outreach_office:education_edit", args=["petani"])).content.decode()
    facts = facts_current()
    assert facts is not None
    assert format_rupiah(facts.price_idr) in edit.split('data-testid="education-preview"')[1]
    client.post(reverse("outreach_office:education_publish", args=["petani"]), {"action": "publish"})
    assert EducationPage.objects.get(slug="petani").is_published
    with translation.override("id"):
        bad = client.post(reverse("outreach_office:education_new"), {**form, "body_id": "{harga}"})
    assert bad.status_code == 200 and "{harga}" in bad.content.decode()
    client.post(reverse("outreach_office:education_publish", args=["petani"]), {"action": "unpublish"})
    assert client.get("/edukasi/petani/").status_code == 404
    client.force_login(UserFactory(username="tamu"))
    assert client.get(reverse("outreach_office:education_list")).status_code == 403
