"""Notification settings in the API (services.notification_settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from consult.schemas.common import Model

Mode = Literal["immediately", "digest", "off"]

_HOW = '"immediately", "digest" (once a day, grouped by consultation) or "off"'


class NotificationSettings(BaseModel):
    """How the caller gets each kind of e-mail."""

    invitation: Mode = Field(description=f"Invited to a round: {_HOW}.")
    deadline_reminder: Mode = Field(description=f"3 days and 1 day before a deadline: {_HOW}.")
    reply: Mode = Field(description=f"A reply to the caller's feedback: {_HOW}.")
    decisions: Mode = Field(description=f"Decisions on the caller's feedback published: {_HOW}.")
    revision: Mode = Field(description=f"A new revision published: {_HOW}.")
    statement: Mode = Field(description=f"A statement due or returned (municipalities): {_HOW}.")


class NotificationSettingsInput(Model):
    """The kinds to change (others stay as they are)."""

    invitation: Mode | None = None
    deadline_reminder: Mode | None = None
    reply: Mode | None = None
    decisions: Mode | None = None
    revision: Mode | None = None
    statement: Mode | None = None
