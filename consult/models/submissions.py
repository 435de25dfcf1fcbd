"""Writes already answered: a form sent twice, an API request retried, is done once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, UTCDateTime, utcnow


class Submission(Base):
    """One write request and the answer it got (see consult.idempotency).

    A repeat of the same request (the same form as rendered once, sent again by a
    double click or a resend; an API request with the same ``Idempotency-Key``) is
    answered from here instead of being carried out again.
    """

    __tablename__ = "submissions"

    #: SHA-256 (hex) of who sent what where: see consult.idempotency.request_key.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: SHA-256 (hex) of the request body (an Idempotency-Key reused for another body is
    #: refused).
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The answer: status, Location header, JSON body (API), flashed messages (JSON).
    status: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    flashes: Mapped[str | None] = mapped_column(Text)
