"""The OpenAPI 3.1 description of /api/v1, kept complete by tests/api/test_openapi.py."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import bp
from consult.models import OrganisationKind, Role

JSON = "application/json"
ROLES = [r.value for r in Role]


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


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional input that may also be sent as null, which means "not given"."""
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


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
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "Input name -> what is wrong with it (where known).",
                        "additionalProperties": {"type": "string"},
                    },
                },
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
            "password": nullable(
                {
                    "type": "string",
                    "minLength": 10,
                    "description": "Without a password an invitation e-mail is sent.",
                }
            ),
            "is_admin": nullable({"type": "boolean"}),
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

SCHEMAS.update(
    {
        "Consultation": {
            "type": "object",
            "required": ["id", "title", "latest_revision_id"],
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "latest_revision_id": {"type": ["integer", "null"]},
                "revisions": {"type": "array", "items": ref("RevisionSummary")},
            },
        },
        "ConsultationInput": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 300},
                "description": nullable({"type": "string"}),
            },
        },
        "Member": {
            "type": "object",
            "required": ["user_id", "role"],
            "properties": {
                "consultation_id": {"type": "integer"},
                "user_id": {"type": "integer"},
                "name": {"type": "string"},
                "organisation": {"type": ["string", "null"]},
                "role": {"type": "string", "enum": ROLES},
                "working_group_ids": {"type": "array", "items": {"type": "integer"}},
            },
        },
        "MemberInput": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"type": "string", "enum": ROLES},
                "working_group_ids": nullable({"type": "array", "items": {"type": "integer"}}),
            },
        },
        "RevisionSummary": {
            "type": "object",
            "required": ["id", "consultation_id", "number", "status"],
            "properties": {
                "id": {"type": "integer"},
                "consultation_id": {"type": "integer"},
                "number": {"type": "integer"},
                "status": {"type": "string", "enum": ["draft", "published", "superseded"]},
                "note": {"type": "string"},
                "author_id": {"type": ["integer", "null"]},
                "base_revision_id": {"type": ["integer", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "published_at": {"type": ["string", "null"], "format": "date-time"},
                "compared_to_id": {"type": ["integer", "null"]},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
        "Section": {
            "type": "object",
            "required": [
                "section_id",
                "key",
                "title",
                "body",
                "version_id",
                "parent_id",
                "position",
            ],
            "properties": {
                "section_id": {"type": "integer"},
                "key": {"type": "string"},
                "title": {"type": "string"},
                "body": {"type": "string"},
                "version_id": {"type": "integer"},
                "parent_id": {"type": ["integer", "null"]},
                "position": {"type": "integer"},
                "depth": {"type": "integer"},
            },
        },
        "Revision": {
            "allOf": [
                ref("RevisionSummary"),
                {
                    "type": "object",
                    "required": ["sections"],
                    "properties": {"sections": {"type": "array", "items": ref("Section")}},
                },
            ]
        },
        "SectionInput": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "section_id": nullable(
                    {"type": "integer", "description": "keeps the identity; none: a new section"}
                ),
                "key": {"type": "string", "maxLength": 32},
                "title": {"type": "string", "minLength": 1, "maxLength": 300},
                "body": {"type": "string"},
                "parent_key": {
                    "type": ["string", "null"],
                    "description": "defaults to the key without its last part",
                },
                "parent_section_id": {
                    "type": ["integer", "null"],
                    "description": "the parent by identity (wins over parent_key)",
                },
            },
        },
        "RevisionInput": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["markdown"],
                    "properties": {
                        "markdown": {"type": "string"},
                        "note": nullable({"type": "string"}),
                    },
                },
                {
                    "type": "object",
                    "required": ["sections"],
                    "properties": {
                        "base_revision_id": nullable({"type": "integer"}),
                        "sections": {"type": "array", "items": ref("SectionInput")},
                        "note": nullable({"type": "string"}),
                    },
                },
                {
                    "type": "object",
                    "required": ["base_revision_id"],
                    "description": "a new draft with the base's sections",
                    "properties": {
                        "base_revision_id": {"type": "integer"},
                        "note": nullable({"type": "string"}),
                    },
                },
            ]
        },
        "SectionsInput": {
            "type": "object",
            "required": ["sections"],
            "properties": {
                "sections": {"type": "array", "items": ref("SectionInput")},
                "note": nullable({"type": "string"}),
            },
        },
        "SectionEdit": {
            "type": "object",
            "required": ["base_version_id"],
            "properties": {
                "base_version_id": {
                    "type": "integer",
                    "description": "the version the edit started from",
                },
                "title": {"type": "string"},
                "body": {"type": "string"},
                "key": {"type": "string"},
            },
        },
        "Ops": {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "string", "enum": ["equal", "insert", "delete"]},
                    {"type": "string"},
                ],
                "minItems": 2,
                "maxItems": 2,
            },
        },
        "Diff": {
            "type": "object",
            "required": ["sections"],
            "properties": {
                "revision_id": {"type": "integer"},
                "against": {"type": "integer"},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "sections": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["section_id", "key", "title", "status", "ops"],
                        "properties": {
                            "section_id": {"type": "integer"},
                            "key": {"type": "string"},
                            "old_key": {"type": ["string", "null"]},
                            "title": {"type": "string"},
                            "status": {
                                "type": "string",
                                "enum": ["unchanged", "changed", "added", "removed", "moved"],
                            },
                            "moved": {"type": "boolean"},
                            "old_version_id": {"type": ["integer", "null"]},
                            "new_version_id": {"type": ["integer", "null"]},
                            "title_ops": ref("Ops"),
                            "ops": ref("Ops"),
                        },
                    },
                },
            },
        },
    }
)

PATHS.update(
    {
        "/consultations": {
            "get": operation(
                "Consultations the caller takes part in",
                tag="consultations",
                response={
                    "type": "object",
                    "properties": {
                        "consultations": {"type": "array", "items": ref("Consultation")}
                    },
                },
            ),
            "post": operation(
                "Create a consultation; the caller becomes its editor",
                ok=201,
                response=ref("Consultation"),
                body=ref("ConsultationInput"),
                errors=(400, 401, 403, 413, 422),
                tag="consultations",
            ),
        },
        "/consultations/{consultation_id}": {
            "get": operation(
                "One consultation with its revisions",
                response=ref("Consultation"),
                errors=(401, 404),
                params=[path_id("consultation_id")],
                tag="consultations",
            ),
        },
        "/consultations/{consultation_id}/members": {
            "get": operation(
                "Members and their roles",
                response={
                    "type": "object",
                    "properties": {"members": {"type": "array", "items": ref("Member")}},
                },
                errors=(401, 404),
                params=[path_id("consultation_id")],
                tag="consultations",
            ),
        },
        "/consultations/{consultation_id}/members/{user_id}": {
            "put": operation(
                "Give a user a role (editor)",
                response=ref("Member"),
                body=ref("MemberInput"),
                errors=(400, 401, 403, 404, 409, 422),
                params=[path_id("consultation_id"), path_id("user_id")],
                tag="consultations",
            ),
            "delete": {
                **operation(
                    "Remove a member (editor)",
                    errors=(401, 403, 404, 409),
                    params=[path_id("consultation_id"), path_id("user_id")],
                    tag="consultations",
                ),
                "responses": {
                    "204": {"description": "Removed"},
                    **error_responses(401, 403, 404, 409),
                },
            },
        },
        "/consultations/{consultation_id}/revisions": {
            "get": operation(
                "Revisions with change counts against their base",
                response={
                    "type": "object",
                    "properties": {"revisions": {"type": "array", "items": ref("RevisionSummary")}},
                },
                errors=(401, 404),
                params=[path_id("consultation_id")],
                tag="revisions",
            ),
            "post": operation(
                "Create a draft revision from Markdown, a section list, or a base revision",
                ok=201,
                response=ref("Revision"),
                body=ref("RevisionInput"),
                errors=(400, 401, 403, 404, 409, 413, 422),
                params=[path_id("consultation_id")],
                tag="revisions",
            ),
        },
        "/revisions/{revision_id}": {
            "get": operation(
                "A revision with its sections in reading order",
                response=ref("Revision"),
                errors=(401, 404),
                params=[path_id("revision_id")],
                tag="revisions",
            ),
        },
        "/revisions/{revision_id}/sections": {
            "put": operation(
                "Replace a draft's section list",
                response=ref("Revision"),
                body=ref("SectionsInput"),
                errors=(400, 401, 403, 404, 409, 413, 422),
                params=[path_id("revision_id")],
                tag="revisions",
            ),
        },
        "/revisions/{revision_id}/sections/{section_id}": {
            "patch": operation(
                "Edit one section of a draft; 409 stale_version carries the current text",
                response=ref("Section"),
                body=ref("SectionEdit"),
                errors=(400, 401, 403, 404, 409, 413, 422),
                params=[path_id("revision_id"), path_id("section_id")],
                tag="revisions",
            ),
        },
        "/revisions/{revision_id}/publish": {
            "post": operation(
                "Publish (freeze) a draft",
                response=ref("Revision"),
                errors=(401, 403, 404, 409),
                params=[path_id("revision_id")],
                tag="revisions",
            ),
        },
        "/revisions/{revision_id}/diff": {
            "get": operation(
                "Word-level diff from revision `against` to this one",
                response=ref("Diff"),
                errors=(401, 404, 422),
                params=[
                    path_id("revision_id"),
                    {
                        "name": "against",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                tag="revisions",
            ),
        },
    }
)

ANCHOR_IN = {
    "type": ["object", "null"],
    "required": ["start", "end", "quote"],
    "description": "Code points into the section body of the revision; quote == body[start:end].",
    "properties": {
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "quote": {"type": "string"},
    },
}
AUTHOR = {
    "type": "object",
    "required": ["id", "name", "organisation"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "organisation": {"type": ["string", "null"]},
    },
}

SCHEMAS.update(
    {
        "WorkingGroup": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "integer"},
                "consultation_id": {"type": "integer"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "section_ids": {"type": "array", "items": {"type": "integer"}},
                "member_ids": {"type": "array", "items": {"type": "integer"}},
            },
        },
        "WorkingGroupInput": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "description": nullable({"type": "string"}),
                "section_ids": nullable({"type": "array", "items": {"type": "integer"}}),
            },
        },
        "Round": {
            "type": "object",
            "required": ["id", "revision_id", "title", "opens_at", "closes_at", "status"],
            "properties": {
                "id": {"type": "integer"},
                "consultation_id": {"type": "integer"},
                "revision_id": {"type": "integer"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "opens_at": {"type": "string", "format": "date-time"},
                "closes_at": {"type": "string", "format": "date-time"},
                "closed_early_at": {"type": ["string", "null"], "format": "date-time"},
                "status": {"type": "string", "enum": ["scheduled", "open", "closed"]},
                "visibility": {"type": "string", "enum": ["editors", "group", "round"]},
                "working_group_ids": {"type": "array", "items": {"type": "integer"}},
                "municipalities": {"type": "boolean"},
                "extensions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "previous_closes_at": {"type": "string", "format": "date-time"},
                            "closes_at": {"type": "string", "format": "date-time"},
                            "reason": {"type": "string"},
                            "created_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
        },
        "RoundInput": {
            "type": "object",
            "required": ["revision_id", "title", "opens_at", "closes_at"],
            "properties": {
                "revision_id": {"type": "integer"},
                "title": {"type": "string", "minLength": 1, "maxLength": 300},
                "opens_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "without offset: Europe/Berlin",
                },
                "closes_at": {"type": "string", "format": "date-time"},
                "working_group_ids": nullable({"type": "array", "items": {"type": "integer"}}),
                "municipalities": nullable({"type": "boolean"}),
                "visibility": nullable({"type": "string", "enum": ["editors", "group", "round"]}),
                "description": nullable({"type": "string"}),
            },
        },
        "ExtendInput": {
            "type": "object",
            "required": ["closes_at", "reason"],
            "properties": {
                "closes_at": {"type": "string", "format": "date-time"},
                "reason": {"type": "string", "minLength": 1},
            },
        },
        "Reply": {
            "type": "object",
            "required": ["id", "author", "body"],
            "properties": {
                "id": {"type": "integer"},
                "author": AUTHOR,
                "body": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "Feedback": {
            "type": "object",
            "required": [
                "id",
                "section_id",
                "author",
                "body",
                "status",
                "origin_revision_id",
                "anchor",
            ],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["comment", "suggestion"]},
                "section_id": {"type": "integer"},
                "round_id": {"type": "integer"},
                "author": AUTHOR,
                "body": {"type": "string"},
                "status": {"type": "string"},
                "origin_revision_id": {"type": "integer"},
                "origin_anchor": {"type": ["object", "null"]},
                "anchor": {
                    "type": ["object", "null"],
                    "properties": {
                        "start": {"type": ["integer", "null"]},
                        "end": {"type": ["integer", "null"]},
                        "quote": {"type": ["string", "null"]},
                        "state": {
                            "type": "string",
                            "enum": ["exact", "moved", "fuzzy", "orphaned"],
                        },
                    },
                },
                "replacement": {"type": ["string", "null"]},
                "reason": {"type": "string"},
                "replies": {"type": "array", "items": ref("Reply")},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": ["string", "null"], "format": "date-time"},
                "withdrawn": {"type": "boolean"},
            },
        },
        "CommentInput": {
            "type": "object",
            "required": ["body", "anchor"],
            "properties": {
                "body": {"type": "string", "minLength": 1, "maxLength": 10000},
                "anchor": ANCHOR_IN,
            },
        },
        "SuggestionInput": {
            "type": "object",
            "required": ["anchor", "replacement"],
            "properties": {
                "anchor": {**ANCHOR_IN, "type": "object"},
                "replacement": {"type": "string", "maxLength": 10000},
                "reason": nullable({"type": "string", "maxLength": 10000}),
            },
        },
        "TextInput": {
            "type": "object",
            "required": ["body"],
            "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 10000}},
        },
        "SuggestionEdit": {
            "type": "object",
            "properties": {"replacement": {"type": "string"}, "reason": {"type": "string"}},
        },
        "FeedbackList": {
            "type": "object",
            "required": ["comments", "suggestions"],
            "properties": {
                "revision_id": {"type": "integer"},
                "comments": {"type": "array", "items": ref("Feedback")},
                "suggestions": {"type": "array", "items": ref("Feedback")},
            },
        },
        "DiffPreviewInput": {
            "type": "object",
            "required": ["old", "new"],
            "properties": {"old": {"type": "string"}, "new": {"type": "string"}},
        },
    }
)

_W = (400, 401, 403, 404, 409, 413, 422)


def _feedback_op(
    summary: str,
    params: list[str],
    *,
    body: str | None = None,
    ok: int = 200,
    response: str = "Feedback",
) -> dict[str, Any]:
    return operation(
        summary,
        ok=ok,
        response=ref(response),
        body=ref(body) if body else None,
        errors=_W if body else (401, 403, 404, 409),
        params=[path_id(p) for p in params],
        tag="feedback",
    )


PATHS.update(
    {
        "/consultations/{consultation_id}/working-groups": {
            "get": operation(
                "Working groups",
                tag="rounds",
                errors=(401, 404),
                params=[path_id("consultation_id")],
                response={
                    "type": "object",
                    "properties": {
                        "working_groups": {"type": "array", "items": ref("WorkingGroup")}
                    },
                },
            ),
            "post": operation(
                "Create a working group (editor)",
                ok=201,
                response=ref("WorkingGroup"),
                body=ref("WorkingGroupInput"),
                errors=_W,
                params=[path_id("consultation_id")],
                tag="rounds",
            ),
        },
        "/working-groups/{group_id}": {
            "put": operation(
                "Rename a working group, set its sections (editor)",
                response=ref("WorkingGroup"),
                body=ref("WorkingGroupInput"),
                errors=_W,
                params=[path_id("group_id")],
                tag="rounds",
            ),
        },
        "/consultations/{consultation_id}/rounds": {
            "get": operation(
                "Rounds the caller may see",
                tag="rounds",
                errors=(401, 404),
                params=[path_id("consultation_id")],
                response={
                    "type": "object",
                    "properties": {"rounds": {"type": "array", "items": ref("Round")}},
                },
            ),
            "post": operation(
                "Open a round on a published revision; invitations are e-mailed",
                ok=201,
                response=ref("Round"),
                body=ref("RoundInput"),
                errors=_W,
                params=[path_id("consultation_id")],
                tag="rounds",
            ),
        },
        "/rounds/{round_id}": {
            "get": operation(
                "One round",
                response=ref("Round"),
                errors=(401, 404),
                params=[path_id("round_id")],
                tag="rounds",
            ),
        },
        "/rounds/{round_id}/extend": {
            "post": operation(
                "Extend the deadline; the reason is kept",
                response=ref("Round"),
                body=ref("ExtendInput"),
                errors=_W,
                params=[path_id("round_id")],
                tag="rounds",
            ),
        },
        "/rounds/{round_id}/close": {
            "post": operation(
                "Close the round now",
                response=ref("Round"),
                errors=(401, 403, 404, 409),
                params=[path_id("round_id")],
                tag="rounds",
            ),
        },
        "/revisions/{revision_id}/sections/{section_id}/comments": {
            "post": _feedback_op(
                "Comment on a range (or anchor null: the whole section)",
                ["revision_id", "section_id"],
                body="CommentInput",
                ok=201,
            ),
        },
        "/revisions/{revision_id}/sections/{section_id}/suggestions": {
            "post": _feedback_op(
                "Propose a replacement of a range (insertion: start == end)",
                ["revision_id", "section_id"],
                body="SuggestionInput",
                ok=201,
            ),
        },
        "/revisions/{revision_id}/feedback": {
            "get": operation(
                "Visible comments and suggestions, located in this revision",
                response=ref("FeedbackList"),
                errors=(401, 404),
                params=[path_id("revision_id")],
                tag="feedback",
            ),
        },
        "/comments/{comment_id}": {
            "get": _feedback_op("One comment", ["comment_id"]),
            "patch": _feedback_op(
                "Edit one's comment (the old text is kept)", ["comment_id"], body="TextInput"
            ),
        },
        "/comments/{comment_id}/replies": {
            "post": _feedback_op(
                "Reply to a comment", ["comment_id"], body="TextInput", ok=201, response="Reply"
            ),
        },
        "/comments/{comment_id}/withdraw": {
            "post": _feedback_op("Withdraw one's comment", ["comment_id"]),
        },
        "/comments/{comment_id}/resolve": {
            "post": _feedback_op("Mark a comment thread resolved", ["comment_id"]),
        },
        "/comments/{comment_id}/reopen": {
            "post": _feedback_op("Reopen a resolved comment thread", ["comment_id"]),
        },
        "/suggestions/{suggestion_id}": {
            "get": _feedback_op("One suggestion", ["suggestion_id"]),
            "patch": _feedback_op(
                "Edit one's suggestion (the old text is kept)",
                ["suggestion_id"],
                body="SuggestionEdit",
            ),
        },
        "/suggestions/{suggestion_id}/withdraw": {
            "post": _feedback_op("Withdraw one's suggestion", ["suggestion_id"]),
        },
        "/diff-preview": {
            "post": operation(
                "Word-level ops from old to new (live preview)",
                body=ref("DiffPreviewInput"),
                response={"type": "object", "properties": {"ops": ref("Ops")}},
                errors=(400, 401, 413, 422),
                tag="feedback",
            ),
        },
    }
)


#: Every write takes these: a retry with the same key gets the first answer again.
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
    "content": {JSON: {"schema": ref("Error")}},
}
WRITES = ("post", "put", "patch", "delete")


def _with_write_conventions(paths: dict[str, Any]) -> dict[str, Any]:
    """Each write operation with the Idempotency-Key header and the 503 answer."""
    result: dict[str, Any] = {}
    for path, item in paths.items():
        result[path] = dict(item)
        for method in WRITES:
            if method not in item:
                continue
            op = dict(item[method])
            op["parameters"] = [*op.get("parameters", []), IDEMPOTENCY_KEY]
            responses = dict(op["responses"])
            responses.setdefault("422", error_responses(422)["422"])
            responses["503"] = BUSY
            op["responses"] = responses
            result[path][method] = op
    return result


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
        "paths": _with_write_conventions(PATHS),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return document()
