"""Every permission check of the app, as plain predicates. Deny by default.

Views and API endpoints call these (usually through :func:`require`); nothing
else decides who may do what. The role x action matrix is tested in
``tests/services/test_permissions.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from consult.errors import NotAuthenticated, NotPermitted
from consult.models import (
    Consultation,
    Membership,
    Revision,
    RevisionStatus,
    Role,
    Round,
    RoundGroup,
    User,
    WorkingGroup,
    WorkingGroupMember,
)

#: Web endpoints anyone may reach without logging in. Everything else needs a login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.forgot_password",
        "auth.redeem",
        "main.health",
        "main.set_language",
        "privacy.page",
        "notifications.unsubscribe",
        "notifications.unsubscribe_confirm",
    }
)


def is_public_endpoint(endpoint: str | None) -> bool:
    """True for web endpoints that need no login (the API checks its own tokens)."""
    if endpoint is None:
        return False
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("api.")


def require(allowed: bool, message: str | None = None) -> None:
    """Raise NotPermitted unless ``allowed`` (with ``message``, else a general one)."""
    if not allowed:
        raise NotPermitted(message or _("Dafür fehlt Ihnen die Berechtigung."))


def require_user(user: Any) -> User:
    """The acting user; raises NotAuthenticated for anonymous or inactive users."""
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated(_("Bitte melden Sie sich an."))
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


# --- what a session already decided ----------------------------------------------------
#
# A request decides once what its user may read: the role and the invitations of a user
# in a consultation are looked up once per transaction and kept in ``session.info``.
# They are forgotten when the transaction ends, and as soon as the session writes one
# of the rows they depend on (memberships, working groups and their members, rounds
# and their groups), by a flush or by an UPDATE/DELETE/INSERT statement.

#: The session.info key of the decisions: {(what, user id, consultation id): answer}.
_DECIDED = "consult.permissions.decided"
#: Rows whose writing changes who may do what (users' flags are read from the user).
_ACCESS_ROWS = (Membership, Round, RoundGroup, WorkingGroup, WorkingGroupMember)
_ACCESS_TABLES = frozenset(model.__tablename__ for model in _ACCESS_ROWS)

T = TypeVar("T")


def _decided(session: Session) -> dict[tuple[str, int, int], Any]:
    decided: dict[tuple[str, int, int], Any] = session.info.setdefault(_DECIDED, {})
    return decided


def forget_decisions(session: Session) -> None:
    """Forget what this session decided about rights (done on every write that could
    change them, and at the end of each transaction)."""
    session.info.pop(_DECIDED, None)


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _flush: UOWTransaction) -> None:
    if _DECIDED in session.info and any(
        isinstance(row, _ACCESS_ROWS) for row in chain(session.new, session.dirty, session.deleted)
    ):
        forget_decisions(session)


@event.listens_for(Session, "do_orm_execute")
def _forget_after_statement(state: ORMExecuteState) -> None:
    if _DECIDED not in state.session.info:
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is None or getattr(table, "name", None) in _ACCESS_TABLES:
            forget_decisions(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_transaction(session: Session, _transaction: object) -> None:
    forget_decisions(session)


def role_in(session: Session, user: Any, consultation: Consultation | int) -> Role | None:
    """The user's role in a consultation, or None (looked up once per transaction)."""
    if not isinstance(user, User) or not user.is_active:
        return None
    consultation_id = consultation if isinstance(consultation, int) else consultation.id
    decided = _decided(session)
    key = ("role", user.id, consultation_id)
    if key not in decided:
        role = session.scalar(
            select(Membership.role).where(
                Membership.consultation_id == consultation_id, Membership.user_id == user.id
            )
        )
        decided[key] = Role(role) if role else None
    found: Role | None = decided[key]
    return found


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
    """Editors (and admins) read every revision; observers read published ones;
    participants and municipalities read the revisions of rounds they are invited to."""
    if is_admin(user):
        return True
    role = role_in(session, user, revision.consultation_id)
    if role is Role.EDITOR:
        return True
    if revision.status == RevisionStatus.DRAFT.value:
        return False
    if role is Role.OBSERVER:
        return True
    if role in (Role.PARTICIPANT, Role.MUNICIPALITY):
        return revision.id in _invitations(session, user, revision.consultation_id).values()
    return False


def readable_revisions(
    session: Session, user: Any, revisions: Sequence[Revision]
) -> list[Revision]:
    """The revisions the user may read (:func:`can_read_revision`), in the given order;
    one decision per consultation, whatever the number of revisions."""
    return [r for r in revisions if can_read_revision(session, user, r)]


def can_edit_revision(session: Session, user: Any, revision: Any) -> bool:
    """Write access to a revision's text and structure (drafts only; see services)."""
    return can_edit_consultation(session, user, revision.consultation)


def can_manage_members(session: Session, user: Any, consultation: Consultation) -> bool:
    return can_edit_consultation(session, user, consultation)


# --- rounds and feedback -------------------------------------------------------------


@dataclass
class FeedbackViewer:
    """What decides which feedback of one consultation a user may see (built once)."""

    user_id: int | None
    is_editor: bool
    #: Rounds the user is invited to.
    invited_round_ids: set[int] = field(default_factory=set)
    #: Working groups of the user in this consultation.
    group_ids: set[int] = field(default_factory=set)
    #: Working groups of every member of a group in this consultation, by user id.
    groups_by_user: dict[int, set[int]] = field(default_factory=dict)
    #: The municipality (organisation id) the user acts for as a municipality member.
    municipality_id: int | None = None
    #: A member of the consultation (or an admin).
    is_member: bool = False


def _invitations(session: Session, user: Any, consultation_id: int) -> dict[int, int]:
    """The revision of each round the user is invited to, by round id (one query, once
    per transaction)."""
    if not isinstance(user, User) or not user.is_active:
        return {}
    decided = _decided(session)
    key = ("invitations", user.id, consultation_id)
    if key not in decided:
        invited: ColumnElement[bool] = Round.id.in_(_rounds_through_groups(user))
        if role_in(session, user, consultation_id) is Role.MUNICIPALITY:
            invited = or_(invited, Round.includes_municipalities.is_(True))
        rows = session.execute(
            select(Round.id, Round.revision_id).where(
                Round.consultation_id == consultation_id, invited
            )
        )
        decided[key] = {round_id: revision_id for round_id, revision_id in rows}
    found: dict[int, int] = decided[key]
    return found


def _rounds_through_groups(user: User) -> Select[int]:
    """The ids of the rounds that invite one of the user's working groups (a subquery)."""
    return (
        select(RoundGroup.round_id)
        .join(
            WorkingGroupMember, WorkingGroupMember.working_group_id == RoundGroup.working_group_id
        )
        .where(WorkingGroupMember.user_id == user.id)
    )


def decide_many(session: Session, user: Any, consultation_ids: Collection[int]) -> None:
    """Look up the user's role and invitations in all these consultations at once and keep
    them for the transaction, as :func:`role_in` and :func:`invited_round_ids` do one
    consultation at a time (two queries, however many consultations): the predicates
    asked afterwards about these consultations (:func:`readable_rounds`,
    :func:`can_read_revision`, ...) ask the database nothing. Raises nothing."""
    if not isinstance(user, User) or not user.is_active:
        return
    decided = _decided(session)
    wanted = sorted(
        c
        for c in set(consultation_ids)
        if ("role", user.id, c) not in decided or ("invitations", user.id, c) not in decided
    )
    if not wanted:
        return
    roles = {
        consultation_id: role
        for consultation_id, role in session.execute(
            select(Membership.consultation_id, Membership.role).where(
                Membership.user_id == user.id, Membership.consultation_id.in_(wanted)
            )
        )
    }
    for consultation_id in wanted:
        role = roles.get(consultation_id)
        decided.setdefault(("role", user.id, consultation_id), Role(role) if role else None)
    municipal = [c for c in wanted if decided[("role", user.id, c)] is Role.MUNICIPALITY]
    invited: ColumnElement[bool] = Round.id.in_(_rounds_through_groups(user))
    if municipal:
        invited = or_(
            invited,
            Round.includes_municipalities.is_(True) & Round.consultation_id.in_(municipal),
        )
    found: dict[int, dict[int, int]] = {c: {} for c in wanted}
    for consultation_id, round_id, revision_id in session.execute(
        select(Round.consultation_id, Round.id, Round.revision_id).where(
            Round.consultation_id.in_(wanted), invited
        )
    ):
        found[consultation_id][round_id] = revision_id
    for consultation_id in wanted:
        decided.setdefault(("invitations", user.id, consultation_id), found[consultation_id])


def invited_round_ids(session: Session, user: Any, consultation_id: int) -> set[int]:
    """Rounds the user is invited to: through a working group, or as a municipality."""
    return set(_invitations(session, user, consultation_id))


def feedback_viewer(session: Session, user: Any, consultation: Consultation) -> FeedbackViewer:
    if not isinstance(user, User) or not user.is_active:
        return FeedbackViewer(user_id=None, is_editor=False)
    viewer = FeedbackViewer(
        user_id=user.id,
        is_editor=can_edit_consultation(session, user, consultation),
        invited_round_ids=invited_round_ids(session, user, consultation.id),
        municipality_id=municipality_of(session, user, consultation.id),
        is_member=is_admin(user) or role_in(session, user, consultation) is not None,
    )
    rows = session.execute(
        select(WorkingGroupMember.user_id, WorkingGroupMember.working_group_id)
        .join(WorkingGroup, WorkingGroup.id == WorkingGroupMember.working_group_id)
        .where(WorkingGroup.consultation_id == consultation.id)
    )
    for member_id, group_id in rows:
        viewer.groups_by_user.setdefault(member_id, set()).add(group_id)
    viewer.group_ids = viewer.groups_by_user.get(user.id, set())
    return viewer


def can_see_feedback(
    viewer: FeedbackViewer,
    *,
    author_id: int,
    round_id: int,
    visibility: str,
    round_group_ids: set[int],
) -> bool:
    """Editors see everything, authors their own; others as the round's visibility allows:
    ``round``: everyone invited; ``group``: members of the author's working groups that
    take part in the round; ``editors``: nobody else."""
    if viewer.is_editor or (viewer.user_id is not None and viewer.user_id == author_id):
        return True
    if visibility == "round":
        return round_id in viewer.invited_round_ids
    if visibility == "group":
        shared = viewer.groups_by_user.get(author_id, set()) & viewer.group_ids & round_group_ids
        return bool(shared) and round_id in viewer.invited_round_ids
    return False


def can_read_round(session: Session, user: Any, round_: Any) -> bool:
    """Editors and the people invited to the round."""
    if is_admin(user) or role_in(session, user, round_.consultation_id) is Role.EDITOR:
        return True
    return round_.id in _invitations(session, user, round_.consultation_id)


def can_read_published_responses(session: Session, user: Any, round_: Any) -> bool:
    """A round's published response table: who may read the round, and the
    consultation's observers (council members follow the procedure)."""
    if can_read_round(session, user, round_):
        return True
    return role_in(session, user, round_.consultation_id) is Role.OBSERVER


def readable_rounds(session: Session, user: Any, rounds: Sequence[T]) -> list[T]:
    """The rounds the user may read (:func:`can_read_round`), in the given order; one
    decision per consultation, whatever the number of rounds."""
    return [r for r in rounds if can_read_round(session, user, r)]


def can_manage_rounds(session: Session, user: Any, consultation: Consultation) -> bool:
    return can_edit_consultation(session, user, consultation)


def can_give_feedback(session: Session, user: Any, round_: Any) -> bool:
    """Invited to the round (whether it is open is checked by the services: 409)."""
    return round_.id in _invitations(session, user, round_.consultation_id)


def can_moderate_feedback(session: Session, user: Any, consultation: Consultation) -> bool:
    """Resolve, reopen and answer any feedback at any time."""
    return can_edit_consultation(session, user, consultation)


def can_decide_feedback(session: Session, user: Any, consultation: Consultation) -> bool:
    """Deciding on feedback, assigning it, snippets, publishing decisions, merging: the
    consultation's editors (and the administration, as for every editor's action)."""
    return can_edit_consultation(session, user, consultation)


def require_decider(session: Session, actor: Any, consultation: Consultation) -> User:
    """The acting user if they may decide on the consultation's feedback (and keep its
    snippets). Raises NotAuthenticated, NotPermitted."""
    user = require_user(actor)
    require(
        can_decide_feedback(session, user, consultation),
        _("Nur die Redaktion entscheidet über Beiträge."),
    )
    return user


def can_edit_feedback(user: Any, feedback: Any) -> bool:
    """Edit, withdraw or restore a comment or suggestion: its author only, not the colleagues who
    see it, the editors or the admins (whether the round and the item are still open is
    checked by the services: 409). A statement's section remark not at all: it changes
    with a new version of the statement."""
    return (
        isinstance(user, User)
        and user.is_active
        and feedback.author_id == user.id
        # A statement's remark changes only with a new version of the statement.
        and getattr(feedback, "kind", None) != "remark"
    )


# --- statements of the municipalities --------------------------------------------------


def municipality_of(session: Session, user: Any, consultation_id: int) -> int | None:
    """The municipality (organisation id) the user acts for in the consultation: a member
    with role municipality whose organisation is a municipality; else None."""
    if role_in(session, user, consultation_id) is not Role.MUNICIPALITY:
        return None
    organisation = user.organisation
    if organisation is None or organisation.kind != "municipality" or not organisation.is_active:
        return None
    found: int = organisation.id
    return found


def _signatory(session: Session, user: Any, consultation_id: int) -> tuple[bool, str | None]:
    """(is a signatory, function) of a municipality member (looked up once per transaction)."""
    decided = _decided(session)
    key = ("signatory", user.id, consultation_id)
    if key not in decided:
        row = session.execute(
            select(Membership.is_signatory, Membership.signatory_function).where(
                Membership.consultation_id == consultation_id, Membership.user_id == user.id
            )
        ).one_or_none()
        decided[key] = (bool(row[0]), row[1]) if row is not None else (False, None)
    found: tuple[bool, str | None] = decided[key]
    return found


def is_signatory(session: Session, user: Any, consultation_id: int) -> bool:
    """Whether the user signs for their municipality (mayor or deputy), not drafting staff."""
    if municipality_of(session, user, consultation_id) is None:
        return False
    return _signatory(session, user, consultation_id)[0]


def signatory_function(session: Session, user: Any, consultation_id: int) -> str:
    """The signatory's function as their membership names it ("" when none is set)."""
    if municipality_of(session, user, consultation_id) is None:
        return ""
    return _signatory(session, user, consultation_id)[1] or ""


def acts_for(session: Session, user: Any, round_: Any, organisation_id: int) -> bool:
    """A member of this municipality, in a round that asks the municipalities."""
    return (
        bool(round_.includes_municipalities)
        and municipality_of(session, user, round_.consultation_id) == organisation_id
    )


def can_draft_statement(session: Session, user: Any, round_: Any, organisation_id: int) -> bool:
    """Save a draft of the municipality's statement: its staff and its signatories."""
    return acts_for(session, user, round_, organisation_id)


def can_submit_statement(session: Session, user: Any, round_: Any, organisation_id: int) -> bool:
    """Submit, release or return the municipality's statement: its signatories only."""
    return acts_for(session, user, round_, organisation_id) and is_signatory(
        session, user, round_.consultation_id
    )


def can_record_statement(session: Session, user: Any, round_: Any) -> bool:
    """Record a statement that came on paper, extend a municipality's deadline, remind,
    publish: the consultation's editors."""
    return is_admin(user) or role_in(session, user, round_.consultation_id) is Role.EDITOR


def can_read_statement(
    session: Session, user: Any, round_: Any, organisation_id: int, *, published: bool
) -> bool:
    """A municipality's submitted statement: the editors, the municipality's own members,
    and, once the editors published the round's statements, every member of the
    consultation."""
    if can_record_statement(session, user, round_) or acts_for(
        session, user, round_, organisation_id
    ):
        return True
    return published and role_in(session, user, round_.consultation_id) is not None


def can_read_statement_draft(
    session: Session, user: Any, round_: Any, organisation_id: int
) -> bool:
    """A statement's draft (not yet an official statement): the municipality's members."""
    return acts_for(session, user, round_, organisation_id)


def can_see_remark(
    viewer: FeedbackViewer,
    *,
    author_id: int,
    organisation_id: int | None,
    round_id: int,
    published_round_ids: Collection[int],
) -> bool:
    """A section remark of a statement (feedback of kind remark): editors, its author, the
    members of its municipality, and everyone who may see the round once its statements
    are published."""
    if viewer.is_editor or (viewer.user_id is not None and viewer.user_id == author_id):
        return True
    if organisation_id is not None and viewer.municipality_id == organisation_id:
        return True
    return round_id in published_round_ids and viewer.is_member


# --- issue 13: the committee package (consult.services.package, export_jobs) -------------


def can_build_package(session: Session, user: Any, round_: Any) -> bool:
    """Build and download a round's committee package (the council's papers, with the
    statements' attachments and everyone's feedback unpublished): the consultation's
    editors and the administration."""
    return is_admin(user) or role_in(session, user, round_.consultation_id) is Role.EDITOR
