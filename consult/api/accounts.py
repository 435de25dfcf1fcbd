"""Organisations and users."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp, field, json_body
from consult.db import get_session
from consult.models import Organisation, User
from consult.services import accounts


def organisation_json(org: Organisation) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "kind": org.kind, "is_active": org.is_active}


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "organisation_id": user.organisation_id,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat(),
    }


@bp.get("/organisations")
def list_organisations() -> ResponseReturnValue:
    items = accounts.list_organisations(get_session(), actor=api_user())
    return {"organisations": [organisation_json(o) for o in items]}


@bp.post("/organisations")
def create_organisation() -> ResponseReturnValue:
    body = json_body()
    org = accounts.create_organisation(
        get_session(),
        actor=api_user(),
        name=field(body, "name", str),
        kind=field(body, "kind", str),
    )
    return organisation_json(org), 201


@bp.get("/organisations/<int:organisation_id>")
def get_organisation(organisation_id: int) -> ResponseReturnValue:
    return organisation_json(
        accounts.get_organisation(get_session(), organisation_id, actor=api_user())
    )


@bp.get("/users")
def list_users() -> ResponseReturnValue:
    return {"users": [user_json(u) for u in accounts.list_users(get_session(), actor=api_user())]}


@bp.post("/users")
def create_user() -> ResponseReturnValue:
    body = json_body()
    created = accounts.create_user(
        get_session(),
        actor=api_user(),
        email=field(body, "email", str),
        name=field(body, "name", str),
        organisation_id=field(body, "organisation_id", int, required=False),
        password=field(body, "password", str, required=False),
        is_admin=field(body, "is_admin", bool, required=False, default=False),
    )
    result = user_json(created.user)
    result["invited"] = created.invitation_token is not None
    return result, 201


@bp.get("/users/<int:user_id>")
def get_user(user_id: int) -> ResponseReturnValue:
    return user_json(accounts.get_user(get_session(), user_id, actor=api_user()))


@bp.get("/me")
def me() -> ResponseReturnValue:
    return user_json(api_user())
