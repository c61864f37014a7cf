"""``{% load settlement_words %}``: settlement summaries and line notes in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from rangkul.payments.settlement_display import note_text, summary_rows

register = template.Library()


@register.filter
def settlement_summary(summary: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    return summary_rows(summary)


@register.filter
def settlement_note(note: str) -> str:
    return note_text(note)
