"""The API's single error mapping: every failure is ``{"code", "message", "fields"}``."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel

from rangkul.core.errors import ApplicationError

logger = logging.getLogger("rangkul.api")


class ErrorOut(BaseModel):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "form")]
    # ninja nests a body schema under its parameter name; the partner cares about the field.
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in {"data", "params"} else parts) or "__all__"


_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "string_type": gettext_lazy("Must be text."),
    "int_parsing": gettext_lazy("Must be a whole number."),
    "int_type": gettext_lazy("Must be a whole number."),
    "int_from_float": gettext_lazy("Must be a whole number."),
    "bool_parsing": gettext_lazy("Must be true or false."),
    "bool_type": gettext_lazy("Must be true or false."),
    "date_from_datetime_parsing": gettext_lazy("Dates must be written YYYY-MM-DD."),
    "date_parsing": gettext_lazy("Dates must be written YYYY-MM-DD."),
    "date_type": gettext_lazy("Dates must be written YYYY-MM-DD."),
    "literal_error": gettext_lazy("This value is not one of the allowed choices."),
    "enum": gettext_lazy("This value is not one of the allowed choices."),
    "string_too_long": gettext_lazy("This value is too long."),
    "string_too_short": gettext_lazy("This value is too short."),
    "greater_than_equal": gettext_lazy("This value is too small."),
    "less_than_equal": gettext_lazy("This value is too large."),
    "extra_forbidden": gettext_lazy("This field is not recognised."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "model_attributes_type": gettext_lazy("The request body must be a JSON object."),
    "dict_type": gettext_lazy("Must be a JSON object."),
    "list_type": gettext_lazy("Must be a list."),
}


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = _field_name(error.get("loc", ()))
        message = str(_MESSAGES.get(str(error.get("type")), gettext_lazy("This value is not valid.")))
        if str(error.get("type")) == "value_error":
            message = str(error.get("msg", "")).removeprefix("Value error, ") or str(
                gettext_lazy("This value is not valid.")
            )
        fields.setdefault(name, []).append(message)
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, code: str, message: str, fields: Any = None) -> HttpResponse:
        return api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return respond(request, exc.status, exc.code, str(exc.message), exc.fields)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = list(exc.errors)
        if any(str(e.get("type")) == "json_invalid" for e in errors):
            return respond(request, 400, "malformed_json", _("The request body is not valid JSON."))
        return respond(request, 422, "validation_failed", _("Some fields are not valid."), validation_fields(errors))

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, "unauthenticated", _("A valid API key or login is required."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return respond(request, 400, "bad_request", _("The request could not be read."))
        return respond(request, exc.status_code, "error", str(exc))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error")
        return respond(request, 500, "server_error", _("Something went wrong on our side. Please try again later."))
