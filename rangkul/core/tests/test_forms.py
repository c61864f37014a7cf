"""A service's error on a form: each message next to its field, the rest above the form."""

from __future__ import annotations

from django import forms

from rangkul.core.errors import ApplicationError
from rangkul.core.forms import add_field_errors, add_service_error


class _Form(forms.Form):
    village = forms.CharField(required=False)
    name = forms.CharField(required=False)


def _bound() -> _Form:
    form = _Form({"village": "x", "name": ""})
    assert form.is_valid()
    return form


def test_field_errors_go_to_their_fields_renamed_and_the_rest_above_the_form() -> None:
    form = _bound()
    error = ApplicationError("bad", fields={"village_code": ["Unknown village."], "nik": ["Wrong NIK."]})
    add_service_error(form, error, rename=lambda name: {"village_code": "village"}.get(name, name))
    assert form.errors["village"] == ["Unknown village."]
    assert form.non_field_errors() == ["Wrong NIK."]


def test_a_message_alone_goes_above_the_form() -> None:
    form = _bound()
    add_service_error(form, ApplicationError("Try again later."))
    assert form.non_field_errors() == ["Try again later."]


def test_keep_form_errors_leaves_a_field_its_own_error() -> None:
    form = _bound()
    form.add_error("name", "Write a name.")
    add_service_error(form, ApplicationError("bad", fields={"name": ["Too long."]}), keep_form_errors=True)
    assert form.errors["name"] == ["Write a name."]


class _Required(forms.Form):
    name = forms.CharField()
    village = forms.CharField(required=False)


def test_field_errors_kept_across_a_redirect_are_shown_once_next_to_their_fields() -> None:
    form = _Required({"name": "", "village": "x"})
    required = str(_Required.base_fields["name"].error_messages["required"])
    add_field_errors(form, {"name": [required, "Too short."], "village": ["Unknown village."], "nik": ["Wrong NIK."]})
    # The form's own check ran first: its message is not repeated, the service's are added.
    assert form.errors["name"] == [required, "Too short."]
    assert form.errors["village"] == ["Unknown village."]
    assert form.non_field_errors() == ["Wrong NIK."]


def test_no_field_errors_add_nothing() -> None:
    form = _bound()
    add_field_errors(form, {"name": []})
    assert form.is_valid() and not form.errors
