"""Writing a statement's versions: the statement row (made when first needed, locked),
the check that a writer started from the current draft, and the next version with its
remarks as feedback (those of the earlier versions superseded), its attachments frozen
and the confirmation e-mail with a PDF copy. Used by services.statements and
services.statement_intake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict
from consult.models import (
    REMARK_SUPERSEDED,
    Channel,
    Feedback,
    FeedbackKind,
    Membership,
    Organisation,
    Role,
    Round,
    Statement,
    StatementAttachment,
    StatementDraftRemark,
    StatementStatus,
    StatementVersion,
    StatementVersionAttachment,
    StatementVersionRemark,
    User,
)
from consult.services import feedback_versions, mail, statement_annex
from consult.services import statement_access as reach
from consult.services.locks import lock, lock_name
from consult.services.statement_text import StatementText

#: Status of a remark of an earlier version.
SUPERSEDED = REMARK_SUPERSEDED


def statement_for(session: Session, round_: Round, organisation: Organisation) -> Statement:
    """The municipality's statement in the round (made when first needed), locked until
    the transaction ends: of two writers, the second sees the first one's result."""
    lock_name(session, f"statement {round_.id} {organisation.id}")
    statement = session.scalar(
        select(Statement).where(
            Statement.round_id == round_.id, Statement.organisation_id == organisation.id
        )
    )
    if statement is None:
        statement = Statement(
            consultation_id=round_.consultation_id,
            round_id=round_.id,
            organisation_id=organisation.id,
            status=StatementStatus.DRAFT.value,
            draft_body="",
            draft_signatory_name="",
            draft_signatory_function="",
            draft_revision=0,
            version_count=0,
        )
        session.add(statement)
        session.flush()
        return statement
    return lock(session, statement)


def require_current(statement: Statement, draft_revision: int | None) -> None:
    if draft_revision is not None and draft_revision != statement.draft_revision:
        raise Conflict(
            _(
                "Der Entwurf wurde inzwischen geändert (von %(name)s). Bitte laden Sie ihn "
                "neu und prüfen Sie die Änderungen.",
                name=statement.drafted_by.name if statement.drafted_by else _("jemand anderem"),
            ),
            code="stale_draft",
            details={"draft_revision": statement.draft_revision},
        )


def keep_draft(statement: Statement, text: StatementText) -> None:
    statement.draft_position = text.position.value if text.position else None
    statement.draft_body = text.body
    statement.draft_signatory_name = text.signatory
    statement.draft_signatory_function = text.function
    statement.draft_remarks = [
        StatementDraftRemark(
            section_id=r.placement.section_id,
            position=n,
            body=r.body,
            anchor_start=r.anchor.start if r.anchor else None,
            anchor_end=r.anchor.end if r.anchor else None,
            quote=r.anchor.quote if r.anchor else None,
        )
        for n, r in enumerate(text.remarks)
    ]
    statement.draft_revision += 1


def new_version(
    session: Session,
    round_: Round,
    statement: Statement,
    text: StatementText,
    *,
    author: User,
    channel: Channel,
    received_at: datetime,
    now: datetime | None = None,
) -> StatementVersion:
    """Write the next version (the statement is locked), its remarks as feedback (those of
    the earlier versions superseded) and its attachments (frozen); stamped ``now``
    (default: the present)."""
    now = now or utcnow()
    assert text.position is not None
    version = StatementVersion(
        statement_id=statement.id,
        number=statement.version_count + 1,
        round_id=round_.id,
        organisation_id=statement.organisation_id,
        position=text.position.value,
        body=text.body,
        signatory_name=text.signatory,
        signatory_function=text.function,
        channel=channel.value,
        received_at=received_at,
        submitted_at=now,
    )
    session.add(version)
    session.flush()
    earlier = (
        select(StatementVersionRemark.feedback_id)
        .join(StatementVersion, StatementVersion.id == StatementVersionRemark.version_id)
        .where(StatementVersion.statement_id == statement.id, StatementVersion.id != version.id)
    )
    session.execute(
        update(Feedback)
        .where(Feedback.id.in_(earlier), Feedback.withdrawn_at.is_(None))
        .values(status=SUPERSEDED, withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    for n, remark in enumerate(text.remarks):
        item = Feedback(
            kind=FeedbackKind.REMARK.value,
            consultation_id=round_.consultation_id,
            round_id=round_.id,
            revision_id=round_.revision_id,
            section_id=remark.placement.section_id,
            version_id=remark.placement.version_id,
            body=remark.body,
            status="open",
            author_id=author.id,
            organisation_id=statement.organisation_id,
            created_at=now,
        )
        if remark.anchor is not None:
            item.anchor_start, item.anchor_end = remark.anchor.start, remark.anchor.end
            item.quote = remark.anchor.quote
            item.prefix, item.suffix = remark.anchor.prefix, remark.anchor.suffix
        session.add(item)
        session.flush()
        session.add(StatementVersionRemark(feedback_id=item.id, version_id=version.id, position=n))
    for attachment_id in session.scalars(
        select(StatementAttachment.id).where(
            StatementAttachment.statement_id == statement.id,
            StatementAttachment.in_draft.is_(True),
        )
    ):
        session.add(StatementVersionAttachment(version_id=version.id, attachment_id=attachment_id))
    keep_draft(statement, text)
    statement.version_count = version.number
    statement.status = StatementStatus.SUBMITTED.value
    statement.returned_reason = statement.returned_by_id = statement.returned_at = None
    statement.updated_at = now
    session.flush()
    feedback_versions.bump(session, round_.consultation_id)
    return version


def confirm(
    session: Session, version: StatementVersion, recipients: Sequence[User], template: str
) -> None:
    """E-mail each recipient once, with the version as PDF."""
    active = [u for u in recipients if u.is_active]
    if not active:
        return
    session.flush()
    copy = statement_annex.version_pdf(session, version)
    for user in active:
        mail.queue_template(
            session,
            user,
            template,
            attachments=[mail.Attachment(copy.file_name, "application/pdf", copy.content)],
            version=version,
            statement=version.statement,
            round=reach.round_of(session, version.statement),
        )


def signatories(session: Session, round_: Round, organisation: Organisation) -> list[User]:
    """The active signatories of the municipality in the round's consultation (who get
    the confirmation of a statement recorded from paper). Raises nothing."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.consultation_id == round_.consultation_id,
                Membership.role == Role.MUNICIPALITY.value,
                Membership.is_signatory.is_(True),
                User.organisation_id == organisation.id,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )
