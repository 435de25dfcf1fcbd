"""Organisations and users: what the API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool

from consult.models import OrganisationKind
from consult.schemas.common import Email, Id, Model, Name, Password, one_of

#: The kinds of organisation (API.md).
KINDS = [k.value for k in OrganisationKind]


class OrganisationInput(Model):
    name: Name
    #: One of KINDS; an unknown kind is 422 ``invalid_kind`` (checked by the service).
    kind: str = Field(json_schema_extra=one_of(KINDS))


class UserInput(Model):
    email: Email = Field(json_schema_extra={"format": "email"})
    name: Name
    organisation_id: Id | None = None
    password: Password | None = Field(
        None, description="Without a password an invitation e-mail is sent."
    )
    is_admin: StrictBool | None = None


class Organisation(BaseModel):
    id: int
    name: str
    kind: str = Field(json_schema_extra=one_of(KINDS))
    is_active: bool


class OrganisationList(BaseModel):
    organisations: list[Organisation]


class User(BaseModel):
    id: int
    email: str = Field(json_schema_extra={"format": "email"})
    name: str
    organisation_id: int | None
    is_admin: bool
    is_active: bool
    created_at: datetime
    invited: bool | None = Field(None, description="Only when created: an invitation went out.")


class UserList(BaseModel):
    users: list[User]
