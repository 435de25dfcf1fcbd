"""The audit log (issue 14): who did what when, append-only and hash-chained.

Each entry copies the actor's name at the time (``actor_name``), names what was done with a
stable code (``action``, e.g. ``"round.opened"``) and what it was done to
(``object_type``, ``object_id``), with further facts as canonical JSON text (``details``).

Tamper evidence: every entry's ``hash`` is the SHA-256 of its canonical content and the
previous entry's hash (``prev_hash``), so a changed, removed or inserted row breaks the
chain (see :func:`consult.services.audit.verify_chain`); and database triggers refuse every
UPDATE and DELETE of a row (migration 0014). The one change the triggers allow is the
database's own ``SET NULL`` of ``actor_id`` when an account is deleted; ``actor_id`` is
therefore not part of the hash (``actor_name`` is).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base, UTCDateTime, utcnow

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


class AuditEntry(Base):
    """One recorded action. Never updated, never deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_consultation_id_id", "consultation_id", "id"),
        Index("ix_audit_entries_actor_id", "actor_id"),
    )

    #: Given by the writer under the chain lock (the previous entry's id + 1).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None for what belongs to no consultation (an admin's login, an account edit).
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    #: Canonical JSON (sorted keys, no spaces) of an object.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
