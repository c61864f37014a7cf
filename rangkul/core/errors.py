"""One error family for every interface.

Services raise ``ApplicationError`` (or a subclass); each interface maps it
once: forms through ``add_to_form``, the API through its exception handler to
``{"code", "message", "fields"}`` with the status below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django import forms


class ApplicationError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str | Promise]] | None = None,
        warnings: Sequence[str | Promise] = (),
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        self.warnings = [str(w) for w in warnings]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "fields": self.fields}

    def add_to_form(self, form: forms.BaseForm) -> None:
        """Attach this error to a bound form: field errors where the field exists."""
        placed = False
        for name, messages in self.fields.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
                placed = True
        if not placed or not self.fields:
            form.add_error(None, str(self.message))


class ValidationFailed(ApplicationError):
    status = 422
    default_code = "validation_failed"


class NotFound(ApplicationError):
    status = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    status = 409
    default_code = "conflict"


class PermissionDenied(ApplicationError):
    status = 403
    default_code = "permission_denied"


class RateLimited(ApplicationError):
    status = 429
    default_code = "rate_limited"
