"""Personal data: what the API gives (services.privacy, services.privacy_data)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class MyData(BaseModel):
    """Everything stored about the caller (Art. 15 DSGVO)."""

    format_version: int
    generated_at: str
    account: dict[str, Any]
    memberships: list[dict[str, Any]]
    working_groups: list[dict[str, Any]]
    feedback: list[dict[str, Any]] = Field(
        description="Comments, suggestions and statement remarks the caller wrote, each with "
        "its replies and the decision on it once the editors published it."
    )
    rounds: dict[str, str] = Field(description="Titles of the rounds the feedback belongs to.")
    replies: list[dict[str, Any]] = Field(description="Replies on other people's feedback.")
    statements: dict[str, list[dict[str, Any]]]
    emails: list[dict[str, Any]] = Field(description="E-mails sent (or waiting) to the caller.")
    api_tokens: list[dict[str, Any]] = Field(description="Names and dates, never the token.")
    logins: dict[str, Any]


class ErasureAccepted(BaseModel):
    status: str = Field(description='"erased": the account is anonymised and signed out.')
    erased_at: str
