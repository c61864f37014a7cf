"""The API's single error mapping: every failure is ``{"code", "message", "fields"}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
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


_DOCUMENTED_ERRORS = {
    400: "The request could not be read (malformed JSON, bad encoding).",
    413: "The request body is larger than the configured limit.",
    422: "Some fields are not valid: `fields` names each one.",
}
_DOCUMENTED_AUTH_ERRORS = {
    401: "No valid API key (`Authorization: Bearer …`) and no staff session.",
    403: "Authenticated, but not allowed to do this.",
}


def document_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the error answers every operation can give to the OpenAPI document, in the error shape.

    The handlers above give them to every operation (malformed or oversized bodies, invalid
    fields, a failed key, an unknown object), so the document lists them for each one instead
    of leaving clients and the conformance tests to guess.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorOut", ErrorOut.model_json_schema())
    reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(_DOCUMENTED_ERRORS)
            if operation.get("security"):
                errors |= _DOCUMENTED_AUTH_ERRORS
            if "{" in path:
                errors[404] = "No such object, or not one the caller may see."
            responses = operation["responses"]
            for status, description in errors.items():
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, **reference}
    return schema


def install_error_handlers(api: NinjaAPI) -> None:
    build_schema = api.get_openapi_schema

    def get_openapi_schema(**kwargs: Any) -> Any:
        return document_error_responses(build_schema(**kwargs))

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]

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

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, "too_large", str(_STATUS_MESSAGES[413]))

    @api.exception_handler(TooManyFieldsSent)
    def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        return respond(request, 400, "bad_request", _("The request could not be read."))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error")
        return respond(request, 500, "server_error", _("Something went wrong on our side. Please try again later."))


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "server_error",
}
_STATUS_MESSAGES = {
    400: gettext_lazy("The request could not be read."),
    401: gettext_lazy("A valid API key or login is required."),
    403: gettext_lazy("You do not have permission to do this."),
    404: gettext_lazy("Not found."),
    405: gettext_lazy("This method is not allowed here."),
    413: gettext_lazy("The request body is too large."),
    500: gettext_lazy("Something went wrong on our side. Please try again later."),
}


def error_response(status: int, *, code: str | None = None, message: str | None = None) -> HttpResponse:
    """The error shape for a failure that never reached the API's handlers (routing, size, method)."""
    body = {
        "code": code or _STATUS_CODES.get(status, "error"),
        "message": message or str(_STATUS_MESSAGES.get(status, gettext_lazy("The request could not be handled."))),
        "fields": {},
    }
    return HttpResponse(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiErrorShapeMiddleware:
    """Under ``/api/`` every error is ``{"code", "message", "fields"}``, also outside the API's views.

    Unknown paths, wrong methods and bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` are answered by
    Django before any API handler runs, as HTML or plain text: this puts them in the shape. A
    declared body that is too large (other than a multipart upload, whose files are limited
    separately) is refused before anything reads it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if limit is not None and not multipart and _declared_length(request) > limit:
            return error_response(413)
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        shaped = error_response(response.status_code)
        if response.has_header("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped
