"""The one way to put a service's error on a Django form."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from rangkul.core.errors import ApplicationError


def add_service_error(
    form: forms.BaseForm,
    error: ApplicationError,
    *,
    rename: Callable[[str], str] | None = None,
    keep_form_errors: bool = False,
) -> None:
    """Place a service's field errors on the form's fields; the rest, and a message alone, above the form.

    ``rename`` maps a service field name to the form's (``village_code`` → ``village``).
    ``keep_form_errors``: a field that already has the form's own error keeps only that one.
    """
    for name, messages in error.fields.items():
        target = rename(name) if rename else name
        if keep_form_errors and target in form.errors:
            continue
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
    if not error.fields:
        form.add_error(None, str(error.message))


def add_field_errors(form: forms.BaseForm, errors: Mapping[str, Sequence[str]]) -> None:
    """Place errors kept as ``{field: [messages]}`` (a service's, carried across a redirect) on a bound form.

    The form is validated first, so a message it finds itself is not shown twice; the rest goes
    through ``add_service_error``: next to the field when the form has it, above the form when not.
    """
    shown = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    fresh: dict[str, list[str]] = {}
    for name, messages in errors.items():
        target = name if name in form.fields else NON_FIELD_ERRORS
        new = [m for m in messages if m not in shown.get(target, [])]
        if new:
            fresh[name] = new
    if fresh:
        add_service_error(form, ApplicationError("", fields=fresh))
