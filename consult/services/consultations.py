"""Consultations and their members."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Membership, User
from consult.services import permissions


def list_for_user(session: Session, *, actor: object) -> list[tuple[Consultation, str | None]]:
    """The consultations the actor may see, each with the actor's role (None for admins)."""
    if not isinstance(actor, User) or not actor.is_active:
        return []
    if permissions.is_admin(actor):
        rows = session.execute(
            select(Consultation, Membership.role)
            .outerjoin(
                Membership,
                (Membership.consultation_id == Consultation.id) & (Membership.user_id == actor.id),
            )
            .order_by(Consultation.created_at.desc())
        ).all()
    else:
        rows = session.execute(
            select(Consultation, Membership.role)
            .join(Membership, Membership.consultation_id == Consultation.id)
            .where(Membership.user_id == actor.id)
            .order_by(Consultation.created_at.desc())
        ).all()
    return [(c, r) for c, r in rows]
