"""Permission-checked loaders: load a row by id, check that the actor may see it (or act
on it), else raise NotFound or NotPermitted.

Every other service loads consultations, revisions, rounds, working groups, feedback,
organisations and users through these, so that services never need each other just to
load something (and never import each other in a circle). The checks are the predicates
of :mod:`consult.services.permissions`.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import fits_id, is_id
from consult.errors import Conflict, NotFound
from consult.models import (
    Consultation,
    Feedback,
    FeedbackKind,
    Organisation,
    PublicationKind,
    Revision,
    Round,
    RoundPublication,
    User,
    WorkingGroup,
)
from consult.services import permissions
from consult.services.locks import lock


def get_consultation(session: Session, consultation_id: int, *, actor: object) -> Consultation:
    """A consultation the actor may see. Raises NotFound otherwise."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or not permissions.can_view_consultation(session, actor, consultation):
        raise NotFound(_("Dieses Beteiligungsverfahren gibt es nicht."))
    return consultation


def editable_consultation(session: Session, consultation_id: int, *, actor: object) -> Consultation:
    """A consultation whose drafts the actor may create, locked until the transaction ends
    (of two editors creating a draft at once, the second sees the first one's draft).
    Raises NotFound, NotPermitted."""
    consultation = get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_edit_consultation(session, actor, consultation),
        _("Nur die Redaktion darf Fassungen anlegen und bearbeiten."),
    )
    return lock(session, consultation)


def get_revision(session: Session, revision_id: int, *, actor: object) -> Revision:
    """A revision the actor may read. Raises NotFound otherwise (no hint that it exists)."""
    revision = session.get(Revision, revision_id) if fits_id(revision_id) else None
    if revision is None or not permissions.can_read_revision(session, actor, revision):
        raise NotFound(_("Diese Fassung gibt es nicht oder Sie dürfen sie nicht sehen."))
    return revision


def editable_revision(session: Session, revision_id: int, *, actor: object) -> Revision:
    """A draft the actor may edit, locked until the transaction ends (of two editors
    saving at once, the second sees the first one's save). Raises NotFound,
    NotPermitted, Conflict (published revisions never change)."""
    revision = get_revision(session, revision_id, actor=actor)
    permissions.require(
        permissions.can_edit_revision(session, actor, revision),
        _("Nur die Redaktion darf Fassungen bearbeiten."),
    )
    lock(session, revision)
    if not revision.is_draft:
        raise Conflict(
            _(
                "Fassung %(n)s ist veröffentlicht und kann nicht mehr geändert werden. "
                "Legen Sie einen neuen Entwurf an.",
                n=revision.number,
            ),
            code="revision_published",
        )
    return revision


def get_round(session: Session, round_id: int, *, actor: object) -> Round:
    """A round the actor may see (editors, invited people). Raises NotFound otherwise."""
    round_ = session.get(Round, round_id)
    if round_ is None or not permissions.can_read_round(session, actor, round_):
        raise NotFound(_("Diese Beteiligungsrunde gibt es nicht."))
    return round_


def get_round_for_responses(session: Session, round_id: int, *, actor: object) -> Round:
    """A round whose response table the actor might read: any round of a consultation
    the actor takes part in (whether it is published for them is for the caller to
    check: 403). Raises NotFound otherwise."""
    round_ = session.get(Round, round_id) if is_id(round_id) else None
    consultation = session.get(Consultation, round_.consultation_id) if round_ is not None else None
    if (
        round_ is None
        or consultation is None
        or not permissions.can_view_consultation(session, actor, consultation)
    ):
        raise NotFound(_("Diese Beteiligungsrunde gibt es nicht."))
    return round_


def get_working_group(session: Session, group_id: int, *, actor: object) -> WorkingGroup:
    """A working group of a consultation the actor may see. Raises NotFound otherwise."""
    group = session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound(_("Diesen Arbeitskreis gibt es nicht."))
    get_consultation(session, group.consultation_id, actor=actor)
    return group


def sees_withdrawn(viewer: permissions.FeedbackViewer, author_id: int) -> bool:
    """Whether the viewer sees withdrawn feedback of this author (editors, the author).
    Raises nothing."""
    return viewer.is_editor or viewer.user_id == author_id


def get_feedback(
    session: Session, feedback_id: int, *, actor: object, kind: FeedbackKind | None = None
) -> Feedback:
    """Feedback the actor may see (withdrawn feedback only its author and editors).
    Raises NotFound otherwise, also when it is not of the ``kind`` asked for."""
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or (kind is not None and feedback.kind != kind.value):
        raise NotFound(_("Diesen Beitrag gibt es nicht."))
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    viewer = permissions.feedback_viewer(session, actor, revision.consultation)
    round_ = session.get(Round, feedback.round_id)
    assert round_ is not None
    if feedback.kind == FeedbackKind.REMARK.value:
        seen = permissions.can_see_remark(
            viewer,
            author_id=feedback.author_id,
            organisation_id=feedback.organisation_id,
            round_id=round_.id,
            published_round_ids=statement_rounds_published(session, revision.consultation_id),
        )
    else:
        seen = permissions.can_see_feedback(
            viewer,
            author_id=feedback.author_id,
            round_id=round_.id,
            visibility=round_.visibility,
            round_group_ids=set(round_.working_group_ids),
        )
    if not seen or (
        feedback.withdrawn_at is not None and not sees_withdrawn(viewer, feedback.author_id)
    ):
        raise NotFound(_("Diesen Beitrag gibt es nicht."))
    return feedback


def statement_rounds_published(session: Session, consultation_id: int) -> set[int]:
    """The rounds of a consultation whose statements (and so their section remarks) the
    editors published. Raises nothing."""
    return set(
        session.scalars(
            select(RoundPublication.round_id)
            .join(Round, Round.id == RoundPublication.round_id)
            .where(
                Round.consultation_id == consultation_id,
                RoundPublication.kind == PublicationKind.STATEMENTS.value,
            )
        )
    )


def get_organisation(session: Session, organisation_id: int, *, actor: object) -> Organisation:
    """An organisation (every signed-in user may see them). Raises NotPermitted, NotFound."""
    permissions.require(permissions.can_list_organisations(actor))
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(_("Diese Organisation gibt es nicht."))
    return org


def get_user(session: Session, user_id: int, *, actor: object) -> User:
    """A user, for the administration. Raises NotPermitted (not an admin), NotFound."""
    permissions.require(permissions.can_manage_accounts(actor))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Diese Person gibt es nicht."))
    return user
