"""The committee package's jobs: what the API gives (beyond API.md; see the README)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PackageFileOut(BaseModel):
    path: str = Field(description="the file's path inside the ZIP")
    size: int


class PackageJobOut(BaseModel):
    """A job that builds a round's committee package (poll it until done or failed)."""

    id: int
    round_id: int
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(description="0 to 100")
    step: str = Field(description="what is being done now (German)")
    error: str | None = Field(description="why it failed (German), else null")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    file_name: str | None
    size: int | None = Field(description="bytes of the ZIP, once done")
    sha512: str | None
    files: list[PackageFileOut] = Field(description="what the ZIP holds, once done")
    url: str = Field(description="this job (API)")
    file_url: str | None = Field(description="the ZIP (API), once done")
