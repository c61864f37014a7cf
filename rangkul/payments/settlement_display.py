"""Settlement results in words, for the office pages and the per-line report.

Lines keep their notes as the matcher writes them (stable English text, what tests
and older rows hold); these helpers say them in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rangkul.core.money import format_rupiah

SUMMARY_LABELS: dict[str, Promise] = {
    "lines": gettext_lazy("Lines"),
    "matched": gettext_lazy("Matched a recorded payment"),
    "duplicates": gettext_lazy("Duplicate lines"),
    "unmatched": gettext_lazy("No callback: recorded from the file"),
    "mismatched": gettext_lazy("Amount differs from the recorded payment"),
    "invalid": gettext_lazy("Unreadable lines"),
    "unsettled_callbacks": gettext_lazy("Callbacks missing from settlement"),
}

# The per-line report's columns: key, header.
REPORT_COLUMNS: list[tuple[str, Promise]] = [
    ("line", gettext_lazy("Line")),
    ("external_reference", gettext_lazy("Transaction")),
    ("payment_code", gettext_lazy("Payment code")),
    ("amount_idr", gettext_lazy("Amount (Rp)")),
    ("outcome", gettext_lazy("Outcome")),
    ("note", gettext_lazy("Note")),
    ("payment_status", gettext_lazy("Payment status")),
]

_PROBLEMS: dict[str, Promise] = {
    "missing": gettext_lazy("missing"),
    "not an amount": gettext_lazy("not an amount"),
    "not a whole positive rupiah amount": gettext_lazy("not a whole positive rupiah amount"),
    "not a date and time": gettext_lazy("not a date and time"),
    "must be text": gettext_lazy("must be text"),
    "too long": gettext_lazy("too long"),
}
_ALREADY_SETTLED = re.compile(r"already settled by line (\d+)")
_AMOUNTS = re.compile(r"recorded (\d+), file (\d+)")
_UNREADABLE = re.compile(r"(.+): ([a-z ]+)")


def summary_rows(summary: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """A file's summary as (label, count), in the summary's order; an unknown key is shown as written."""
    return [(str(SUMMARY_LABELS.get(key, key)), value) for key, value in (summary or {}).items()]


def note_text(note: str) -> str:
    """A line's note in the reader's language."""
    if not note:
        return ""
    if note == "no callback: recorded from the settlement file":
        return _("No callback arrived; the payment was recorded from the settlement file.")
    if match := _ALREADY_SETTLED.fullmatch(note):
        return _("Already settled by an earlier settlement line (no. %(line)s).") % {"line": match.group(1)}
    if match := _AMOUNTS.fullmatch(note):
        return _("Recorded %(recorded)s, the file says %(file)s.") % {
            "recorded": format_rupiah(int(match.group(1))),
            "file": format_rupiah(int(match.group(2))),
        }
    if (match := _UNREADABLE.fullmatch(note)) and match.group(2) in _PROBLEMS:
        return _("Column %(column)s: %(problem)s.") % {
            "column": match.group(1),
            "problem": _PROBLEMS[match.group(2)],
        }
    return note
