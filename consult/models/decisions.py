"""The editors' disposition of feedback (Abwägung), its publication, and the provenance of
merged changes.

The editors' current working state on a piece of feedback (its decision, response,
assignee, and the revision a merge applied it in) is a :class:`FeedbackReview`, a row of
its own beside the feedback (the author's text stays apart from the editors' work); every
decision made, changed or withdrawn is also kept, append-only, as a
:class:`FeedbackDecision` with who and when.
Decisions are the editors' working state until they are published for a round
(:class:`RoundPublication`). A merge turns accepted suggestions into a new revision and
records, per new section version, which ranges which suggestion (or the editor) wrote.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import User


class DecisionKind(enum.StrEnum):
    """What became of a piece of feedback (API.md, Decisions and merge)."""

    # Comments (and statement remarks):
    CONSIDERED = "considered"
    PARTLY_CONSIDERED = "partly_considered"
    NOT_CONSIDERED = "not_considered"
    NOTED = "noted"
    # Suggestions:
    ACCEPT = "accept"
    REJECT = "reject"
    ACCEPT_MODIFIED = "accept_modified"


COMMENT_DECISIONS = frozenset(
    {
        DecisionKind.CONSIDERED,
        DecisionKind.PARTLY_CONSIDERED,
        DecisionKind.NOT_CONSIDERED,
        DecisionKind.NOTED,
    }
)
SUGGESTION_DECISIONS = frozenset(
    {DecisionKind.ACCEPT, DecisionKind.REJECT, DecisionKind.ACCEPT_MODIFIED}
)


class FeedbackReview(Base):
    """The editors' current state of one piece of feedback (at most one row each)."""

    __tablename__ = "feedback_reviews"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    #: One of DecisionKind; None: not decided (yet, or withdrawn).
    decision: Mapped[str | None] = mapped_column(String(32))
    response: Mapped[str] = mapped_column(Text, default="")
    #: accept_modified: the editor's text for the suggestion's range.
    replacement: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The editor who is to decide on it.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The revision a merge applied this suggestion in (its status is then "applied").
    applied_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", ondelete="SET NULL")
    )

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class FeedbackDecision(Base):
    """One decision as it was made (append-only history; the current one is also on the
    feedback row). ``decision`` None: an earlier decision was withdrawn."""

    __tablename__ = "feedback_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    #: One of DecisionKind, or None (withdrawn).
    decision: Mapped[str | None] = mapped_column(String(32))
    response: Mapped[str] = mapped_column(Text, default="")
    #: accept_modified: the editor's text for the suggestion's range.
    replacement: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User] = relationship()


class ResponseSnippet(Base):
    """A reusable response (Textbaustein) of a consultation, with how often it was used."""

    __tablename__ = "response_snippets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicationKind(enum.StrEnum):
    #: The decisions and responses become visible to the authors (and they are e-mailed).
    DECISIONS = "decisions"
    #: The response table (Abwägungstabelle) becomes readable for participants and observers.
    RESPONSES = "responses"
    #: The municipalities' statements of the round become readable for its members.
    STATEMENTS = "statements"


class RoundPublication(Base):
    """Something the editors made public for a round, when and by whom (once per kind)."""

    __tablename__ = "round_publications"
    __table_args__ = (UniqueConstraint("round_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: One of PublicationKind.
    kind: Mapped[str] = mapped_column(String(16))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeProvenance(Base):
    """Who wrote a range of a section version made by a merge: the suggestion (and so
    its author and decision) or, with ``feedback_id`` None, the editor who merged."""

    __tablename__ = "change_provenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The revision the merge created.
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("section_versions.id", ondelete="CASCADE"), index=True
    )
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )
    #: The editor who merged (for their own edits, and as the one who applied the rest).
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
