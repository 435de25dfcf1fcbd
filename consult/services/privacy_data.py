"""What is stored about a person, as one JSON document (Art. 15 DSGVO, right of access).

:func:`collect` gathers everything the app keeps that names or belongs to a user: the
account, their roles in consultations and working groups, the feedback they wrote
(comments, suggestions, statement remarks) with its replies and the decisions on it as far
as they are published, their own replies elsewhere, the statements they submitted, drafted,
released or returned, the e-mails sent (or waiting) to them, their API tokens (names and
dates only, never the secret) and what is recorded about logins. services.privacy checks
who may ask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from consult.models import (
    ApiToken,
    Consultation,
    Feedback,
    FeedbackReview,
    Membership,
    OutboxMessage,
    PublicationKind,
    Reply,
    Round,
    RoundPublication,
    Statement,
    StatementVersion,
    User,
    WorkingGroup,
    WorkingGroupMember,
)

#: The version of the document's layout (changes when fields are renamed or removed).
FORMAT_VERSION = 1


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _account(user: User) -> dict[str, Any]:
    org = user.organisation
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "organisation": {"id": org.id, "name": org.name, "kind": org.kind} if org else None,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "locale": user.locale,
        "notify_replies": user.notify_replies,
        "created_at": _at(user.created_at),
        "has_password": user.password_hash is not None,
    }


def _memberships(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Membership, Consultation.title)
        .join(Consultation, Consultation.id == Membership.consultation_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
    )
    return [
        {
            "consultation_id": m.consultation_id,
            "consultation_title": title,
            "role": m.role,
            "is_signatory": m.is_signatory,
            "signatory_function": m.signatory_function,
            "since": _at(m.created_at),
        }
        for m, title in rows
    ]


def _working_groups(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(WorkingGroup)
        .join(WorkingGroupMember, WorkingGroupMember.working_group_id == WorkingGroup.id)
        .where(WorkingGroupMember.user_id == user.id)
        .order_by(WorkingGroup.id)
    )
    return [{"id": g.id, "consultation_id": g.consultation_id, "name": g.name} for g in rows]


def _reply(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "feedback_id": reply.feedback_id,
        "author": reply.author.name,
        "organisation": reply.organisation.name if reply.organisation else None,
        "body": reply.body,
        "created_at": _at(reply.created_at),
    }


def _published_decision_rounds(session: Session, round_ids: set[int]) -> set[int]:
    if not round_ids:
        return set()
    return set(
        session.scalars(
            select(RoundPublication.round_id).where(
                RoundPublication.round_id.in_(round_ids),
                RoundPublication.kind == PublicationKind.DECISIONS.value,
            )
        )
    )


def _feedback(session: Session, user: User) -> list[dict[str, Any]]:
    items = list(
        session.scalars(select(Feedback).where(Feedback.author_id == user.id).order_by(Feedback.id))
    )
    published = _published_decision_rounds(session, {f.round_id for f in items})
    reviews = {
        r.feedback_id: r
        for r in session.scalars(
            select(FeedbackReview).where(FeedbackReview.feedback_id.in_([f.id for f in items]))
        )
    }
    result = []
    for item in items:
        review = reviews.get(item.id)
        decision = None
        # The editors' working state is theirs until they publish it for the round.
        if item.round_id in published and review is not None and review.decision is not None:
            decision = {
                "decision": review.decision,
                "response": review.response,
                "replacement": review.replacement,
                "decided_at": _at(review.decided_at),
            }
        result.append(
            {
                "id": item.id,
                "kind": item.kind,
                "consultation_id": item.consultation_id,
                "round_id": item.round_id,
                "revision_id": item.revision_id,
                "section_id": item.section_id,
                "organisation": item.organisation.name if item.organisation else None,
                "quote": item.quote,
                "body": item.body,
                "replacement": item.replacement,
                "status": item.status,
                "created_at": _at(item.created_at),
                "updated_at": _at(item.updated_at),
                "withdrawn_at": _at(item.withdrawn_at),
                "earlier_texts": [
                    {"body": e.body, "replacement": e.replacement, "until": _at(e.edited_at)}
                    for e in item.edits
                ],
                "replies": [_reply(r) for r in item.replies],
                "decision": decision,
            }
        )
    return result


def _own_replies(session: Session, user: User) -> list[dict[str, Any]]:
    """Replies the user wrote on other people's feedback (those on their own are above)."""
    rows = session.scalars(
        select(Reply)
        .join(Feedback, Feedback.id == Reply.feedback_id)
        .where(Reply.author_id == user.id, Feedback.author_id != user.id)
        .order_by(Reply.id)
    )
    return [_reply(r) for r in rows]


def _statements(session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
    versions = session.scalars(
        select(StatementVersion)
        .where(
            or_(
                StatementVersion.submitted_by_id == user.id,
                StatementVersion.drafted_by_id == user.id,
            )
        )
        .order_by(StatementVersion.id)
    )
    drafts = session.scalars(
        select(Statement)
        .where(or_(Statement.drafted_by_id == user.id, Statement.returned_by_id == user.id))
        .order_by(Statement.id)
    )
    return {
        "versions": [
            {
                "statement_id": v.statement_id,
                "number": v.number,
                "round_id": v.round_id,
                "organisation": v.organisation.name,
                "position": v.position,
                "body": v.body,
                "signatory_name": v.signatory_name,
                "signatory_function": v.signatory_function,
                "channel": v.channel,
                "submitted_by_you": v.submitted_by_id == user.id,
                "drafted_by_you": v.drafted_by_id == user.id,
                "received_at": _at(v.received_at),
                "submitted_at": _at(v.submitted_at),
            }
            for v in versions
        ],
        "drafts": [
            {
                "statement_id": s.id,
                "round_id": s.round_id,
                "organisation": s.organisation.name,
                "status": s.status,
                "draft_body": s.draft_body,
                "draft_signatory_name": s.draft_signatory_name,
                "last_saved_by_you": s.drafted_by_id == user.id,
                "returned_by_you": s.returned_by_id == user.id,
                "returned_reason": s.returned_reason if s.returned_by_id == user.id else None,
                "drafted_at": _at(s.drafted_at),
            }
            for s in drafts
        ],
    }


def _emails(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(func.lower(OutboxMessage.to_address) == user.email_key)
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "id": m.id,
            "to": m.to_address,
            "subject": m.subject,
            "body": m.body_text,
            "queued_at": _at(m.created_at),
            "sent_at": _at(m.sent_at),
            "failed_at": _at(m.failed_at),
        }
        for m in rows
    ]


def _api_tokens(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [
        {
            "name": t.name,
            "created_at": _at(t.created_at),
            "last_used_at": _at(t.last_used_at),
            "revoked_at": _at(t.revoked_at),
        }
        for t in rows
    ]


def _rounds_named(session: Session, feedback: list[dict[str, Any]]) -> dict[str, str]:
    ids = {f["round_id"] for f in feedback}
    if not ids:
        return {}
    return {
        str(rid): title
        for rid, title in session.execute(select(Round.id, Round.title).where(Round.id.in_(ids)))
    }


def collect(session: Session, user: User, *, now: datetime) -> dict[str, Any]:
    """Everything stored about ``user`` (see the module's docstring). Raises nothing."""
    feedback = _feedback(session, user)
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "account": _account(user),
        "memberships": _memberships(session, user),
        "working_groups": _working_groups(session, user),
        "feedback": feedback,
        "rounds": _rounds_named(session, feedback),
        "replies": _own_replies(session, user),
        "statements": _statements(session, user),
        "emails": _emails(session, user),
        "api_tokens": _api_tokens(session, user),
        "logins": {
            "last_login_at": _at(user.last_login_at),
            # The reader of this document is the person: said in German, as the pages are.
            "note": "Gespeichert wird nur der Zeitpunkt der letzten Anmeldung, "
            "kein Anmeldeverlauf und keine IP-Adresse.",
        },
    }
