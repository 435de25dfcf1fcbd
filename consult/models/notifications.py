"""Notification settings per person and kind, and the items waiting for a daily digest.

A person without a row for a kind gets that kind immediately (the default). The kind
``reply`` also follows ``users.notify_replies`` (off there means off; see
services.notification_settings).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, UTCDateTime, utcnow


class NotificationKind(enum.StrEnum):
    """What an e-mail is about, as a person chooses how to get it."""

    INVITATION = "invitation"
    DEADLINE_REMINDER = "deadline_reminder"
    REPLY = "reply"
    DECISIONS = "decisions"
    REVISION = "revision"
    STATEMENT = "statement"


class NotificationMode(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    OFF = "off"


class NotificationSetting(Base):
    """How one person wants one kind of e-mail (absent: immediately)."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_settings_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestItem(Base):
    """An e-mail held back for a person's daily digest (sent by
    ``flask --app consult notifications digest``)."""

    __tablename__ = "notification_digest_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: The consultation it is about (digests group by it); None for none.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set once the digest that carries it is queued in the outbox.
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
