"""Working groups of a consultation: create, rename, their sections and members."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from consult.db import is_id
from consult.domain import textrules
from consult.errors import Conflict, Invalid
from consult.models import (
    Consultation,
    Membership,
    Section,
    User,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupSection,
)
from consult.services import access, permissions
from consult.services.locks import lock_name
from consult.services.text_fields import checked


def list_working_groups(
    session: Session, consultation_id: int, *, actor: object
) -> list[WorkingGroup]:
    """The working groups of a consultation by name, members (with organisations) and sections
    loaded. Raises NotFound when the actor may not see the consultation."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    return list(
        session.scalars(
            select(WorkingGroup)
            .where(WorkingGroup.consultation_id == consultation.id)
            .options(
                selectinload(WorkingGroup.members)
                .selectinload(WorkingGroupMember.user)
                .joinedload(User.organisation),
                selectinload(WorkingGroup.sections),
            )
            .order_by(WorkingGroup.name)
        )
    )


def _section_ids(session: Session, consultation: Consultation, section_ids: object) -> list[int]:
    if section_ids is None:
        return []
    if not isinstance(section_ids, list) or not all(is_id(i) for i in section_ids):
        raise Invalid(_("section_ids muss eine Liste von Zahlen sein."), code="invalid_section_ids")
    ids = sorted(set(section_ids))
    found = set(
        session.scalars(
            select(Section.id).where(
                Section.id.in_(ids), Section.consultation_id == consultation.id
            )
        )
    )
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise Invalid(
            _("Diese Abschnitte gibt es in diesem Verfahren nicht: %(ids)s.", ids=unknown),
            code="unknown_section",
        )
    return ids


def _ensure_unique_group_name(
    session: Session, consultation_id: int, name: str, own_id: int | None = None
) -> None:
    """Raise Conflict when another working group of the consultation has this name.

    Compared case-folded in Python ("Ärzte" is "ärzte"): SQL's lower() folds only ASCII
    on SQLite. A consultation has a handful of groups.
    """
    query = select(WorkingGroup.id, WorkingGroup.name).where(
        WorkingGroup.consultation_id == consultation_id
    )
    wanted = name.casefold()
    lock_name(session, f"working group names {consultation_id}")  # two editors at once
    if any(gid != own_id and other.casefold() == wanted for gid, other in session.execute(query)):
        raise Conflict(
            _("Einen Arbeitskreis mit diesem Namen gibt es schon."),
            code="duplicate_name",
            fields={"name": _("Schon vergeben.")},
        )


def create_working_group(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    name: str,
    section_ids: Sequence[int] | None = None,
    description: str | None = None,
) -> WorkingGroup:
    """A new working group. Raises NotPermitted, Invalid, Conflict (name taken)."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_members(session, actor, consultation),
        _("Nur die Redaktion verwaltet die Arbeitskreise."),
    )
    clean = checked(name, textrules.NAME, "name", _("Der Name"))
    ids = _section_ids(session, consultation, section_ids)
    _ensure_unique_group_name(session, consultation.id, clean)
    group = WorkingGroup(
        consultation_id=consultation.id,
        name=clean,
        description=checked(
            description, textrules.GROUP_DESCRIPTION, "description", _("Die Beschreibung")
        ),
    )
    group.sections = [WorkingGroupSection(section_id=i) for i in ids]
    session.add(group)
    session.flush()
    return group


def update_working_group(
    session: Session,
    group_id: int,
    *,
    actor: object,
    name: str,
    section_ids: Sequence[int],
    description: str | None = None,
) -> WorkingGroup:
    """Rename a working group, set its description and sections. Raises NotFound, NotPermitted,
    Invalid, Conflict (the name is taken)."""
    group = access.get_working_group(session, group_id, actor=actor)
    consultation = access.get_consultation(session, group.consultation_id, actor=actor)
    permissions.require(permissions.can_manage_members(session, actor, consultation))
    clean = checked(name, textrules.NAME, "name", _("Der Name"))
    _ensure_unique_group_name(session, consultation.id, clean, own_id=group.id)
    ids = _section_ids(session, consultation, section_ids)
    group.name = clean
    group.description = checked(
        description, textrules.GROUP_DESCRIPTION, "description", _("Die Beschreibung")
    )
    group.sections = [WorkingGroupSection(section_id=i) for i in ids]
    session.flush()
    return group


def set_user_groups(
    session: Session, consultation: Consultation, user: User, group_ids: object
) -> None:
    """Replace the user's working groups in this consultation. Raises Invalid."""
    if not isinstance(group_ids, list) or not all(is_id(i) for i in group_ids):
        raise Invalid(
            _("working_group_ids muss eine Liste von Zahlen sein."),
            code="invalid_working_group_ids",
        )
    wanted = set(group_ids)
    known = set(
        session.scalars(
            select(WorkingGroup.id).where(
                WorkingGroup.consultation_id == consultation.id,
                WorkingGroup.id.in_(wanted),
            )
        )
    )
    if wanted - known:
        raise Invalid(
            _("Diese Arbeitskreise gibt es nicht: %(ids)s.", ids=sorted(wanted - known)),
            code="unknown_working_group",
        )
    all_ids = select(WorkingGroup.id).where(WorkingGroup.consultation_id == consultation.id)
    session.execute(
        delete(WorkingGroupMember).where(
            WorkingGroupMember.user_id == user.id, WorkingGroupMember.working_group_id.in_(all_ids)
        )
    )
    for group_id in sorted(wanted):
        session.add(WorkingGroupMember(working_group_id=group_id, user_id=user.id))
    session.flush()


def user_group_ids(session: Session, consultation_id: int, user_id: int) -> list[int]:
    """The ids of the user's working groups in the consultation. Raises nothing."""
    return list(
        session.scalars(
            select(WorkingGroupMember.working_group_id)
            .join(WorkingGroup, WorkingGroup.id == WorkingGroupMember.working_group_id)
            .where(
                WorkingGroup.consultation_id == consultation_id,
                WorkingGroupMember.user_id == user_id,
            )
            .order_by(WorkingGroupMember.working_group_id)
        )
    )


def group_ids_by_user(session: Session, consultation_id: int) -> dict[int, list[int]]:
    """:func:`user_group_ids` of every member of a working group of the consultation, by
    user id, in one query (people in no group are missing). Raises nothing."""
    rows = session.execute(
        select(WorkingGroupMember.user_id, WorkingGroupMember.working_group_id)
        .join(WorkingGroup, WorkingGroup.id == WorkingGroupMember.working_group_id)
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroupMember.working_group_id)
    )
    found: dict[int, list[int]] = {}
    for user_id, group_id in rows:
        found.setdefault(user_id, []).append(group_id)
    return found


def set_group_members(
    session: Session, group_id: int, *, actor: object, user_ids: Sequence[int]
) -> None:
    """Make exactly these members of the consultation the group's members.

    Raises NotPermitted, NotFound, Invalid (ids that are not members of the consultation).
    """
    group = access.get_working_group(session, group_id, actor=actor)
    consultation = access.get_consultation(session, group.consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_members(session, actor, consultation),
        _("Nur die Redaktion verwaltet die Arbeitskreise."),
    )
    if not isinstance(user_ids, list) or not all(is_id(i) for i in user_ids):
        raise Invalid(
            _("Die Mitglieder müssen eine Liste von Zahlen sein."), code="invalid_members"
        )
    wanted = set(user_ids)
    members = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.consultation_id == consultation.id, Membership.user_id.in_(wanted)
            )
        )
    )
    if wanted - members:
        raise Invalid(
            _(
                "Diese Personen sind am Verfahren nicht beteiligt: %(ids)s.",
                ids=sorted(wanted - members),
            ),
            code="not_a_member",
        )
    session.execute(
        delete(WorkingGroupMember).where(
            WorkingGroupMember.working_group_id == group.id,
            WorkingGroupMember.user_id.not_in(wanted),
        )
    )
    current = set(
        session.scalars(
            select(WorkingGroupMember.user_id).where(
                WorkingGroupMember.working_group_id == group.id
            )
        )
    )
    for user_id in sorted(wanted - current):
        session.add(WorkingGroupMember(working_group_id=group.id, user_id=user_id))
    session.flush()
    session.expire(group, ["members"])
