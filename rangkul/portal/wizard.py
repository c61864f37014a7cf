"""Registration progress kept in the session between steps.

The NIK (and any heir's NIK) is stored sealed (AES-GCM, purpose "portal_session"),
so that a session row read from the database or a cache reveals no NIK; it is
never put in a URL. Everything is dropped when registration succeeds.

The mobile number comes first and is verified by a code; the identity step, the only
one that may answer "this NIK is already registered", opens only after it. Whatever was
learnt about a NIK belongs to that verified number: sending a code again (a new number,
or the same one) drops the NIK and any answer about it (``phone_unverified``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from rangkul.core.crypto import SealError, seal, unseal

SESSION_KEY = "portal_registration"
SEAL_PURPOSE = "portal_session"

STEPS = ("kontak", "identitas", "alamat", "pekerjaan", "ahli-waris", "periksa")

# Which step shows the error for each field that worker_register can report.
FIELD_STEPS = {
    "nik": "identitas",
    "full_name": "identitas",
    "birth_date": "identitas",
    "sex": "identitas",
    "phone": "kontak",
    "email": "alamat",
    "village_code": "alamat",
    "address": "alamat",
    "postal_code": "alamat",
    "occupation": "pekerjaan",
    "second_occupation": "pekerjaan",
    "declared_income_idr": "pekerjaan",
    "jht": "pekerjaan",
    "payment_period_months": "pekerjaan",
    "branch": "pekerjaan",
    "heirs": "ahli-waris",
}
# Service field name → form field name where they differ.
FORM_FIELD = {"village_code": "village"}


def seal_nik(nik: str) -> str:
    return seal(nik, purpose=SEAL_PURPOSE) if nik else ""


def open_nik(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return unseal(sealed, purpose=SEAL_PURPOSE)
    except SealError:
        return ""


def parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class Wizard:
    session: SessionBase

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.session.setdefault(SESSION_KEY, {})
        return state

    def save(self) -> None:
        self.session.modified = True

    def get(self, step: str) -> dict[str, Any]:
        value: dict[str, Any] = self.state.get(step) or {}
        return value

    def put(self, step: str, data: dict[str, Any]) -> None:
        self.state[step] = data
        done = set(self.state.get("done", []))
        done.add(step)
        self.state["done"] = sorted(done)
        self.save()

    def is_done(self, step: str) -> bool:
        return step in self.state.get("done", [])

    def undo(self, step: str) -> None:
        self.state["done"] = [s for s in self.state.get("done", []) if s != step]
        self.save()

    def first_open_step(self) -> str:
        for step in STEPS[:-1]:
            if not self.is_done(step):
                return step
        return STEPS[-1]

    def can_open(self, step: str) -> bool:
        index = STEPS.index(step)
        return all(self.is_done(previous) for previous in STEPS[:index])

    # Errors reported by the registration service, waiting to be shown on their step.
    def set_errors(self, errors: dict[str, dict[str, list[str]]]) -> None:
        self.state["errors"] = errors
        for step in errors:
            self.undo(step)
        self.save()

    def pop_errors(self, step: str) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = self.state.get("errors", {}).pop(step, {})
        if errors:
            self.save()
        return errors

    def verified_phone(self) -> str:
        """The mobile number this registration has verified with a code, or ""."""
        contact = self.get("kontak")
        return str(contact.get("phone", "")) if contact.get("verified") else ""

    def phone_unverified(self, *, phone: str, sent: bool) -> None:
        """A code is (to be) sent to ``phone``: until it is verified, nothing about a NIK stands.

        The NIK typed under the previous verification, and any "already registered" answer about
        it, are dropped; the identity step has to be sent again, checked against the new number's
        allowance. Name, date of birth and sex stay, to spare typing them again.
        """
        self.state["kontak"] = {"phone": phone, "sent": sent, "verified": False}
        self.undo("kontak")
        identity = {k: v for k, v in self.get("identitas").items() if k != "nik_sealed"}
        if identity:
            self.state["identitas"] = identity
        self.undo("identitas")
        self.state.get("errors", {}).pop("identitas", None)
        self.save()

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)


def errors_by_step(fields: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """Group a ValidationFailed's fields by the step that shows them (heirs.N.x → heirs step)."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for name, messages in fields.items():
        root = name.split(".", 1)[0]
        step = FIELD_STEPS.get(root, "periksa")
        form_field = FORM_FIELD.get(name, name)
        grouped.setdefault(step, {}).setdefault(form_field, []).extend(messages)
    return grouped
