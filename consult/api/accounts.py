"""Organisations and users."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.registry import operation
from consult.db import get_session
from consult.models import Organisation, User
from consult.schemas import accounts as schemas
from consult.services import access, accounts, organisations

WRITE_ERRORS = (400, 401, 403, 409, 413, 422)


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
@operation("List organisations", tag="accounts", response=schemas.OrganisationList)
def list_organisations() -> ResponseReturnValue:
    items = organisations.list_organisations(get_session(), actor=api_user())
    return {"organisations": [organisation_json(o) for o in items]}


@bp.post("/organisations")
@operation(
    "Create an organisation (admin)",
    tag="accounts",
    status=201,
    body=schemas.OrganisationInput,
    response=schemas.Organisation,
    errors=WRITE_ERRORS,
)
def create_organisation(body: schemas.OrganisationInput) -> ResponseReturnValue:
    org = organisations.create_organisation(
        get_session(), actor=api_user(), name=body.name, kind=body.kind
    )
    return organisation_json(org), 201


@bp.get("/organisations/<int:organisation_id>")
@operation(
    "One organisation",
    tag="accounts",
    response=schemas.Organisation,
    errors=(401, 403, 404),
)
def get_organisation(organisation_id: int) -> ResponseReturnValue:
    return organisation_json(
        access.get_organisation(get_session(), organisation_id, actor=api_user())
    )


@bp.get("/users")
@operation("List users (admin)", tag="accounts", response=schemas.UserList)
def list_users() -> ResponseReturnValue:
    return {"users": [user_json(u) for u in accounts.list_users(get_session(), actor=api_user())]}


@bp.post("/users")
@operation(
    "Create a user (admin); without password an invitation is sent",
    tag="accounts",
    status=201,
    body=schemas.UserInput,
    response=schemas.User,
    errors=WRITE_ERRORS,
)
def create_user(body: schemas.UserInput) -> ResponseReturnValue:
    created = accounts.create_user(
        get_session(),
        actor=api_user(),
        email=body.email,
        name=body.name,
        organisation_id=body.organisation_id,
        password=body.password,
        is_admin=bool(body.is_admin),
    )
    result = user_json(created.user)
    result["invited"] = created.invitation_token is not None
    return result, 201


@bp.get("/users/<int:user_id>")
@operation("One user (admin)", tag="accounts", response=schemas.User, errors=(401, 403, 404))
def get_user(user_id: int) -> ResponseReturnValue:
    return user_json(access.get_user(get_session(), user_id, actor=api_user()))


@bp.get("/me")
@operation("The token's user", tag="accounts", response=schemas.User, errors=(401,))
def me() -> ResponseReturnValue:
    return user_json(api_user())
