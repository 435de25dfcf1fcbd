"""Consultations, members, revisions, sections and diffs: what the API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, StrictBool, StrictStr

from consult.models import Role
from consult.schemas.common import (
    Description,
    Function,
    Id,
    Markdown,
    Model,
    Note,
    Ops,
    SectionBody,
    SectionKey,
    Title,
    one_of,
)

ROLES = [r.value for r in Role]
STATUSES = Literal["draft", "published", "superseded"]
CHANGE_STATUSES = Literal["unchanged", "changed", "added", "removed", "moved"]


# --- in ----------------------------------------------------------------------------------


class ConsultationInput(Model):
    title: Title
    description: Description | None = None


class MemberInput(Model):
    #: One of ROLES; an unknown role is 422 ``invalid_role`` (checked by the service).
    role: StrictStr = Field(json_schema_extra=one_of(ROLES))
    working_group_ids: list[Id] | None = None
    signatory: StrictBool | None = Field(
        None,
        description="role municipality: false makes them drafting staff who cannot submit a "
        "statement themselves (default true: mayor or deputy); null keeps what was set",
    )
    signatory_function: Function | None = Field(
        None, description="the signatory's function, e.g. Bürgermeisterin ('' clears it)"
    )


class SectionInput(Model):
    """One section of a section list (API.md, Revisions)."""

    section_id: Id | None = Field(None, description="keeps the identity; none: a new section")
    key: SectionKey = ""
    title: Title
    body: SectionBody = ""
    parent_key: SectionKey | None = Field(
        None, description="defaults to the key without its last part"
    )
    parent_section_id: Id | None = Field(
        None, description="the parent by identity (wins over parent_key)"
    )


class RevisionInput(Model):
    """A new draft from Markdown, from a section list, or as a copy of a base revision."""

    field_codes: ClassVar[dict[str, str]] = {"sections": "invalid_sections"}

    markdown: Markdown | None = None
    sections: Annotated[list[SectionInput], Field(max_length=2000)] | None = None
    base_revision_id: Id | None = None
    note: Note | None = None


class SectionsInput(Model):
    field_codes: ClassVar[dict[str, str]] = {"sections": "invalid_sections"}

    sections: Annotated[list[SectionInput], Field(max_length=2000)]
    note: Note | None = None


class SectionEdit(Model):
    base_version_id: Id = Field(description="the version the edit started from")
    title: Title | None = None
    body: SectionBody | None = None
    key: SectionKey | None = None


# --- out ---------------------------------------------------------------------------------


class RevisionSummary(BaseModel):
    id: int
    consultation_id: int
    number: int
    status: STATUSES
    note: str
    author_id: int | None
    base_revision_id: int | None
    created_at: datetime
    published_at: datetime | None
    compared_to_id: int | None = Field(None, description="in lists: what the counts compare")
    counts: dict[str, int] | None = Field(None, description="in lists: changes per status")


class Consultation(BaseModel):
    id: int
    title: str
    description: str
    created_at: datetime
    latest_revision_id: int | None
    revisions: list[RevisionSummary] | None = Field(None, description="when one is asked for")


class ConsultationList(BaseModel):
    consultations: list[Consultation]


class Member(BaseModel):
    consultation_id: int
    user_id: int
    name: str
    organisation: str | None
    role: str = Field(json_schema_extra=one_of(ROLES))
    working_group_ids: list[int]
    signatory: bool | None = Field(
        None, description="role municipality: signs statements (false: drafting staff)"
    )
    signatory_function: str | None = None


class MemberList(BaseModel):
    members: list[Member]


class Section(BaseModel):
    section_id: int
    key: str
    title: str
    body: str
    version_id: int
    parent_id: int | None
    position: int
    depth: int


class Revision(RevisionSummary):
    sections: list[Section]


class RevisionList(BaseModel):
    revisions: list[RevisionSummary]


class SectionDiff(BaseModel):
    section_id: int
    key: str
    old_key: str | None
    title: str
    status: CHANGE_STATUSES
    moved: bool
    old_version_id: int | None
    new_version_id: int | None
    title_ops: Ops
    ops: Ops


class Diff(BaseModel):
    revision_id: int
    against: int
    counts: dict[str, int]
    sections: list[SectionDiff]


class DiffQuery(Model):
    against: Id = Field(description="the revision compared from")
