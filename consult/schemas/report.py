"""The procedure report of a round (API.md, Exports): what the API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from consult.schemas.common import Model, ReportBody


class ReportInput(Model):
    """The editors' own text of the report (replaces the generated one until deleted)."""

    body: ReportBody = Field(description="plain text; paragraphs separated by a blank line")


class ReportEditor(BaseModel):
    id: int
    name: str


class Report(BaseModel):
    body: str = Field(description="the report as it goes to the council")
    edited: bool = Field(description="true: an editor's own text; false: generated")
    generated: str = Field(description="the text generated from the records (reproducible)")
    edited_by: ReportEditor | None = Field(description="who saved the text (null: generated)")
    edited_at: datetime | None
