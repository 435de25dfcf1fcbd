"""Errors that services raise and the web layer maps to HTTP status codes."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: carries a snake_case code and a message in the reader's language."""

    status = 400
    default_code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        # Messages may be lazy translations; they are fixed (to the reader's language) here.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        #: Field name -> message, so forms can tie errors to their inputs.
        self.fields = {name: str(text) for name, text in (fields or {}).items()}
        #: Extra machine-readable data for the API error body (e.g. ids).
        self.details = details or {}


class BadRequest(ServiceError):
    status = 400
    default_code = "bad_request"


class NotAuthenticated(ServiceError):
    status = 401
    default_code = "unauthorized"


class NotPermitted(ServiceError):
    status = 403
    default_code = "forbidden"


class NotFound(ServiceError):
    status = 404
    default_code = "not_found"


class Conflict(ServiceError):
    status = 409
    default_code = "conflict"


class TooLarge(ServiceError):
    status = 413
    default_code = "too_large"


class Invalid(ServiceError):
    status = 422
    default_code = "invalid"
