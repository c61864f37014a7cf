"""Civil-registry (Dukcapil) identity verification, behind an adapter.

Real verification is an online lookup in the population registry under an
agreement with Dukcapil; Rangkul calls whatever class the setting
``DUKCAPIL_BACKEND`` (env ``RANGKUL_DUKCAPIL_BACKEND``, a dotted path) names.
The development backend accepts every structurally valid NIK.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "rangkul.registry.dukcapil.DevelopmentDukcapil"


@dataclass(frozen=True)
class DukcapilResult:
    verified: bool
    # Which submitted facts the registry disagrees with, e.g. ["full_name"]; never echoes the NIK.
    mismatched_fields: tuple[str, ...] = ()
    reference: str = ""


class DukcapilVerifier(Protocol):
    def verify(self, *, nik: str, full_name: str, birth_date: dt.date, sex: str) -> DukcapilResult: ...


class DevelopmentDukcapil:
    """Accepts every NIK that reached it (the registry has already checked its structure)."""

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date, sex: str) -> DukcapilResult:
        return DukcapilResult(verified=True, reference="development")


def dukcapil_backend() -> DukcapilVerifier:
    path = getattr(settings, "DUKCAPIL_BACKEND", "") or DEFAULT_BACKEND
    backend: DukcapilVerifier = import_string(path)()
    return backend
