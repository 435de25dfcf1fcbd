"""Reading revisions: a revision's outline, a consultation's revisions, its newest and
its draft. Loading one by id is :func:`consult.services.access.get_revision`; drafts are
made, edited and published in :mod:`consult.services.drafts`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.models import Consultation, Placement, Revision, RevisionStatus
from consult.services import permissions


@dataclass
class Outline:
    """A revision's sections in reading order, with their versions loaded."""

    revision: Revision
    placements: list[Placement] = field(default_factory=list)


def outline(session: Session, revision: Revision) -> Outline:
    """The placements of a revision with their versions, in one query (no permission
    check: the caller has loaded the revision through access.get_revision). Raises nothing."""
    placements = list(
        session.scalars(
            select(Placement)
            .where(Placement.revision_id == revision.id)
            .options(joinedload(Placement.version))
            .order_by(Placement.position)
        )
    )
    return Outline(revision=revision, placements=placements)


def list_revisions(
    session: Session, consultation: Consultation, *, actor: object
) -> list[Revision]:
    """The revisions of a consultation the actor may read, newest first. Raises nothing:
    the caller has loaded the consultation through access.get_consultation."""
    revisions = session.scalars(
        select(Revision)
        .where(Revision.consultation_id == consultation.id)
        .options(joinedload(Revision.author))
        .order_by(Revision.number.desc())
    ).all()
    return permissions.readable_revisions(session, actor, revisions)


def latest_revision(session: Session, consultation_id: int) -> Revision | None:
    """The newest revision (draft or published), None before the first. No permission
    check: for callers that checked the consultation. Raises nothing."""
    return session.scalar(
        select(Revision)
        .where(Revision.consultation_id == consultation_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def current_draft(session: Session, consultation_id: int) -> Revision | None:
    """The consultation's draft, None when there is none (a consultation has at most one).
    No permission check: for callers that checked the consultation. Raises nothing."""
    return session.scalar(
        select(Revision).where(
            Revision.consultation_id == consultation_id,
            Revision.status == RevisionStatus.DRAFT.value,
        )
    )
