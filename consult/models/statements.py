"""Formal statements (Stellungnahmen) of the municipalities on a round's revision.

A :class:`Statement` is one municipality's working state in one round (at most one per
round and organisation): the current draft (prepared by staff, or by the signatory),
whether it was returned to staff and why, and how many versions were submitted. Each
submission is a :class:`StatementVersion`, numbered 1, 2, ... and never changed again;
its section remarks are feedback items of kind ``remark`` (so that the editors decide on
them like on comments), linked to the version by :class:`StatementVersionRemark`.
PDF attachments belong to the statement: those in the draft are frozen into each version
submitted (:class:`StatementVersionAttachment`); a file is never changed, and removed
from disk only while no version holds it.

A municipality may submit until the round's deadline or a later one granted to it alone
(:class:`StatementExtension`, kept with its reason). :class:`StatementReminder` records
the reminders sent to a municipality that has not submitted: once per deadline.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db import Base, UTCDateTime, utcnow
from consult.models.accounts import Organisation, User


class StatementPosition(enum.StrEnum):
    """What a municipality says to the draft (API.md, Statements)."""

    CONSENT = "consent"
    CONSENT_WITH_REMARKS = "consent_with_remarks"
    REJECTION = "rejection"
    ABSTENTION = "abstention"


class StatementStatus(enum.StrEnum):
    """The working state of a statement."""

    #: Staff (or the signatory) saved a draft that is not submitted yet.
    DRAFT = "draft"
    #: A signatory sent the draft back to staff, with a reason.
    RETURNED = "returned"
    #: The latest version is what counts; no newer draft.
    SUBMITTED = "submitted"


class Channel(enum.StrEnum):
    """How a statement version came in."""

    ONLINE = "online"
    LETTER = "letter"
    EMAIL = "email"
    FAX = "fax"
    IN_PERSON = "in_person"


#: The channels of a statement an editor records from paper (or a mail, a fax).
PAPER_CHANNELS = (Channel.LETTER, Channel.EMAIL, Channel.FAX, Channel.IN_PERSON)


class Statement(Base):
    """One municipality's statement in one round: its draft and its versions."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: The municipality (an organisation of kind municipality).
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: One of StatementStatus.
    status: Mapped[str] = mapped_column(String(16), default=StatementStatus.DRAFT.value)
    #: The draft (after a submission: what was submitted, the start of the next version).
    draft_position: Mapped[str | None] = mapped_column(String(32))
    draft_body: Mapped[str] = mapped_column(Text, default="")
    draft_signatory_name: Mapped[str] = mapped_column(String(200), default="")
    draft_signatory_function: Mapped[str] = mapped_column(String(200), default="")
    #: Who saved the draft last, and when.
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Moves with every change of the draft: a save or release naming an older one is a
    #: conflict (nobody's edit silently overwrites another's).
    draft_revision: Mapped[int] = mapped_column(Integer, default=0)
    #: Set while the draft is returned to staff (status "returned").
    returned_reason: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The number of the latest version (0: none submitted yet).
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    draft_remarks: Mapped[list[StatementDraftRemark]] = relationship(
        order_by="StatementDraftRemark.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[StatementVersion]] = relationship(
        order_by="StatementVersion.number", back_populates="statement"
    )
    attachments: Mapped[list[StatementAttachment]] = relationship(
        order_by="StatementAttachment.id", back_populates="statement"
    )

    @property
    def has_draft(self) -> bool:
        return self.status in (StatementStatus.DRAFT.value, StatementStatus.RETURNED.value)


class StatementDraftRemark(Base):
    """A remark on one section in a statement's draft (anchored like a comment)."""

    __tablename__ = "statement_draft_remarks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    #: The order in the draft (0, 1, ...).
    position: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    #: A range of the section's body in the round's revision (None: the whole section).
    anchor_start: Mapped[int | None] = mapped_column(Integer)
    anchor_end: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str | None] = mapped_column(Text)


class StatementVersion(Base):
    """One submitted statement: immutable once written."""

    __tablename__ = "statement_versions"
    __table_args__ = (UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, ... within the statement.
    number: Mapped[int] = mapped_column(Integer)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: One of StatementPosition.
    position: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_function: Mapped[str] = mapped_column(String(200), default="")
    #: The signatory member who submitted (or released) it online.
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: The editor who recorded it from paper (letter, e-mail, fax, in person).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: Staff who prepared the draft that was released (None: written by the submitter).
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: One of Channel.
    channel: Mapped[str] = mapped_column(String(16), default=Channel.ONLINE.value)
    #: What counts for the deadline: the submission, or the day a letter arrived.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The administration's receipt number (Eingangsnummer) of a statement on paper.
    receipt_number: Mapped[str | None] = mapped_column(String(64))
    #: When it was stored (submitted online, or recorded).
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="versions")
    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])

    @property
    def is_recorded_by_editor(self) -> bool:
        return self.recorded_by_id is not None


class StatementVersionRemark(Base):
    """A section remark of a version: the feedback item (kind ``remark``) it became."""

    __tablename__ = "statement_version_remarks"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), index=True
    )
    #: The order in the version (0, 1, ...).
    position: Mapped[int] = mapped_column(Integer, default=0)


class StatementAttachment(Base):
    """A PDF file of a statement (checked by content; stored outside ``static/`` under a
    random name, see services.statement_files)."""

    __tablename__ = "statement_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    #: Part of the current draft (goes into the next version submitted).
    in_draft: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The name it was uploaded with, made safe (what a download is called).
    file_name: Mapped[str] = mapped_column(String(255))
    #: The random name of the file in the upload folder.
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    mime_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    size: Mapped[int] = mapped_column(Integer)
    #: SHA-512 of the file (hex), as OParl's sha512Checksum.
    sha512: Mapped[str] = mapped_column(String(128))
    page_count: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="attachments")


class StatementVersionAttachment(Base):
    """An attachment as part of a submitted version (frozen with it)."""

    __tablename__ = "statement_version_files"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("statement_versions.id", ondelete="CASCADE"), primary_key=True
    )
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("statement_attachments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StatementExtension(Base):
    """A later deadline for one municipality's statement, with its reason (kept forever)."""

    __tablename__ = "statement_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: The municipality's deadline before this extension.
    previous_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


class StatementReminder(Base):
    """A reminder to a municipality that had not submitted: once per deadline."""

    __tablename__ = "statement_reminders"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id", "closes_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: The deadline the reminder announced (a later one warrants a new reminder).
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The editor who sent it (None: the scheduled job).
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: How many people were e-mailed.
    recipients: Mapped[int] = mapped_column(Integer, default=0)
