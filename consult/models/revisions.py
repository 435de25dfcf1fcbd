"""Revisions (Fassungen), sections with a stable identity, immutable section versions.

A revision is an ordered tree of placements; each placement points at a section
(identity) and at one immutable version of its text. Revisions that leave a section
alone point at the same version, so nothing is copied.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import User
from consult.models.consultations import Consultation


class RevisionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Section(Base):
    """The identity of a part of the draft across revisions."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SectionVersion(Base):
    """The title and body of a section at one point; never changed once written."""

    __tablename__ = "section_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    #: Plain text, NFC, "\n" line ends (TEXT.md): the coordinate system of anchors.
    body: Mapped[str] = mapped_column(Text)
    #: The version this one was edited from (None for imported or new text).
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("section_versions.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    section: Mapped[Section] = relationship()


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("consultation_id", "number"),
        # At most one draft per consultation: the next revision is prepared in one place.
        Index(
            "uq_revisions_one_draft",
            "consultation_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3, ... within the consultation.
    number: Mapped[int] = mapped_column(Integer)
    #: One of RevisionStatus; published revisions never change.
    status: Mapped[str] = mapped_column(String(16), default=RevisionStatus.DRAFT.value)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The revision this one was derived from (None for a consultation's first).
    base_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The number of sections, stored when the revision is published (None for drafts).
    section_count: Mapped[int | None] = mapped_column(Integer)

    consultation: Mapped[Consultation] = relationship()
    author: Mapped[User | None] = relationship()
    base_revision: Mapped[Revision | None] = relationship(remote_side=[id])
    placements: Mapped[list[Placement]] = relationship(
        back_populates="revision",
        order_by="Placement.position",
        cascade="all, delete-orphan",
    )

    @property
    def is_draft(self) -> bool:
        return self.status == RevisionStatus.DRAFT.value


class Placement(Base):
    """Where a section stands in one revision, with which version of its text."""

    __tablename__ = "placements"
    __table_args__ = (
        UniqueConstraint("revision_id", "section_id"),
        UniqueConstraint("revision_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("section_versions.id", ondelete="RESTRICT"), index=True
    )
    #: The number as written in the draft ("3.2"); may be empty for unnumbered parts.
    key: Mapped[str] = mapped_column(String(32), default="")
    #: The parent section (its identity) in this revision, None at the top level.
    parent_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="SET NULL")
    )
    #: 0, 1, 2, ... in reading order.
    position: Mapped[int] = mapped_column(Integer)
    #: Nesting depth (0 = top level), derived from the parents; kept for rendering.
    depth: Mapped[int] = mapped_column(Integer, default=0)

    revision: Mapped[Revision] = relationship(back_populates="placements")
    version: Mapped[SectionVersion] = relationship()


class SectionDiff(Base):
    """Cached word-level ops between two section versions (immutable, so never stale)."""

    __tablename__ = "section_diffs"

    old_version_id: Mapped[int] = mapped_column(
        ForeignKey("section_versions.id", ondelete="CASCADE"), primary_key=True
    )
    new_version_id: Mapped[int] = mapped_column(
        ForeignKey("section_versions.id", ondelete="CASCADE"), primary_key=True
    )
    #: JSON: {"title": [[op, text], ...], "body": [[op, text], ...]}.
    ops_json: Mapped[str] = mapped_column(Text)
    #: The diff algorithm that made the ops (textdiff.DIFF_ALGORITHM); rows made by
    #: another are computed again when read.
    algorithm: Mapped[str | None] = mapped_column(String(40))


class RevisionChange(Base):
    """What a published revision changed against an earlier one, in sections: counted
    once when it is published (both never change), so the history need not compare.

    Stored against each revision the history may compare it with: its base, and the
    revision numbered one less (when that is another).
    """

    __tablename__ = "revision_changes"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True
    )
    compared_to_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: Sections by status against ``compared_to`` (consult.domain.outline_diff).
    unchanged: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    moved: Mapped[int] = mapped_column(Integer)
