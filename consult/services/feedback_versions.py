"""The feedback version of a consultation: what the reading view's caches are keyed by.

``consultations.feedback_version`` moves, in the same transaction, with every write that
changes what the consultation's feedback shows: new comments, suggestions and replies,
edits, withdrawals, resolving and reopening, status changes (the write functions of
services.feedback call :func:`bump`), and the name of an author or of their
organisation (services.accounts calls :func:`bump_for_person` and
:func:`bump_for_organisation`). Each worker process caches what it loaded and rendered
under :func:`current`'s key, read with one query per request, and loads again only when
the version moved; every worker sees the same column, so none keeps showing the old
state. (Who may see which feedback is not part of it: visibility is decided per
request over the cached rows, see services.feedback_views.visible_rows.)

The key also holds the consultation's ``created_at``: a consultation id used again (a
deleted one's, or in tests rolled back) starts at version 0 once more, but not at the
same moment.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from consult.models import Consultation, Feedback, Reply

#: session.info: the transaction that changed feedback versions, and which (or _ALL).
_CHANGED = "consult_feedback_versions_changed"
_ALL = -1


@dataclass(frozen=True, slots=True)
class VersionKey:
    """A consultation's feedback as of one version (hashable, for cache keys)."""

    consultation_id: int
    created_at: datetime
    version: int


def bump(session: Session, consultation_id: int) -> None:
    """Move the consultation's feedback version (call after a write that changes what its
    feedback shows, in the same transaction). Raises nothing."""
    session.execute(
        update(Consultation)
        .where(Consultation.id == consultation_id)
        .values(feedback_version=Consultation.feedback_version + 1)
        .execution_options(synchronize_session=False)
    )
    _note_change(session, consultation_id)


def bump_for_person(session: Session, user_id: int) -> None:
    """Move the versions of the consultations where the user wrote feedback or replies
    (their name is shown there). Raises nothing."""
    _bump_where(session, Feedback.author_id == user_id, Reply.author_id == user_id)


def bump_for_organisation(session: Session, organisation_id: int) -> None:
    """Move the versions of the consultations with feedback or replies written for the
    organisation (its name is shown there). Raises nothing."""
    _bump_where(
        session,
        Feedback.organisation_id == organisation_id,
        Reply.organisation_id == organisation_id,
    )


def _bump_where(session: Session, feedback_condition: object, reply_condition: object) -> None:
    by_feedback = select(Feedback.consultation_id).where(feedback_condition)  # type: ignore[arg-type]
    by_reply = (
        select(Feedback.consultation_id)
        .join(Reply, Reply.feedback_id == Feedback.id)
        .where(reply_condition)  # type: ignore[arg-type]
    )
    session.execute(
        update(Consultation)
        .where(or_(Consultation.id.in_(by_feedback), Consultation.id.in_(by_reply)))
        .values(feedback_version=Consultation.feedback_version + 1)
        .execution_options(synchronize_session=False)
    )
    _note_change(session, _ALL)


def _note_change(session: Session, consultation_id: int) -> None:
    """Remember that this transaction changed the consultation's feedback: until it ends,
    what it reads is not what the new version will be for others (it may still roll
    back, or change more), so :func:`current` gives no key for it."""
    transaction = session.get_transaction()
    noted: tuple[weakref.ref[SessionTransaction], set[int]] | None = session.info.get(_CHANGED)
    if transaction is None:  # pragma: no cover - the UPDATE just began one
        return
    if noted is None or noted[0]() is not transaction:
        noted = session.info[_CHANGED] = (weakref.ref(transaction), set())
    noted[1].add(consultation_id)


def current(session: Session, consultation_id: int) -> VersionKey | None:
    """The key of the consultation's feedback as it is now (one query); None if this
    transaction changed it (then nothing read in it may be cached) or it does not exist.
    Raises nothing."""
    row = session.execute(
        select(Consultation.created_at, Consultation.feedback_version).where(
            Consultation.id == consultation_id
        )
    ).one_or_none()
    if row is None:
        return None
    noted: tuple[weakref.ref[SessionTransaction], set[int]] | None = session.info.get(_CHANGED)
    if (
        noted is not None
        and noted[0]() is session.get_transaction()
        and (consultation_id in noted[1] or _ALL in noted[1])
    ):
        return None
    created_at, version = row
    return VersionKey(consultation_id, created_at, version)
