"""Every permission check of the app, as plain predicates. Deny by default.

Views and API endpoints call these (usually through :func:`require`); nothing
else decides who may do what. The role x action matrix is tested in
``tests/services/test_permissions.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.errors import NotAuthenticated, NotPermitted
from consult.models import Consultation, Membership, Role, User

#: Web endpoints anyone may reach without logging in. Everything else needs a login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.forgot_password",
        "auth.redeem",
        "main.health",
        "main.set_language",
    }
)


def is_public_endpoint(endpoint: str | None) -> bool:
    """True for web endpoints that need no login (the API checks its own tokens)."""
    if endpoint is None:
        return False
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("api.")


def require(allowed: bool, message: str = "Dafür fehlt Ihnen die Berechtigung.") -> None:
    """Raise NotPermitted unless ``allowed``."""
    if not allowed:
        raise NotPermitted(message)


def require_user(user: Any) -> User:
    """The acting user; raises NotAuthenticated for anonymous or inactive users."""
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated("Bitte melden Sie sich an.")
    return user


def is_admin(user: Any) -> bool:
    return isinstance(user, User) and user.is_active and user.is_admin


def can_manage_accounts(user: Any) -> bool:
    """Create, edit, deactivate and invite organisations and users."""
    return is_admin(user)


def can_list_organisations(user: Any) -> bool:
    """Every signed-in user may see the organisations (authors show them)."""
    return isinstance(user, User) and user.is_active


def can_create_consultation(user: Any) -> bool:
    return is_admin(user)


def role_in(session: Session, user: Any, consultation: Consultation | int) -> Role | None:
    """The user's role in a consultation, or None."""
    if not isinstance(user, User) or not user.is_active:
        return None
    consultation_id = consultation if isinstance(consultation, int) else consultation.id
    role = session.scalar(
        select(Membership.role).where(
            Membership.consultation_id == consultation_id, Membership.user_id == user.id
        )
    )
    return Role(role) if role else None


def can_view_consultation(session: Session, user: Any, consultation: Consultation) -> bool:
    return is_admin(user) or role_in(session, user, consultation) is not None


def can_edit_consultation(session: Session, user: Any, consultation: Consultation) -> bool:
    """Write drafts, manage members and rounds, decide, merge, publish, export."""
    return is_admin(user) or role_in(session, user, consultation) is Role.EDITOR


def can_manage_own_tokens(user: Any) -> bool:
    return isinstance(user, User) and user.is_active


def can_create_any_consultation(session: Session, user: Any) -> bool:
    """Admins, and editors of some consultation, may start a new consultation."""
    if is_admin(user):
        return True
    if not isinstance(user, User) or not user.is_active:
        return False
    return (
        session.scalar(
            select(Membership.id)
            .where(Membership.user_id == user.id, Membership.role == Role.EDITOR.value)
            .limit(1)
        )
        is not None
    )


def can_read_revision(session: Session, user: Any, revision: Any) -> bool:
    """Editors (and admins) read every revision; observers read published ones.

    Participants and municipalities read the revisions of rounds they are invited to
    (rounds arrive with the feedback issue); until then, drafts stay with editors.
    """
    from consult.models import RevisionStatus

    if can_edit_consultation(session, user, revision.consultation):
        return True
    role = role_in(session, user, revision.consultation_id)
    return role is Role.OBSERVER and revision.status != RevisionStatus.DRAFT.value


def can_edit_revision(session: Session, user: Any, revision: Any) -> bool:
    """Write access to a revision's text and structure (drafts only; see services)."""
    return can_edit_consultation(session, user, revision.consultation)


def can_manage_members(session: Session, user: Any, consultation: Consultation) -> bool:
    return can_edit_consultation(session, user, consultation)
