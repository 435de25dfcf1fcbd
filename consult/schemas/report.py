"""The procedure report of a round (API.md, Exports): what the API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from consult.schemas.common import Model, ReportBody


class ReportInput(Model):
    """The editors' own text of the report (replaces the generated one until deleted)."""

    body: ReportBody = Field(description="plain text; paragraphs separated by a blank line")
    base_version: str | None = Field(
        default=None,
        pattern=r"^(generated|[0-9a-f]{20})$",
        description="the `version` the edit started from; another save meanwhile: 409 "
        "`stale_version` with the current `{version, body}`, nothing saved (absent: no check)",
    )


class ReportEditor(BaseModel):
    id: int
    name: str


class Report(BaseModel):
    body: str = Field(description="the report as it goes to the council")
    edited: bool = Field(description="true: an editor's own text; false: generated")
    generated: str = Field(description="the text generated from the records (reproducible)")
    edited_by: ReportEditor | None = Field(description="who saved the text (null: generated)")
    edited_at: datetime | None
    version: str = Field(description="name it as `base_version` when saving an edit of this text")
