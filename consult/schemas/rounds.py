"""Working groups and rounds: what the API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool, StrictStr

from consult.schemas.common import (
    GroupDescription,
    Id,
    Model,
    Name,
    Reason,
    RoundDescription,
    Title,
    one_of,
)

VISIBILITIES = ["editors", "group", "round"]


class WorkingGroupInput(Model):
    name: Name
    description: GroupDescription | None = None
    section_ids: list[Id] | None = None


class RoundInput(Model):
    revision_id: Id
    title: Title
    opens_at: StrictStr = Field(
        json_schema_extra={"format": "date-time"}, description="without offset: Europe/Berlin"
    )
    closes_at: StrictStr = Field(json_schema_extra={"format": "date-time"})
    working_group_ids: list[Id] | None = None
    municipalities: StrictBool | None = None
    #: One of VISIBILITIES (checked by the service: 422 ``invalid_visibility``).
    visibility: StrictStr | None = Field(None, json_schema_extra=one_of(VISIBILITIES))
    description: RoundDescription | None = None


class ExtendInput(Model):
    closes_at: StrictStr = Field(json_schema_extra={"format": "date-time"})
    reason: Reason


class ReopenInput(Model):
    """Open a closed round again until ``closes_at``, with the reason shown in its history."""

    closes_at: StrictStr = Field(
        json_schema_extra={"format": "date-time"}, description="without offset: Europe/Berlin"
    )
    reason: Reason


class WorkingGroup(BaseModel):
    id: int
    consultation_id: int
    name: str
    description: str
    section_ids: list[int]
    member_ids: list[int]


class WorkingGroupList(BaseModel):
    working_groups: list[WorkingGroup]


class Extension(BaseModel):
    #: "reopening": a closed round opened again (previous_closes_at: when it had closed).
    kind: Literal["extension", "reopening"]
    previous_closes_at: datetime
    closes_at: datetime
    reason: str
    created_at: datetime


class Round(BaseModel):
    id: int
    consultation_id: int
    revision_id: int
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    closed_early_at: datetime | None
    status: Literal["scheduled", "open", "closed"]
    visibility: Literal["editors", "group", "round"]
    working_group_ids: list[int]
    municipalities: bool
    extensions: list[Extension]


class RoundList(BaseModel):
    rounds: list[Round]
