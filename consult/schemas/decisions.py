"""Decisions, merges, assignments, snippets and publications: what the API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, StrictStr

from consult.schemas.common import (
    Comment,
    Id,
    Model,
    Name,
    Note,
    Replacement,
    Response,
    SectionBody,
    one_of,
)

COMMENT_DECISIONS = ["considered", "partly_considered", "not_considered", "noted"]
SUGGESTION_DECISIONS = ["accept", "reject", "accept_modified"]


class CommentDecisionInput(Model):
    #: One of COMMENT_DECISIONS (checked by the service: 422 ``invalid_decision``).
    decision: StrictStr = Field(json_schema_extra=one_of(COMMENT_DECISIONS))
    response: Response = Field(description="required (the administration's response)")
    snippet_id: Id | None = Field(None, description="a response snippet used (counted)")


class SuggestionDecisionInput(Model):
    #: One of SUGGESTION_DECISIONS (checked by the service: 422 ``invalid_decision``).
    decision: StrictStr = Field(json_schema_extra=one_of(SUGGESTION_DECISIONS))
    response: Response | None = Field(None, description="required but for accept")
    replacement: Replacement | None = Field(None, description="accept_modified: the text")
    snippet_id: Id | None = None


class SectionEditInput(Model):
    section_id: Id
    body: SectionBody


class MergeInput(Model):
    field_codes: ClassVar[dict[str, str]] = {"edits": "invalid_edits"}

    note: Note = Field(description="what the new revision changes (required)")
    edits: list[SectionEditInput] | None = None


class AssignInput(Model):
    feedback_ids: list[Id] = Field(min_length=1, max_length=5000)
    assignee_id: Id | None = Field(description="an editor of the consultation; null: nobody")


class SnippetInput(Model):
    title: Name
    body: Comment


class Decision(BaseModel):
    feedback_id: int
    decision: str | None
    response: str
    replacement: str | None
    decided_by: int | None
    decided_at: datetime | None
    assignee_id: int | None
    applied_revision_id: int | None


class DecisionStep(BaseModel):
    decision: str | None
    response: str
    replacement: str | None
    decided_by: int
    decided_at: datetime


class DecisionHistory(BaseModel):
    feedback_id: int
    history: list[DecisionStep]


class Assigned(BaseModel):
    assigned: int


class Snippet(BaseModel):
    id: int
    title: str
    body: str
    uses: int


class SnippetList(BaseModel):
    snippets: list[Snippet]


class ProvenanceRange(BaseModel):
    start: int
    end: int
    suggestion_id: int | None = Field(description="null: the editor's own change")
    editor_id: int


class SectionProvenance(BaseModel):
    section_id: int
    version_id: int
    ranges: list[ProvenanceRange]


class Provenance(BaseModel):
    revision_id: int
    sections: list[SectionProvenance]


class MergeSectionPreview(BaseModel):
    section_id: int
    body: str
    ranges: list[ProvenanceRange]


class MergePreview(BaseModel):
    base_revision_id: int
    applied_suggestion_ids: list[int]
    sections: list[MergeSectionPreview]


class Publication(BaseModel):
    round_id: int
    kind: Literal["decisions", "responses"]
    published_at: datetime
    published_by: int


class ResponseTableRow(BaseModel):
    number: int
    feedback_id: int
    kind: Literal["comment", "suggestion", "remark"]
    section_id: int
    section_key: str
    section_title: str
    organisation: str | None
    author: str | None = Field(description="null when names are left out (?names=0)")
    quote: str | None
    text: str = Field(description="the comment or the suggestion's reason ('' with ?text=0)")
    replacement: str | None
    decision: str | None
    response: str
    accepted_text: str | None = Field(description="accept_modified: the editor's text")
    status: str
    created_at: datetime


class ResponseTable(BaseModel):
    round_id: int
    consultation_id: int
    published_at: datetime | None
    rows: list[ResponseTableRow]
