"""Key rotation: reseal_niks seals every member's and heir's NIK again with the new key, nothing else changes."""

from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command

from rangkul.audit.models import AuditEvent
from rangkul.core.crypto import needs_reseal
from rangkul.registry.models import Heir, Worker
from rangkul.registry.tests.factories import heir_input, make_nik, worker_create

pytestmark = pytest.mark.django_db

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def test_reseal_niks_moves_every_nik_to_the_new_key_once(regions, settings) -> None:
    settings.NIK_SEAL_KEYS = f"old:{OLD}"
    nik = make_nik()
    worker = worker_create(nik=nik, heirs=[heir_input(nik=make_nik(sex="F"))])
    heir = Heir.objects.get(worker=worker)
    heir_nik_before = heir.nik_sealed
    settings.NIK_SEAL_KEYS = f"new:{NEW},old:{OLD}"
    assert needs_reseal(Worker.objects.get().nik_sealed)

    out = StringIO()
    call_command("reseal_niks", "--batch-size", "1", stdout=out)
    assert json.loads(out.getvalue()) == {"workers": 1, "heirs": 1}
    worker.refresh_from_db()
    heir.refresh_from_db()
    assert not needs_reseal(worker.nik_sealed) and not needs_reseal(heir.nik_sealed)
    assert heir.nik_sealed != heir_nik_before
    settings.NIK_SEAL_KEYS = f"new:{NEW}"  # the old key can go: everything opens with the new one
    assert worker.nik == nik
    assert AuditEvent.objects.filter(action="registry.niks_resealed").count() == 1

    again = StringIO()
    call_command("reseal_niks", stdout=again)
    assert json.loads(again.getvalue()) == {"workers": 0, "heirs": 0}
