"""The outbox: every e-mail is queued here first, so a failing server loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Delivery attempts so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Earliest time of the next attempt (backs off after failures).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: Set when retries are exhausted; an admin can requeue.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A deliverer claimed the message until then (sending it); another may take it
    #: over after that (the deliverer died midway).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which deliverer claimed it (only that one marks it sent).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    #: One-click unsubscribe link of a notification (List-Unsubscribe, RFC 8058).
    unsubscribe_url: Mapped[str | None] = mapped_column(String(1000))
    #: The HTML part beside the plain text, if any.
    body_html: Mapped[str | None] = mapped_column(Text)


class OutboxAttachment(Base):
    """A file sent with an outbox message (a statement's confirmation carries its copy)."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
