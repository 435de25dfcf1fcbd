"""Writing feedback: comments and suggestions on a revision's text, replies (with
e-mails to the thread), edits, withdrawals (and their undoing), resolving. Reading it is
:mod:`consult.services.feedback_views`; where it stands in later revisions,
:mod:`consult.services.feedback_locations`.

Every function takes the session first and the acting user as ``actor``, flushes, never
commits, and moves the consultation's feedback version (so cached reading views renew).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.db import utcnow
from consult.domain.anchoring import Anchor
from consult.errors import Conflict, Invalid, NotFound, ServiceError
from consult.models import (
    Feedback,
    FeedbackEdit,
    FeedbackKind,
    Placement,
    Reply,
    Revision,
    Round,
    User,
)
from consult.services import access, feedback_versions, mail, permissions, rounds
from consult.services.feedback_input import anchor_from_quote, clean_text, parse_anchor

_UNSET: Any = object()


def _placement(session: Session, revision: Revision, section_id: int) -> Placement:
    placement = session.scalar(
        select(Placement)
        .where(Placement.revision_id == revision.id, Placement.section_id == section_id)
        .options(joinedload(Placement.version))
    )
    if placement is None:
        raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
    return placement


def _new_feedback(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    kind: FeedbackKind,
    anchor: object,
    quote: str | None,
    now: datetime | None,
) -> tuple[Feedback, str]:
    user = permissions.require_user(actor)
    revision = access.get_revision(session, revision_id, actor=actor)
    placement = _placement(session, revision, section_id)
    round_ = rounds.feedback_round(session, revision, user, now)
    body_text = placement.version.body
    located: Anchor | None
    if quote:
        located = anchor_from_quote(body_text, quote)
    elif anchor is None:
        if kind is FeedbackKind.SUGGESTION:
            raise Invalid(
                _("Ein Änderungsvorschlag braucht eine Textstelle (anchor)."),
                code="invalid_anchor",
            )
        located = None
    else:
        located = parse_anchor(body_text, anchor, insertion_allowed=kind is FeedbackKind.SUGGESTION)
    feedback = Feedback(
        kind=kind.value,
        consultation_id=revision.consultation_id,
        round_id=round_.id,
        revision_id=revision.id,
        section_id=section_id,
        version_id=placement.version_id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        status="open",
        created_at=now or utcnow(),
    )
    if located is not None:
        feedback.anchor_start, feedback.anchor_end = located.start, located.end
        feedback.quote, feedback.prefix, feedback.suffix = (
            located.quote,
            located.prefix,
            located.suffix,
        )
    return feedback, body_text


def create_comment(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    body: str,
    anchor: Mapping[str, object] | None = None,
    quote: str | None = None,
    now: datetime | None = None,
) -> Feedback:
    """A comment on a text range (anchor) or the whole section (anchor None).

    ``quote`` (forms without JavaScript) anchors on a phrase typed by hand. Raises
    NotFound, NotPermitted (not invited), Conflict (round not open), Invalid.
    """
    text = clean_text(body, "body", _("Der Kommentar"))
    feedback, _body_text = _new_feedback(
        session,
        revision_id,
        section_id,
        actor=actor,
        kind=FeedbackKind.COMMENT,
        anchor=anchor,
        quote=quote,
        now=now,
    )
    feedback.body = text
    session.add(feedback)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def create_suggestion(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    replacement: str,
    anchor: Mapping[str, object] | None = None,
    reason: str | None = None,
    quote: str | None = None,
    now: datetime | None = None,
) -> Feedback:
    """A proposed replacement of a range (insertion: start == end; deletion: ""). Raises NotFound,
    NotPermitted (not invited), Conflict (round not open), Invalid."""
    new_text = clean_text(replacement, "replacement", _("Der neue Text"), allow_empty=True)
    why = clean_text(reason, "reason", _("Die Begründung"), required=False)
    feedback, _body_text = _new_feedback(
        session,
        revision_id,
        section_id,
        actor=actor,
        kind=FeedbackKind.SUGGESTION,
        anchor=anchor,
        quote=quote,
        now=now,
    )
    if feedback.quote == new_text:
        raise Invalid(
            _("Der Vorschlag ändert nichts am Text."),
            code="no_change",
            fields={"replacement": _("Bitte den Text ändern.")},
        )
    feedback.replacement = new_text
    feedback.body = why
    session.add(feedback)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def _require_open_round(session: Session, feedback: Feedback, now: datetime | None) -> None:
    round_ = session.get(Round, feedback.round_id)
    assert round_ is not None
    if round_.status_at(now or utcnow()) != "open":
        raise Conflict(
            _("Die Beteiligungsrunde ist beendet; Beiträge lassen sich nicht mehr ändern."),
            code="round_closed",
        )


def require_can_reply(
    session: Session, feedback: Feedback, *, actor: object, now: datetime | None = None
) -> None:
    """Raise unless the actor may answer in this (visible) thread now: editors at any
    time, the round's invited people while it is open; never once it is withdrawn."""
    user = permissions.require_user(actor)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    if not permissions.can_moderate_feedback(session, user, revision.consultation):
        round_ = session.get(Round, feedback.round_id)
        assert round_ is not None
        permissions.require(
            permissions.can_give_feedback(session, user, round_),
            _("Sie sind zu dieser Beteiligungsrunde nicht eingeladen."),
        )
        _require_open_round(session, feedback, now)
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Beitrag wurde zurückgezogen."), code="withdrawn")


def reply(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    body: str,
    now: datetime | None = None,
    notify: bool = True,
) -> Reply:
    """A reply in the thread. Editors may answer at any time, others while the round is open.

    The thread's author and everyone who answered before get an e-mail (unless they
    turned that off, or can no longer see the thread).
    Raises NotFound, NotPermitted (not invited), Conflict (round closed, withdrawn), Invalid."""
    user = permissions.require_user(actor)
    text = clean_text(body, "body", _("Die Antwort"))
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    require_can_reply(session, feedback, actor=user, now=now)
    answer = Reply(
        feedback_id=feedback.id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        body=text,
        created_at=now or utcnow(),
    )
    session.add(answer)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    if notify:
        _notify_thread(session, feedback, answer, user)
    return answer


def _notify_thread(session: Session, feedback: Feedback, answer: Reply, replier: User) -> None:
    earlier = session.scalars(
        select(Reply.author_id).where(Reply.feedback_id == feedback.id, Reply.id != answer.id)
    )
    people = dict.fromkeys([feedback.author_id, *earlier])
    people.pop(replier.id, None)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    wanting = session.scalars(
        select(User)
        .where(User.id.in_(list(people)), User.is_active.is_(True), User.notify_replies.is_(True))
        .order_by(User.id)
    )
    for person in wanting:
        try:
            access.get_feedback(session, feedback.id, actor=person)
        except ServiceError:
            continue  # no longer allowed to see it (e.g. left the working group)
        mail.queue_template(
            session,
            person,
            "reply_notice",
            feedback=feedback,
            reply=answer,
            replier=replier,
            consultation=revision.consultation,
        )


def edit(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    body: str = _UNSET,
    replacement: str = _UNSET,
    now: datetime | None = None,
) -> Feedback:
    """The author changes the text while the round is open; the earlier text is kept. Raises
    NotFound, NotPermitted (not the author), Conflict (round closed; decided or withdrawn),
    Invalid."""
    user = permissions.require_user(actor)
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    permissions.require(
        permissions.can_edit_feedback(user, feedback),
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag bearbeiten."),
    )
    _require_open_round(session, feedback, now)
    if feedback.withdrawn_at is not None or feedback.status not in ("open",):
        raise Conflict(_("Dieser Beitrag kann nicht mehr bearbeitet werden."), code="not_editable")
    is_suggestion = feedback.kind == FeedbackKind.SUGGESTION.value
    new_body = feedback.body
    if body is not _UNSET:
        new_body = clean_text(body, "body", _("Der Text"), required=not is_suggestion)
    new_replacement = feedback.replacement
    if replacement is not _UNSET:
        if not is_suggestion:
            raise Invalid(_("Ein Kommentar hat keinen neuen Text."), code="invalid_replacement")
        new_replacement = clean_text(
            replacement, "replacement", _("Der neue Text"), allow_empty=True
        )
        if new_replacement == feedback.quote:
            raise Invalid(_("Der Vorschlag ändert nichts am Text."), code="no_change")
    if new_body == feedback.body and new_replacement == feedback.replacement:
        return feedback
    stamp = now or utcnow()
    session.add(
        FeedbackEdit(
            feedback_id=feedback.id,
            body=feedback.body,
            replacement=feedback.replacement,
            edited_at=stamp,
        )
    )
    feedback.body, feedback.replacement, feedback.updated_at = new_body, new_replacement, stamp
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def withdraw(
    session: Session, feedback_id: int, *, actor: object, now: datetime | None = None
) -> Feedback:
    """The author withdraws their comment or suggestion (it stays on record). Raises NotFound,
    NotPermitted (not the author), Conflict (withdrawn already, decided, round closed)."""
    user = permissions.require_user(actor)
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    permissions.require(
        permissions.can_edit_feedback(user, feedback),
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag zurückziehen."),
    )
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Beitrag ist schon zurückgezogen."), code="withdrawn")
    if feedback.status not in ("open", "resolved"):
        raise Conflict(_("Über diesen Vorschlag ist schon entschieden."), code="decided")
    _require_open_round(session, feedback, now)
    feedback.withdrawn_at = now or utcnow()
    if feedback.kind == FeedbackKind.SUGGESTION.value:
        feedback.status = "withdrawn"
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def restore(
    session: Session, feedback_id: int, *, actor: object, now: datetime | None = None
) -> Feedback:
    """The author takes back the withdrawal of their comment or suggestion while its round
    is open (the undo of :func:`withdraw`): it is shown again as before. Raises NotFound,
    NotPermitted (not the author), Conflict (not withdrawn, round closed)."""
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    permissions.require(
        permissions.can_edit_feedback(actor, feedback),
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag wiederherstellen."),
    )
    if feedback.withdrawn_at is None:
        raise Conflict(_("Der Beitrag ist nicht zurückgezogen."), code="not_withdrawn")
    _require_open_round(session, feedback, now)
    feedback.withdrawn_at = None
    if feedback.kind == FeedbackKind.SUGGESTION.value:
        feedback.status = "open"  # withdraw() took it from open (decided ones cannot be)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def set_resolved(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    resolved: bool,
    now: datetime | None = None,
) -> Feedback:
    """Resolve or reopen a comment thread (editors and the comment's author). Raises NotFound (also
    for a suggestion), NotPermitted, Conflict (withdrawn)."""
    user = permissions.require_user(actor)
    feedback = access.get_feedback(session, feedback_id, actor=actor, kind=FeedbackKind.COMMENT)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    permissions.require(
        feedback.author_id == user.id
        or permissions.can_moderate_feedback(session, user, revision.consultation),
        _("Nur die Redaktion und die Verfasserin oder der Verfasser können das."),
    )
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Kommentar wurde zurückgezogen."), code="withdrawn")
    feedback.status = "resolved" if resolved else "open"
    feedback.resolved_at = (now or utcnow()) if resolved else None
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback
