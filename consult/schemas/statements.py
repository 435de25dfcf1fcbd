"""Statements of the municipalities: what the API takes and gives (API.md, Statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, RootModel, StrictBool, StrictInt, StrictStr

from consult.models import PAPER_CHANNELS, StatementPosition
from consult.schemas.common import (
    Comment,
    Function,
    Id,
    Model,
    Ops,
    Reason,
    ReceiptNumber,
    StatementBody,
    one_of,
)
from consult.schemas.feedback import AnchorInput

POSITIONS = [p.value for p in StatementPosition]
CHANNELS = [c.value for c in PAPER_CHANNELS]
STATUSES = Literal["submitted", "draft", "returned", "pending", "overdue"]
DateTime = Annotated[StrictStr, Field(json_schema_extra={"format": "date-time"})]


class RemarkInput(Model):
    field_codes: ClassVar[dict[str, str]] = {"anchor": "invalid_anchor"}

    section_id: Id
    body: Comment
    anchor: AnchorInput | None = Field(None, description="null: the whole section")


class StatementInput(Model):
    """Submit (a signatory), save a draft (``draft: true``), or record one received on
    paper (an editor, with ``channel``)."""

    field_codes: ClassVar[dict[str, str]] = {"section_remarks": "invalid_section_remarks"}

    organisation_id: Id = Field(description="the municipality")
    #: One of POSITIONS (checked by the service: 422 ``invalid_position``).
    position: StrictStr | None = Field(
        None, json_schema_extra=one_of(POSITIONS), description="required but for drafts"
    )
    body: StatementBody | None = Field(
        None, description="required for a rejection; a consent without any says 'keine Bedenken'"
    )
    signatory: Function | None = Field(
        None, description="who signs (name); default: the submitting signatory"
    )
    signatory_function: Function | None = Field(
        None, description="e.g. Bürgermeisterin; default: the signatory member's function"
    )
    section_remarks: Annotated[list[RemarkInput], Field(max_length=200)] | None = None
    draft: StrictBool | None = Field(None, description="true: save a draft, not a version")
    draft_revision: StrictInt | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="the draft_revision the writer started from (a newer one: 409 stale_draft)",
    )
    #: Paper intake: one of CHANNELS (checked by the service: 422 ``invalid_channel``).
    channel: StrictStr | None = Field(
        None,
        json_schema_extra=one_of(CHANNELS),
        description="editors: record a statement received by letter, e-mail, fax or in person",
    )
    received_at: DateTime | None = Field(
        None,
        description="paper intake: when it was received (default now; counts for the deadline)",
    )
    receipt_number: ReceiptNumber | None = Field(None, description="paper intake: Eingangsnummer")


class NoObjectionsInput(Model):
    organisation_id: Id
    signatory: Function | None = None
    signatory_function: Function | None = None


class ReleaseInput(Model):
    draft_revision: StrictInt | None = Field(None, ge=0, le=2**31 - 1)


class ReturnInput(Model):
    reason: Reason
    draft_revision: StrictInt | None = Field(None, ge=0, le=2**31 - 1)


class ExtensionInput(Model):
    organisation_id: Id
    closes_at: DateTime = Field(description="without offset: Europe/Berlin")
    reason: Reason


# --- out ----------------------------------------------------------------------------------


class Person(BaseModel):
    id: int
    name: str


class RemarkOut(BaseModel):
    section_id: int
    section_key: str
    section_title: str
    body: str
    anchor: dict[str, int | str | None] | None = Field(description="{start, end, quote}")
    feedback_id: int | None = Field(None, description="the item it became (versions)")
    status: str | None = Field(None, description="open, resolved or superseded (versions)")


class AttachmentOut(BaseModel):
    id: int
    statement_id: int
    name: str = Field(description="the uploaded name, made safe")
    mime_type: str
    size: int
    sha512: str
    pages: int
    in_draft: bool
    uploaded_at: datetime
    url: str = Field(description="the download (API)")


class VersionSummary(BaseModel):
    number: int
    position: str = Field(json_schema_extra=one_of(POSITIONS))
    signatory: str
    signatory_function: str
    channel: str
    received_at: datetime
    submitted_at: datetime
    receipt_number: str | None
    submitted_by: Person | None
    recorded_by: Person | None = Field(description="set when an editor recorded it from paper")
    recorded_by_editor: bool


class Version(VersionSummary):
    statement_id: int
    organisation_id: int
    body: str
    section_remarks: list[RemarkOut]
    attachments: list[AttachmentOut]


class Draft(BaseModel):
    position: str | None
    body: str
    signatory: str
    signatory_function: str
    section_remarks: list[RemarkOut]
    attachments: list[AttachmentOut]
    drafted_by: Person | None
    drafted_at: datetime | None
    draft_revision: int
    returned_reason: str | None
    returned_by: Person | None
    returned_at: datetime | None


class Statement(BaseModel):
    id: int
    round_id: int
    organisation_id: int
    organisation: str
    status: Literal["draft", "returned", "submitted"]
    version: int | None = Field(description="the current version's number (null: none yet)")
    position: str | None = Field(description="the current version's")
    body: str | None
    signatory: str | None
    signatory_function: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    channel: str | None
    recorded_by_editor: bool
    deadline: datetime = Field(description="the municipality's (its extension included)")
    versions: list[VersionSummary]
    draft: Draft | None = Field(description="the municipality's own members only")


class StatementList(BaseModel):
    round_id: int
    statements: list[Statement]


class VersionDiff(BaseModel):
    statement_id: int
    old: int
    new: int
    old_position: str
    new_position: str
    position_changed: bool
    ops: Ops = Field(description="word-level ops of the body, from old to new")
    old_signatory: str
    new_signatory: str
    old_section_remarks: list[RemarkOut]
    new_section_remarks: list[RemarkOut]


class StatusRow(BaseModel):
    organisation_id: int
    name: str
    status: STATUSES
    position: str | None = None
    submitted_at: datetime | None = None


class StatusList(RootModel[list[StatusRow]]):
    """One row per invited municipality (API.md)."""


class ExtensionOut(BaseModel):
    id: int
    round_id: int
    organisation_id: int
    previous_closes_at: datetime
    closes_at: datetime
    reason: str
    created_by: Person | None
    created_at: datetime


class ExtensionList(BaseModel):
    extensions: list[ExtensionOut]


class BoardRow(BaseModel):
    organisation_id: int
    name: str
    status: STATUSES
    statement_id: int | None
    version: int | None
    position: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    channel: str | None
    recorded_by_editor: bool
    receipt_number: str | None
    has_draft: bool = Field(description="a draft newer than the current version exists")
    deadline: datetime
    extension: ExtensionOut | None
    reminded_at: datetime | None
    members: int = Field(description="its members in the consultation (0: nobody to e-mail)")


class Board(BaseModel):
    round_id: int
    closes_at: datetime
    published_at: datetime | None
    rows: list[BoardRow]
    positions: dict[str, int] = Field(description="current versions per position (chart)")
    statuses: dict[str, int]


class Reminded(BaseModel):
    reminded: list[int] = Field(description="municipalities e-mailed now")
    already_reminded: list[int] = Field(description="reminded of this deadline before")
    without_members: list[int] = Field(description="nobody to e-mail")
    mails: int
