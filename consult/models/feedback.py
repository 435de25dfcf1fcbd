"""Comments and suggestions anchored to section text, replies, edits, locations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import Organisation, User


class FeedbackKind(enum.StrEnum):
    COMMENT = "comment"
    SUGGESTION = "suggestion"
    #: A section remark of a submitted statement version (models.statements): decided on
    #: like a comment; superseded by the next version (status "superseded", withdrawn).
    REMARK = "remark"


#: The status of a statement's remark whose statement has a newer version.
REMARK_SUPERSEDED = "superseded"


class Feedback(Base):
    """A comment or a suggestion on a section of the revision of a round.

    The anchor (TEXT.md 2) addresses the body of ``version_id``: code-point offsets,
    the quote and up to 32 code points of context. No anchor (``start`` None) means
    the whole section (comments only).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: One of FeedbackKind.
    kind: Mapped[str] = mapped_column(String(16))
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: The revision it was made on (its origin).
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("section_versions.id", ondelete="RESTRICT"))
    anchor_start: Mapped[int | None] = mapped_column(Integer)
    anchor_end: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(String(64))
    suffix: Mapped[str | None] = mapped_column(String(64))
    #: The comment's text, or the suggestion's reason (plain text).
    body: Mapped[str] = mapped_column(Text, default="")
    #: The suggested new text for the anchored range (suggestions only).
    replacement: Mapped[str | None] = mapped_column(Text)
    #: Comments: open/resolved; suggestions: open/accepted/rejected/withdrawn/applied.
    status: Mapped[str] = mapped_column(String(16), default="open")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: The organisation the author acted for (kept if they change organisation).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    replies: Mapped[list[Reply]] = relationship(order_by="Reply.id", cascade="all, delete-orphan")
    edits: Mapped[list[FeedbackEdit]] = relationship(
        order_by="FeedbackEdit.id", cascade="all, delete-orphan"
    )

    @property
    def has_anchor(self) -> bool:
        return self.anchor_start is not None


class Reply(Base):
    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class FeedbackEdit(Base):
    """The text a comment or suggestion had before its author edited it."""

    __tablename__ = "feedback_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    replacement: Mapped[str | None] = mapped_column(Text)
    #: When the text was replaced by the next one.
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackLocation(Base):
    """Where an anchor stands in another version of its section (TEXT.md 3).

    Computed once per (feedback, target version) and stored; the origin version and
    an absent section need no row (exact, and orphaned).
    """

    __tablename__ = "feedback_locations"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("section_versions.id", ondelete="CASCADE"), primary_key=True
    )
    #: exact, moved, fuzzy or orphaned.
    state: Mapped[str] = mapped_column(String(16))
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    #: The rules that placed it (anchoring.LOCATE_ALGORITHM); rows placed by others are
    #: computed again when read.
    algorithm: Mapped[str | None] = mapped_column(String(40))
