"""E-mail to a consultation's members when a new revision is published (issue 14,
notification kind ``revision``; each person's setting applies in mail.queue_template).

Only to those who may read it now: editors and observers. Participants and
municipalities read a revision once a round invites them to it, and that invitation is
their notice.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Membership, Revision, User
from consult.services import mail, permissions


def notify_published(session: Session, revision: Revision, *, publisher: object) -> int:
    """Queue the notice of ``revision`` (just published) to every active member of its
    consultation who may read it, except the publisher. Returns how many were queued or
    held for a digest. Raises nothing."""
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.consultation_id == revision.consultation_id,
            User.is_active.is_(True),
            User.erased_at.is_(None),
        )
        .order_by(User.id)
    ).all()
    publisher_id = getattr(publisher, "id", None)
    count = 0
    for member in members:
        if member.id == publisher_id or not permissions.can_read_revision(
            session, member, revision
        ):
            continue
        mail.queue_template(
            session,
            member,
            "revision_published",
            revision=revision,
            consultation=revision.consultation,
        )
        count += 1
    return count
