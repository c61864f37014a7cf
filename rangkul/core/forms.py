"""The one way to put a service's error on a Django form."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

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
