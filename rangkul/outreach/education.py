"""Education pages: plain-text bodies with amounts pulled from the rules, drafted and published by staff.

The markup is deliberately small, so a page is safe and light on a cheap phone: blocks separated
by a blank line; a block starting ``## `` is a heading, a block of ``- `` lines a list, anything
else a paragraph. Everything is escaped; there are no links or HTML. ``{name}`` placeholders are
filled from ``rangkul.outreach.facts`` when the page is read (ADR 0041).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.core.errors import ValidationFailed
from rangkul.core.money import format_rupiah
from rangkul.outreach.campaigns import RUN_PERMISSION, CampaignNotAllowed
from rangkul.outreach.facts import Facts
from rangkul.outreach.models import EducationPage

# BPJS Ketenagakerjaan's national call centre.
HOTLINE = "175"

# Amounts (rupiah) a page may show; each is read from the rules in force (``Facts.amounts``).
AMOUNT_PLACEHOLDERS = (
    "price",
    "price_jht",
    "price_year",
    "price_day",
    "lowest_income",
    "death",
    "funeral",
    "accident_death",
    "scholarship",
)
PLACEHOLDERS = (*AMOUNT_PLACEHOLDERS, "comparisons", "hotline")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DATA = Path(__file__).with_name("data") / "comparisons.json"


@dataclass(frozen=True)
class Comparison:
    item: str
    price_idr: int
    count: int  # the contribution is less than this many of the item


@cache
def _items() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(_DATA.read_text(encoding="utf-8"))["items"])


def comparisons(price_idr: int) -> list[Comparison]:
    """Everyday things that cost more than a month's contribution: the fewest of each that do."""
    english = (translation.get_language() or "id").startswith("en")
    return [
        Comparison(
            item=item["en" if english else "id"], price_idr=item["price_idr"], count=price_idr // item["price_idr"] + 1
        )
        for item in _items()
    ]


def comparison_sentence(price_idr: int, comparison: Comparison) -> str:
    values = {
        "price": format_rupiah(price_idr),
        "item": comparison.item,
        "item_price": format_rupiah(comparison.price_idr),
    }
    if comparison.count == 1:
        return _("%(price)s a month is less than %(item)s (%(item_price)s).") % values
    return _("%(price)s a month is less than %(count)s × %(item)s (%(item_price)s each).") % {
        **values,
        "count": comparison.count,
    }


def amounts_for(facts: Facts) -> dict[str, int]:
    return {**facts.amounts, "price_day": round(facts.price_idr / 30)}


def body_validate(body: str, *, field: str) -> None:
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(body)} - set(PLACEHOLDERS))
    if unknown:
        message = _("Unknown placeholder: %(names)s. Use one of: %(known)s.") % {
            "names": ", ".join("{" + u + "}" for u in unknown),
            "known": ", ".join("{" + p + "}" for p in PLACEHOLDERS),
        }
        raise ValidationFailed(message, fields={field: [message]})


def body_render(body: str, facts: Facts | None) -> SafeString:
    """The page body as HTML: escaped text, headings, lists, paragraphs; placeholders filled."""
    amounts = amounts_for(facts) if facts else {}

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "hotline":
                return HOTLINE
            if name in amounts:
                return format_rupiah(amounts[name])
            return "…"  # the rules for this month are not loaded: no invented amount

        return _PLACEHOLDER.sub(one, escape(text))

    html: list[str] = []
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if lines == ["{comparisons}"]:
            if facts:
                items = "".join(
                    f"<li>{escape(comparison_sentence(facts.price_idr, c))}</li>" for c in comparisons(facts.price_idr)
                )
                html.append(f'<ul class="comparisons">{items}</ul>')
        elif lines[0].startswith("## "):
            html.append(f"<h2>{fill(lines[0][3:])}</h2>")
            if lines[1:]:
                html.append(f"<p>{fill(' '.join(lines[1:]))}</p>")
        elif all(line.startswith("- ") for line in lines):
            html.append("<ul>" + "".join(f"<li>{fill(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            html.append(f"<p>{fill(' '.join(lines))}</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text above is escaped


# --- Staff: draft and publish ---------------------------------------------------------------------


def _check(actor: Actor) -> None:
    if not actor.has_perm(RUN_PERMISSION):
        raise CampaignNotAllowed(gettext_lazy("You may not edit education pages."))


_FIELDS = ("title_id", "title_en", "body_id", "body_en", "occupation", "position")


@transaction.atomic
def education_page_save(
    *,
    actor: Actor,
    slug: str,
    title_id: str,
    body_id: str,
    title_en: str = "",
    body_en: str = "",
    occupation: str = "",
    position: int = 0,
) -> EducationPage:
    """Create a page or change its draft; the public keeps seeing the published text until publishing."""
    _check(actor)
    errors: dict[str, list[Any]] = {}
    if not re.fullmatch(r"[a-z0-9-]{2,60}", slug):
        errors["slug"] = [gettext_lazy("Use 2 to 60 lower-case letters, digits and dashes.")]
    if not title_id.strip():
        errors["title_id"] = [gettext_lazy("Give the page a title.")]
    if not body_id.strip():
        errors["body_id"] = [gettext_lazy("Write the page.")]
    if errors:
        raise ValidationFailed(gettext_lazy("Check the page."), fields=errors)
    body_validate(body_id, field="body_id")
    body_validate(body_en, field="body_en")
    page = EducationPage.objects.select_for_update().filter(slug=slug).first()
    before = {name: getattr(page, name) for name in _FIELDS} if page else None
    values = {
        "title_id": title_id.strip(),
        "title_en": title_en.strip(),
        "body_id": body_id.strip(),
        "body_en": body_en.strip(),
        "occupation": occupation.strip(),
        "position": position,
    }
    if page is None:
        page = EducationPage(slug=slug)
    for name, value in values.items():
        setattr(page, name, value)
    page.updated_at = timezone.now()
    page.updated_by = actor.user
    page.save()
    audit_record(actor=actor, action="education.save", subject=page, before=before, after=values)
    return page


@transaction.atomic
def education_page_publish(*, actor: Actor, page: EducationPage) -> EducationPage:
    """The draft becomes what the public reads."""
    _check(actor)
    page = EducationPage.objects.select_for_update().get(pk=page.pk)
    before = {"title_id": page.published_title_id, "body_id": page.published_body_id}
    page.published_title_id, page.published_title_en = page.title_id, page.title_en
    page.published_body_id, page.published_body_en = page.body_id, page.body_en
    page.published_at = timezone.now()
    page.published_by = actor.user
    page.save()
    audit_record(
        actor=actor,
        action="education.publish",
        subject=page,
        before=before,
        after={"title_id": page.title_id, "body_id": page.body_id},
    )
    return page


@transaction.atomic
def education_page_unpublish(*, actor: Actor, page: EducationPage) -> None:
    _check(actor)
    EducationPage.objects.filter(pk=page.pk).update(published_at=None, published_by=None)
    audit_record(actor=actor, action="education.unpublish", subject=page)


# --- Reading -------------------------------------------------------------------------------------


def education_published() -> QuerySet[EducationPage]:
    return EducationPage.objects.filter(published_at__isnull=False).order_by("position", "slug")


def education_get_published(*, slug: str) -> EducationPage | None:
    return education_published().filter(slug=slug).first()


@dataclass(frozen=True)
class PageText:
    title: str
    body: SafeString


def page_text(page: EducationPage, facts: Facts | None, *, draft: bool = False) -> PageText:
    """The page in the visitor's language (English when written, else Indonesian)."""
    english = (translation.get_language() or "id").startswith("en")
    if draft:
        title, body, title_en, body_en = page.title_id, page.body_id, page.title_en, page.body_en
    else:
        title, body = page.published_title_id, page.published_body_id
        title_en, body_en = page.published_title_en, page.published_body_en
    if english and body_en:
        title, body = title_en or title, body_en
    return PageText(title=title, body=body_render(body, facts))
