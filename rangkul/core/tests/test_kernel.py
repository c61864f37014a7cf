from __future__ import annotations

import logging
import sys

import pytest
from django import forms
from django.test import RequestFactory

from rangkul.core.errors import Conflict, ValidationFailed
from rangkul.core.htmx import render_page_or_fragment
from rangkul.core.logging import RedactPersonalDataFilter, redact


class _Form(forms.Form):
    nik = forms.CharField()


def test_application_error_maps_to_form_fields_and_non_field_errors():
    form = _Form({"nik": "x"})
    assert form.is_valid()
    ValidationFailed("Invalid", fields={"nik": ["NIK is not valid."], "unknown": ["Other."]}).add_to_form(form)
    assert form.errors["nik"] == ["NIK is not valid."]
    assert "Other." in form.non_field_errors()

    form = _Form({"nik": "x"})
    form.is_valid()
    Conflict("Already registered").add_to_form(form)
    assert form.non_field_errors() == ["Already registered"]


def test_application_error_dict_shape():
    error = Conflict("NIK sudah terdaftar", code="nik_registered")
    assert error.status == 409
    assert error.as_dict() == {"code": "nik_registered", "message": "NIK sudah terdaftar", "fields": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("registering 3374014101900001 now", "registering [NIK] now"),
        ("phone 081234567890 and +6281234567890", "phone [PHONE] and [PHONE]"),
        ("membership 12345678901 stays", "membership 12345678901 stays"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_log_filter_removes_nik_from_formatted_messages():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "nik=%s", ("3374014101900001",), None)
    RedactPersonalDataFilter().filter(record)
    assert record.getMessage() == "nik=[NIK]"


def test_log_filter_removes_nik_from_tracebacks():
    try:
        raise ValueError("bad nik 3374014101900001")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactPersonalDataFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "3374014101900001" not in formatted
    assert "bad nik [NIK]" in formatted


def test_render_page_or_fragment(db):
    factory = RequestFactory()
    request = factory.get("/")
    request.htmx = False
    page = render_page_or_fragment(request, page="errors/404.html", fragment="includes/form_errors.html")
    assert b"<html" in page.content
    request = factory.get("/", HTTP_HX_REQUEST="true")

    class _Htmx:
        boosted = False

        def __bool__(self):
            return True

    request.htmx = _Htmx()
    fragment = render_page_or_fragment(request, page="errors/404.html", fragment="includes/form_errors.html")
    assert b"<html" not in fragment.content
    assert fragment["Vary"] == "HX-Request"
