"""The response table (Abwägungstabelle) of a round: every comment and suggestion with its
decision and response, numbered, for the committee; and its publication.

Editors may read it at any time; the round's participants and the consultation's
observers once the editors published it. Options leave out personal names (the
organisation stays) or the feedback's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict
from consult.models import (
    Consultation,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Organisation,
    Placement,
    PublicationKind,
    Round,
    RoundPublication,
    SectionVersion,
    User,
)
from consult.services import access, audit, decisions, feedback_versions, permissions
from consult.services.locks import lock


@dataclass(frozen=True)
class ResponseRow:
    """One line of the table."""

    number: int
    feedback_id: int
    kind: str
    section_id: int
    section_key: str
    section_title: str
    organisation: str | None
    #: None when the table leaves out personal names.
    author: str | None
    quote: str | None
    #: The comment, or a suggestion's reason ("" when the table leaves out the text).
    text: str
    #: A suggestion's proposed text (None for comments, or when the text is left out).
    replacement: str | None
    decision: str | None
    response: str
    #: accept_modified: the editor's text.
    accepted_text: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ResponseTable:
    consultation: Consultation
    round: Round
    rows: list[ResponseRow]
    with_names: bool
    with_text: bool
    published_at: datetime | None


def can_read(session: Session, actor: object, round_: Round) -> bool:
    """Editors always; those who may read the round once the table is published."""
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    if permissions.can_decide_feedback(session, actor, consultation):
        return True
    published = decisions.publication(session, round_.id, PublicationKind.RESPONSES)
    return published is not None and permissions.can_read_published_responses(
        session, actor, round_
    )


def response_table(
    session: Session,
    round_id: int,
    *,
    actor: object,
    with_names: bool = True,
    with_text: bool = True,
) -> ResponseTable:
    """The round's response table. Raises NotFound (an unknown round, or one the actor may
    not see), NotPermitted (not published yet for a participant or observer; published,
    but the actor is neither invited to the round nor an observer)."""
    round_ = access.get_round_for_responses(session, round_id, actor=actor)
    if not can_read(session, actor, round_):
        published = decisions.publication(session, round_.id, PublicationKind.RESPONSES)
        permissions.require(
            False,
            _("Die Abwägungstabelle dieser Runde ist noch nicht veröffentlicht.")
            if published is None
            else _(
                "Die Abwägungstabelle dieser Runde lesen die Eingeladenen der Runde, die "
                "Beobachtenden des Verfahrens und die Redaktion."
            ),
        )
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    sections = {
        section_id: (key, title)
        for section_id, key, title in session.execute(
            select(Placement.section_id, Placement.key, SectionVersion.title)
            .join(SectionVersion, SectionVersion.id == Placement.version_id)
            .where(Placement.revision_id == round_.revision_id)
        )
    }
    query = (
        select(Feedback, FeedbackReview, User.name, Organisation.name)
        .join(User, User.id == Feedback.author_id)
        .outerjoin(Organisation, Organisation.id == Feedback.organisation_id)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.round_id == round_.id, Feedback.withdrawn_at.is_(None))
        .order_by(Feedback.id)
    )
    rows = []
    gone = _("(Abschnitt entfallen)")
    for number, (feedback, review, author, organisation) in enumerate(
        session.execute(query), start=1
    ):
        key, title = sections.get(feedback.section_id, ("", gone))
        is_suggestion = feedback.kind == FeedbackKind.SUGGESTION.value
        rows.append(
            ResponseRow(
                number=number,
                feedback_id=feedback.id,
                kind=feedback.kind,
                section_id=feedback.section_id,
                section_key=key,
                section_title=title,
                organisation=organisation,
                author=author if with_names else None,
                quote=feedback.quote,
                text=feedback.body if with_text else "",
                replacement=(feedback.replacement if is_suggestion else None)
                if with_text
                else None,
                decision=review.decision if review is not None else None,
                response=review.response if review is not None else "",
                accepted_text=review.replacement if review is not None else None,
                status=feedback.status,
                created_at=feedback.created_at,
            )
        )
    published = decisions.publication(session, round_.id, PublicationKind.RESPONSES)
    return ResponseTable(
        consultation=consultation,
        round=round_,
        rows=rows,
        with_names=with_names,
        with_text=with_text,
        published_at=published.published_at if published else None,
    )


def publish_responses(
    session: Session, round_id: int, *, actor: object, now: datetime | None = None
) -> Round:
    """Make the round's response table readable for its participants and the
    consultation's observers. Raises NotFound, NotPermitted (not an editor), Conflict
    (``already_published``)."""
    round_ = access.get_round(session, round_id, actor=actor)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    user = permissions.require_user(actor)
    permissions.require(
        permissions.can_decide_feedback(session, user, consultation),
        _("Nur die Redaktion veröffentlicht die Abwägungstabelle."),
    )
    lock(session, round_)
    if decisions.publication(session, round_.id, PublicationKind.RESPONSES) is not None:
        raise Conflict(
            _("Die Abwägungstabelle dieser Runde ist schon veröffentlicht."),
            code="already_published",
        )
    session.add(
        RoundPublication(
            round_id=round_.id,
            kind=PublicationKind.RESPONSES.value,
            published_by_id=user.id,
            published_at=now or utcnow(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="responses.published",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
    )
    feedback_versions.bump(session, consultation.id)
    return round_
