"""The audit log in the API (API.md, "Search, audit, personal data")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, RootModel


class AuditActor(BaseModel):
    #: None when the account no longer exists (the name was copied when it acted).
    id: int | None
    name: str


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: AuditActor
    #: A stable code such as ``round.opened`` or ``export.responses``.
    action: str
    object_type: str
    object_id: int | None
    details: dict[str, Any]


class AuditList(RootModel[list[AuditEntry]]):
    """Newest first (API.md)."""
