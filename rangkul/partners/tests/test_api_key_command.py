"""`create_api_key NAME [--organisation CODE]`: a key that acts for an existing organisation."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rangkul.accounts.models import ApiKey
from rangkul.accounts.services import api_key_authenticate
from rangkul.partners.models import Organisation


def test_create_api_key_command_prints_the_key_once(db):
    Organisation.objects.create(code="ojk-1", name="Platform Ojek", kind="platform")
    out = StringIO()
    call_command("create_api_key", "Platform Ojek", "--organisation", "OJK-1", stdout=out)
    payload = json.loads(out.getvalue())
    assert set(payload) == {"key"}
    assert ApiKey.objects.get().organisation_code == "ojk-1"
    assert api_key_authenticate(payload["key"]) is not None


def test_create_api_key_command_rejects_an_unknown_organisation(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "Someone", "--organisation", "nope", stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_create_api_key_command_rejects_an_empty_name(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "  ", stdout=StringIO())
