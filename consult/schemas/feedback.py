"""Comments, suggestions and replies: what the API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field, StrictInt

from consult.schemas.common import Comment, Model, Ops, Quote, Replacement

ANCHOR_STATES = Literal["exact", "moved", "fuzzy", "orphaned"]


class AnchorInput(Model):
    """Code points into the section body of the revision; ``quote == body[start:end]``."""

    start: StrictInt = Field(json_schema_extra={"minimum": 0})
    end: StrictInt = Field(json_schema_extra={"minimum": 0})
    quote: Quote


class CommentInput(Model):
    field_codes: ClassVar[dict[str, str]] = {"anchor": "invalid_anchor"}

    body: Comment
    #: None: the whole section.
    anchor: AnchorInput | None = Field(description="null: the whole section")


class SuggestionInput(Model):
    field_codes: ClassVar[dict[str, str]] = {"anchor": "invalid_anchor"}

    anchor: AnchorInput
    replacement: Replacement
    reason: Replacement | None = None


class TextInput(Model):
    body: Comment


class SuggestionEdit(Model):
    replacement: Replacement | None = None
    reason: Replacement | None = None


class DiffPreviewInput(Model):
    field_labels: ClassVar[dict[str, Any]] = {
        "old": _l("Der bisherige Text"),
        "new": _l("Der neue Text"),
    }

    old: Replacement
    new: Replacement


class Author(BaseModel):
    id: int
    name: str
    organisation: str | None


class Reply(BaseModel):
    id: int
    author: Author
    body: str
    created_at: datetime


class AnchorOut(BaseModel):
    start: int | None
    end: int | None
    quote: str | None
    state: ANCHOR_STATES


class OriginAnchor(BaseModel):
    start: int
    end: int
    quote: str | None


class Feedback(BaseModel):
    id: int
    kind: Literal["comment", "suggestion", "remark"]
    section_id: int
    round_id: int
    author: Author
    body: str
    status: str
    origin_revision_id: int
    origin_anchor: OriginAnchor | None
    anchor: AnchorOut | None
    created_at: datetime
    updated_at: datetime | None
    withdrawn: bool
    replacement: str | None = Field(None, description="suggestions")
    reason: str | None = Field(None, description="suggestions: the same as body")
    replies: list[Reply] = Field(description="the thread's answers (comments and suggestions)")
    decision: str | None = Field(
        None, description="the editors' decision, once visible to the caller (published)"
    )
    response: str | None = Field(None, description="the editors' response with the decision")


class FeedbackList(BaseModel):
    revision_id: int
    comments: list[Feedback]
    suggestions: list[Feedback]
    remarks: list[Feedback] = Field(
        default_factory=list,
        description="section remarks of municipalities' statements (kind remark), as the "
        "statements' visibility allows",
    )


class DiffPreview(BaseModel):
    ops: Ops
    html: str | None = None
