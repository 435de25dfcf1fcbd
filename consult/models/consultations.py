"""Consultations and the per-consultation roles of their members."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import User


class Role(enum.StrEnum):
    EDITOR = "editor"
    PARTICIPANT = "participant"
    MUNICIPALITY = "municipality"
    OBSERVER = "observer"


class Consultation(Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Moves with every write that changes what the consultation's feedback shows (new,
    #: edited, withdrawn, resolved feedback, replies, names of its authors and their
    #: organisations): cached reading views are keyed by it (services.feedback_versions).
    feedback_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    created_by: Mapped[User | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in one consultation (rights are per consultation)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: One of Role.
    role: Mapped[str] = mapped_column(String(16))
    #: Role municipality: a signatory (mayor or deputy) submits, releases and returns the
    #: municipality's statement; drafting staff (False) prepare it for them.
    is_signatory: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=expression.true()
    )
    #: The signatory's function as a statement names it ("Bürgermeisterin").
    signatory_function: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
