"""The OpenAPI 3.1 description of /api/v1, kept complete by tests/api/test_openapi.py."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import bp
from consult.models import OrganisationKind

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error_responses(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Malformed request (bad JSON, wrong shape)",
        401: "No or bad token",
        403: "Not allowed",
        404: "Unknown (or not visible to the caller)",
        409: "Conflict with the current state",
        413: "Body too large",
        422: "Well-formed but invalid values",
    }
    return {
        str(c): {"description": texts[c], "content": {JSON: {"schema": ref("Error")}}}
        for c in codes
    }


def operation(
    summary: str,
    *,
    ok: int = 200,
    response: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (401, 403),
    params: list[dict[str, Any]] | None = None,
    tag: str = "",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag] if tag else [],
        "responses": {
            str(ok): {
                "description": "OK",
                "content": {JSON: {"schema": response or {"type": "object"}}},
            },
            **error_responses(*errors),
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Organisation": {
        "type": "object",
        "required": ["id", "name", "kind"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": [k.value for k in OrganisationKind]},
            "is_active": {"type": "boolean"},
        },
    },
    "OrganisationInput": {
        "type": "object",
        "required": ["name", "kind"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "kind": {"type": "string", "enum": [k.value for k in OrganisationKind]},
        },
    },
    "User": {
        "type": "object",
        "required": ["id", "email", "name"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string"},
            "organisation_id": {"type": ["integer", "null"]},
            "is_admin": {"type": "boolean"},
            "is_active": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "invited": {"type": "boolean"},
        },
    },
    "UserInput": {
        "type": "object",
        "required": ["email", "name"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "organisation_id": {"type": ["integer", "null"]},
            "password": {
                "type": "string",
                "minLength": 10,
                "description": "Without a password an invitation e-mail is sent.",
            },
            "is_admin": {"type": "boolean"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/organisations": {
        "get": operation(
            "List organisations",
            tag="accounts",
            response={
                "type": "object",
                "properties": {"organisations": {"type": "array", "items": ref("Organisation")}},
            },
        ),
        "post": operation(
            "Create an organisation (admin)",
            ok=201,
            response=ref("Organisation"),
            body=ref("OrganisationInput"),
            errors=(400, 401, 403, 409, 413, 422),
            tag="accounts",
        ),
    },
    "/organisations/{organisation_id}": {
        "get": operation(
            "One organisation",
            response=ref("Organisation"),
            errors=(401, 403, 404),
            params=[path_id("organisation_id")],
            tag="accounts",
        ),
    },
    "/users": {
        "get": operation(
            "List users (admin)",
            tag="accounts",
            response={
                "type": "object",
                "properties": {"users": {"type": "array", "items": ref("User")}},
            },
        ),
        "post": operation(
            "Create a user (admin); without password an invitation is sent",
            ok=201,
            response=ref("User"),
            body=ref("UserInput"),
            errors=(400, 401, 403, 409, 413, 422),
            tag="accounts",
        ),
    },
    "/users/{user_id}": {
        "get": operation(
            "One user (admin)",
            response=ref("User"),
            errors=(401, 403, 404),
            params=[path_id("user_id")],
            tag="accounts",
        ),
    },
    "/me": {
        "get": operation("The token's user", response=ref("User"), errors=(401,), tag="accounts")
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "tags": ["meta"],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {JSON: {"schema": {"type": "object"}}},
                }
            },
        },
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consult API",
            "version": "1",
            "description": "Consultations on concept drafts. Contract: API.md. Errors: "
            '{"error": {"code", "message"}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return document()
