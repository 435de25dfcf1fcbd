"""Working groups (Arbeitskreise) and consultation rounds (Beteiligungsrunden)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import User
from consult.models.revisions import Revision


class Visibility(enum.StrEnum):
    #: Feedback visible to the editors and its author.
    EDITORS = "editors"
    #: Also to the members of the author's working groups.
    GROUP = "group"
    #: To everyone invited to the round.
    ROUND = "round"


class WorkingGroup(Base):
    __tablename__ = "working_groups"
    __table_args__ = (UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[WorkingGroupMember]] = relationship(
        back_populates="working_group", cascade="all, delete-orphan"
    )
    sections: Mapped[list[WorkingGroupSection]] = relationship(cascade="all, delete-orphan")


class WorkingGroupMember(Base):
    __tablename__ = "working_group_members"

    working_group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    working_group: Mapped[WorkingGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class WorkingGroupSection(Base):
    """A section a working group is asked to look at in particular."""

    __tablename__ = "working_group_sections"

    working_group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), primary_key=True
    )


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    #: The published revision the round asks about.
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The deadline in force (extensions move it; each is kept in round_extensions).
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when an editor closed the round before its deadline.
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: One of Visibility.
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.EDITORS.value)
    #: All municipality members of the consultation are invited.
    includes_municipalities: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revision: Mapped[Revision] = relationship()
    groups: Mapped[list[RoundGroup]] = relationship(cascade="all, delete-orphan")
    extensions: Mapped[list[RoundExtension]] = relationship(
        cascade="all, delete-orphan", order_by="RoundExtension.id"
    )

    @property
    def working_group_ids(self) -> list[int]:
        return [g.working_group_id for g in self.groups]

    def effective_close(self) -> datetime:
        """When the round stops taking feedback."""
        if self.closed_early_at is not None and self.closed_early_at < self.closes_at:
            return self.closed_early_at
        return self.closes_at

    def status_at(self, now: datetime) -> str:
        """ "scheduled", "open" or "closed"."""
        if now < self.opens_at:
            return "scheduled"
        if now >= self.effective_close():
            return "closed"
        return "open"


class RoundGroup(Base):
    __tablename__ = "round_groups"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    working_group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True
    )


class ExtensionKind(enum.StrEnum):
    #: The deadline of an open (or scheduled) round moved later.
    EXTENSION = "extension"
    #: A closed round opened again (e.g. closed by mistake), until a new deadline.
    REOPENING = "reopening"


class RoundExtension(Base):
    """One change of a round's deadline, with its reason (kept forever): an extension, or
    the reopening of a closed round."""

    __tablename__ = "round_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: One of ExtensionKind.
    kind: Mapped[str] = mapped_column(
        String(16), default=ExtensionKind.EXTENSION.value, server_default="extension"
    )
    #: When the round stopped (a reopening: when it had closed) or would have stopped.
    previous_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


class RoundReminder(Base):
    """A deadline reminder sent to one invited person (at most one per round)."""

    __tablename__ = "round_reminders"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: The deadline the reminder announced (a later extension may warrant a new one).
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Which reminder for that deadline was sent last: 1 (3 days before), 2 (1 day before).
    stage: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
