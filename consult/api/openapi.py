"""The OpenAPI 3.1 description of /api/v1, generated from the operations' declarations.

Every route of the API blueprint declares its operation (consult.api.registry): the
request model it parses, the response model, the error statuses. The document is built
from those declarations and the models' JSON schemas (pydantic), so that it says what
the code accepts. tests/api/test_openapi.py checks that every route is described and
tests/api/test_fuzz.py runs schemathesis against it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flask import Flask, current_app, has_app_context
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from consult.api.base import bp
from consult.api.registry import Operation, operation, operation_of
from consult.db import MAX_ID

JSON = "application/json"
REF = "#/components/schemas/{model}"

ERROR_TEXTS = {
    400: "Malformed request (bad JSON, wrong shape, nested too deeply)",
    401: "No or bad token",
    403: "Not allowed",
    404: "Unknown (or not visible to the caller)",
    409: "Conflict with the current state",
    413: "Body too large",
    422: "Well-formed but invalid values (error.fields names the inputs at fault)",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: The shape of every error (API.md), the same for every operation.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "snake_case, stable: scripts may rely on it",
                },
                "message": {
                    "type": "string",
                    "description": "for people, in the language of the token's owner",
                },
                "fields": {
                    "type": "object",
                    "description": "Input name -> what is wrong with it (where known).",
                    "additionalProperties": {"type": "string"},
                },
            },
        }
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: Every write takes it: a retry with the same key gets the first answer again.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Optional. A write sent again with the same key (by the same user, to the same "
        "path) is not carried out again: it gets the first request's answer, with the "
        "header Idempotent-Replayed: true. The key reused with another body is refused "
        "(422 idempotency_key_reused). Keys are kept for 24 hours; an empty value is none."
    ),
    "schema": {"type": "string", "maxLength": 255},
}
BUSY = {
    "description": "The database was busy; nothing was stored. Try again after Retry-After "
    "seconds.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": {JSON: {"schema": ERROR_REF}},
}


class Document(BaseModel):
    """This document (OpenAPI 3.1)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/api/v1/revisions/<int:revision_id>`` -> ``/revisions/{revision_id}`` and its
    path parameters (ids: integers the id columns can hold)."""
    parameters = []
    for converter, name in _PARAMETER.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    path = _PARAMETER.sub(lambda m: "{" + m.group(2) + "}", rule)
    return path.removeprefix(bp.url_prefix or ""), parameters


def _schema_refs(
    operations: list[Operation],
) -> tuple[dict[str, Any], dict[tuple[type[BaseModel], str], dict[str, Any]]]:
    """The components' schemas of every model the operations use, and a reference to each
    (a request model as it validates, a response model as it serialises)."""
    wanted: list[tuple[type[BaseModel], Any]] = []
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(unique, ref_template=REF)
    found: dict[tuple[type[BaseModel], str], dict[str, Any]] = {}
    for (model, mode), reference in refs.items():
        found[(model, mode)] = reference  # type: ignore[index]
    return definitions.get("$defs", {}), found


def _responses(
    op: Operation, method: str, refs: dict[tuple[type[BaseModel], str], dict[str, Any]]
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done (no content)"}
    else:
        schema = refs[(op.response, "serialization")] if op.response else {"type": "object"}
        content: dict[str, Any] = {JSON: {"schema": schema}}
        for media_type in op.files:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
        responses[str(op.status)] = {"description": "OK", "content": content}
    errors = set(op.errors)
    if method in WRITES:
        errors.add(422)  # also an Idempotency-Key that is too long or reused
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_TEXTS[status],
            "content": {JSON: {"schema": ERROR_REF}},
        }
    if method in WRITES:
        responses["503"] = BUSY
    return responses


def build_document() -> dict[str, Any]:
    """The document for the current app's API routes."""
    entries: list[tuple[str, str, Operation, list[dict[str, Any]]]] = []
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        op = operation_of(current_app.view_functions[rule.endpoint])
        if op is None:
            raise LookupError(f"{rule.rule} declares no operation (consult.api.registry)")
        path, parameters = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entries.append((path, method, op, parameters))
    schemas, refs = _schema_refs([op for _, _, op, _ in entries])
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for path, method, op, parameters in sorted(entries, key=lambda e: (e[0], e[1])):
        spec: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_')}".replace("{", "")
            .replace("}", "")
            .replace("-", "_"),
            "responses": _responses(op, method, refs),
        }
        if op.description:
            spec["description"] = op.description
        params = [
            *parameters,
            *(
                {
                    "name": q.name,
                    "in": "query",
                    "required": q.required,
                    "schema": q.schema,
                    **({"description": q.description} if q.description else {}),
                }
                for q in op.query
            ),
        ]
        if method in WRITES:
            params.append(IDEMPOTENCY_KEY)
        if params:
            spec["parameters"] = params
        if op.body is not None:
            spec["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": refs[(op.body, "validation")]}},
            }
        elif op.upload is not None:
            spec["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": [op.upload],
                            "properties": {op.upload: {"type": "string", "format": "binary"}},
                        }
                    }
                },
            }
        if op.public:
            spec["security"] = []
        paths.setdefault(path, {})[method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consult API",
            "version": "1",
            "description": "Consultations on concept drafts. Contract: API.md. Errors: "
            '{"error": {"code", "message", "fields"?}}.',
        },
        "servers": [{"url": bp.url_prefix}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@functools.cache
def _cached(app_id: int) -> dict[str, Any]:
    return build_document()


@functools.cache
def _standalone() -> dict[str, Any]:
    app = Flask(__name__)
    app.register_blueprint(bp)
    with app.app_context():
        return build_document()


def document() -> dict[str, Any]:
    """The document (built once per app: the routes do not change while it runs); outside
    an app, from the API's routes alone (for tools and tests that load it first)."""
    if not has_app_context():
        return _standalone()
    return _cached(id(current_app._get_current_object()))  # type: ignore[attr-defined]


@bp.get("/openapi.json")
@operation("This document", tag="meta", response=Document, errors=(), public=True)
def openapi() -> ResponseReturnValue:
    return document()
