"""Consultations and their members."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from consult.domain import textrules
from consult.errors import Conflict, Invalid, NotFound
from consult.models import Consultation, Membership, Role, User
from consult.services import access, audit, permissions, working_groups
from consult.services.locks import lock
from consult.services.text_fields import checked

#: The roles in a consultation as people read them (members page, start page, audit log).
ROLE_LABELS = {
    Role.EDITOR.value: _l("Redaktion"),
    Role.PARTICIPANT.value: _l("Teilnehmende"),
    Role.MUNICIPALITY.value: _l("Kommune"),
    Role.OBSERVER.value: _l("Beobachtung"),
}


def list_for_user(session: Session, *, actor: object) -> list[tuple[Consultation, str | None]]:
    """The consultations the actor may see, each with the actor's role (None for admins).
    Raises nothing."""
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


TITLE_MAX = 300
DESCRIPTION_MAX = 20_000


def _clean_title(title: object) -> str:
    return checked(title, textrules.TITLE, "title", _("Der Titel"))


def _clean_description(description: object) -> str:
    return checked(description, textrules.DESCRIPTION, "description", _("Die Beschreibung"))


def create_consultation(
    session: Session, *, actor: object, title: str, description: str | None = None
) -> Consultation:
    """A new consultation; the actor becomes its editor. Raises NotPermitted, Invalid."""
    permissions.require(
        permissions.can_create_any_consultation(session, actor),
        _("Beteiligungsverfahren legen die Administration und die Redaktion an."),
    )
    user = permissions.require_user(actor)
    consultation = Consultation(
        title=_clean_title(title),
        description=_clean_description(description),
        created_by_id=user.id,
    )
    session.add(consultation)
    session.flush()
    session.add(
        Membership(consultation_id=consultation.id, user_id=user.id, role=Role.EDITOR.value)
    )
    session.flush()
    return consultation


def update_consultation(
    session: Session, consultation_id: int, *, actor: object, title: str, description: str | None
) -> Consultation:
    """Change a consultation's title and description. Raises NotFound, NotPermitted, Invalid."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(permissions.can_edit_consultation(session, actor, consultation))
    consultation.title = _clean_title(title)
    consultation.description = _clean_description(description)
    session.flush()
    return consultation


def list_members(session: Session, consultation_id: int, *, actor: object) -> list[Membership]:
    """The memberships of a consultation, their users and organisations loaded.
    Raises NotFound when the actor may not see the consultation."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.consultation_id == consultation.id)
            .options(joinedload(Membership.user).joinedload(User.organisation))
            .order_by(Membership.role, Membership.id)
        )
    )


def member_users(session: Session, consultation_id: int, *, actor: object) -> list[User]:
    """The active members of a consultation by name, their organisations loaded (one
    query). Raises NotFound when the actor may not see the consultation."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.consultation_id == consultation.id, User.is_active.is_(True))
            .options(joinedload(User.organisation))
            .order_by(User.name)
        )
    )


def users_to_add(session: Session, consultation_id: int, *, actor: object) -> list[User]:
    """Every active user by name, organisations loaded (one query): whom the members page
    offers. Raises NotFound when the actor may not see the consultation."""
    access.get_consultation(session, consultation_id, actor=actor)
    return list(
        session.scalars(
            select(User)
            .where(User.is_active.is_(True))
            .options(joinedload(User.organisation))
            .order_by(User.name)
        )
    )


def parse_role(role: object) -> Role:
    """The Role named by ``role``. Raises Invalid (an unknown role)."""
    try:
        return Role(str(role))
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Invalid(
            _("Unbekannte Rolle. Erlaubt: %(allowed)s.", allowed=allowed),
            code="invalid_role",
            fields={"role": allowed},
        ) from None


def set_member(
    session: Session,
    consultation_id: int,
    user_id: int,
    *,
    actor: object,
    role: str,
    working_group_ids: Sequence[int] | None = None,
    signatory: bool | None = None,
    signatory_function: str | None = None,
) -> Membership:
    """Give a user a role in the consultation (or change it). A municipality member is a
    signatory (mayor or deputy, with ``signatory_function``) unless ``signatory`` is
    False: drafting staff, who prepare statements for a signatory's release. None keeps
    what was set (a new member: a signatory). Raises NotPermitted, NotFound, Invalid,
    Conflict (an editor removing the last editor)."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_members(session, actor, consultation),
        _("Nur die Redaktion verwaltet die Beteiligten."),
    )
    # Two editors demoting each other at once must not leave the consultation without one.
    lock(session, consultation)
    new_role = parse_role(role)
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(_("Diese Person gibt es nicht."), code="unknown_user")
    if new_role is Role.MUNICIPALITY and (
        user.organisation is None or user.organisation.kind != "municipality"
    ):
        raise Invalid(
            _("Die Rolle „Kommune“ setzt voraus, dass die Person zu einer Kommune gehört."),
            code="not_a_municipality",
        )
    membership = session.scalar(
        select(Membership).where(
            Membership.consultation_id == consultation.id, Membership.user_id == user.id
        )
    )
    demoted = membership is not None and membership.role == Role.EDITOR.value
    if demoted and new_role is not Role.EDITOR:
        _ensure_other_editor(session, consultation.id, user.id)
    function = (
        checked(signatory_function, textrules.FUNCTION, "signatory_function", _("Die Funktion"))
        if signatory_function is not None
        else None
    )
    if working_group_ids is not None:
        # Checked (and written) before the role, so a bad id changes nothing.
        working_groups.set_user_groups(session, consultation, user, working_group_ids)
    if membership is None:
        membership = Membership(
            consultation_id=consultation.id, user_id=user.id, role=new_role.value
        )
        session.add(membership)
    else:
        membership.role = new_role.value
    if signatory is not None:
        membership.is_signatory = signatory
    elif membership.is_signatory is None:
        membership.is_signatory = True
    if function is not None:
        membership.signatory_function = function or None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.set",
        object_type="user",
        object_id=user.id,
        consultation_id=consultation.id,
        details={
            "name": user.name,
            "role": membership.role,
            "signatory": membership.is_signatory,
            "signatory_function": membership.signatory_function,
            "working_group_ids": working_group_ids,
        },
    )
    return membership


def _ensure_other_editor(session: Session, consultation_id: int, user_id: int) -> None:
    others = session.scalar(
        select(func.count(Membership.id)).where(
            Membership.consultation_id == consultation_id,
            Membership.role == Role.EDITOR.value,
            Membership.user_id != user_id,
        )
    )
    if not others:
        raise Conflict(
            _("Ein Verfahren braucht mindestens eine Person in der Redaktion."), code="last_editor"
        )


def remove_member(session: Session, consultation_id: int, user_id: int, *, actor: object) -> None:
    """Take a person out of a consultation. Raises NotFound (the consultation; not a member),
    NotPermitted, Conflict (the last editor)."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(permissions.can_manage_members(session, actor, consultation))
    lock(session, consultation)
    membership = session.scalar(
        select(Membership).where(
            Membership.consultation_id == consultation.id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise NotFound(_("Diese Person ist nicht beteiligt."))
    if membership.role == Role.EDITOR.value:
        _ensure_other_editor(session, consultation.id, user_id)
    details = {"name": membership.user.name, "role": membership.role}
    session.delete(membership)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.removed",
        object_type="user",
        object_id=user_id,
        consultation_id=consultation.id,
        details=details,
    )
