"""Full-text search (API.md, "Search, audit, personal data"): what the API gives."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SearchResult(BaseModel):
    type: str = Field(description="section, comment, suggestion or statement")
    id: int = Field(description="the section, the comment or suggestion, or the statement")
    consultation_id: int
    revision_id: int | None = Field(
        None, description="sections: the revision searched; feedback: the one it was given on"
    )
    section_id: int | None = None
    title: str | None = Field(
        None, description="sections: key and title; feedback: its section; statements: whose"
    )
    snippet: str = Field(description="escaped text around the hits, each in <mark>…</mark>")
    round_id: int | None = None
    organisation_id: int | None = None
    author: str | None = Field(None, description="feedback: who wrote it")
    organisation: str | None = None
    withdrawn: bool = Field(False, description="feedback withdrawn (its author, editors)")
    version: int | None = Field(None, description="statements: the version found (the latest)")
    rank: float = Field(description="higher is better; a title hit ranks above a text hit")


class SearchResults(BaseModel):
    query: str
    results: list[SearchResult]
    total: int = Field(description="all results with the filters (every page)")
    counts: dict[str, int] = Field(description="results by type (the filters but the type)")
    offset: int
    limit: int
    message: str | None = Field(None, description="why nothing was searched (query too short)")
