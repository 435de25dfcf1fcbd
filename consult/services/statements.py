"""Writing the municipalities' statements: drafts by staff (or the signatory), submission
and release by a signatory, return to staff with a reason, the one-step "keine
Bedenken". Statements on paper are :mod:`consult.services.statement_intake`; reading is
:mod:`consult.services.statement_reads`.

Every submission is a new :class:`~consult.models.StatementVersion` (1, 2, ...), written
under a lock on the statement so that versions are numbered without gaps or duplicates
however many submit at once (services.statement_versions). Its section remarks become
feedback items of kind ``remark`` (decided on like comments, listed in the response
table); those of the version before are then *superseded* (status ``superseded``,
withdrawn: no open items any more, still readable with their version). The submitter
gets a confirmation e-mail with a PDF copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain import textrules
from consult.errors import Conflict
from consult.models import (
    Channel,
    Organisation,
    Round,
    Statement,
    StatementPosition,
    StatementStatus,
    StatementVersion,
    User,
)
from consult.services import audit, mail, permissions, statement_text
from consult.services import statement_access as reach
from consult.services.locks import lock
from consult.services.statement_text import NO_OBJECTIONS, RemarkInput
from consult.services.statement_versions import (
    confirm,
    keep_draft,
    new_version,
    require_current,
    statement_for,
)
from consult.services.text_fields import checked

__all__ = [
    "NO_OBJECTIONS",
    "RemarkInput",
    "release",
    "return_draft",
    "save_draft",
    "submit",
    "submit_no_objections",
]


def _writer(
    session: Session, round_id: int, organisation_id: int, actor: object
) -> tuple[User, Round, Organisation]:
    user = permissions.require_user(actor)
    round_ = reach.statement_round(session, round_id, actor=actor)
    organisation = reach.municipality(session, organisation_id)
    return user, round_, organisation


def save_draft(
    session: Session,
    round_id: int,
    *,
    actor: object,
    organisation_id: int,
    position: str | None = None,
    body: str | None = None,
    signatory: str | None = None,
    signatory_function: str | None = None,
    remarks: Sequence[RemarkInput] = (),
    draft_revision: int | None = None,
    now: datetime | None = None,
) -> Statement:
    """Save the municipality's draft (its staff or signatories; not a version yet).
    ``draft_revision``: the draft the writer started from (a newer one: Conflict).

    Raises NotFound, NotPermitted (not a member of that municipality), Conflict (round not
    open or past the deadline, ``stale_draft``, ``no_statements``), Invalid.
    """
    user, round_, organisation = _writer(session, round_id, organisation_id, actor)
    reach.require_municipality_member(session, user, round_, organisation)
    when = now or utcnow()
    text = statement_text.check(
        session,
        round_,
        position=position,
        body=body,
        signatory=signatory,
        function=signatory_function,
        remarks=remarks,
        final=False,
    )
    reach.require_open(session, round_, organisation, when)
    statement = statement_for(session, round_, organisation)
    require_current(statement, draft_revision)
    keep_draft(statement, text)
    statement.status = StatementStatus.DRAFT.value
    statement.drafted_by_id, statement.drafted_at = user.id, when
    statement.returned_reason = statement.returned_by_id = statement.returned_at = None
    statement.updated_at = when
    session.flush()
    return statement


def _require_signatory(
    session: Session, user: User, round_: Round, organisation: Organisation
) -> None:
    reach.require_municipality_member(session, user, round_, organisation)
    permissions.require(
        permissions.can_submit_statement(session, user, round_, organisation.id),
        _(
            "Abgeben, freigeben oder zurückgeben kann nur, wer für die Kommune unterzeichnet "
            "(Bürgermeisterin, Bürgermeister oder Vertretung). Speichern Sie die "
            "Stellungnahme als Entwurf zur Freigabe."
        ),
    )


def submit(
    session: Session,
    round_id: int,
    *,
    actor: object,
    organisation_id: int,
    position: str | None,
    body: str | None = None,
    signatory: str | None = None,
    signatory_function: str | None = None,
    remarks: Sequence[RemarkInput] = (),
    draft_revision: int | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> StatementVersion:
    """Submit the municipality's statement as its next version (a signatory of it; the
    signatory defaults to the caller's name and function). A consent without text and
    remarks says "keine Bedenken". ``notify``: e-mail the submitter a confirmation (the
    demo's made-up people get none).

    Raises NotFound, NotPermitted (another municipality; drafting staff), Conflict (round
    not open, past the municipality's deadline: ``round_closed``; ``stale_draft``),
    Invalid (position, signatory, a rejection without reasons, remarks).
    """
    user, round_, organisation = _writer(session, round_id, organisation_id, actor)
    _require_signatory(session, user, round_, organisation)
    when = now or utcnow()
    text = statement_text.check(
        session,
        round_,
        position=position,
        body=body,
        signatory=signatory or user.name,
        function=signatory_function
        if signatory_function is not None
        else permissions.signatory_function(session, user, round_.consultation_id),
        remarks=remarks,
        final=True,
    )
    reach.require_open(session, round_, organisation, when)
    statement = statement_for(session, round_, organisation)
    require_current(statement, draft_revision)
    version = new_version(
        session,
        round_,
        statement,
        text,
        author=user,
        channel=Channel.ONLINE,
        received_at=when,
        now=when,
    )
    version.submitted_by_id = user.id
    audit.record(
        session,
        actor=actor,
        action="statement.submitted",
        object_type="statement",
        object_id=statement.id,
        consultation_id=round_.consultation_id,
        details={"municipality": organisation.name, "version": version.number},
    )
    if notify:
        confirm(session, version, [user], "statement_confirmation")
    return version


def submit_no_objections(
    session: Session,
    round_id: int,
    *,
    actor: object,
    organisation_id: int,
    signatory: str | None = None,
    signatory_function: str | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> StatementVersion:
    """The one-step statement "keine Bedenken": consent without remarks, signed by the
    caller (a signatory of the municipality). Raises as :func:`submit`."""
    return submit(
        session,
        round_id,
        actor=actor,
        organisation_id=organisation_id,
        position=StatementPosition.CONSENT.value,
        body=NO_OBJECTIONS,
        signatory=signatory,
        signatory_function=signatory_function,
        now=now,
        notify=notify,
    )


def release(
    session: Session,
    statement_id: int,
    *,
    actor: object,
    draft_revision: int | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> StatementVersion:
    """Submit the draft prepared by staff as the next version (a signatory of the
    municipality; it is signed in the releasing person's name and function).
    ``notify``: e-mail the signatory a confirmation.

    Raises NotFound, NotPermitted (not a signatory of that municipality), Conflict (no
    draft: ``nothing_to_release``; ``stale_draft``; past the deadline), Invalid (the
    draft lacks a position, or a rejection its reasons).
    """
    user = permissions.require_user(actor)
    statement = reach.get_statement(session, statement_id, actor=actor)
    round_ = reach.round_of(session, statement)
    organisation = statement.organisation
    _require_signatory(session, user, round_, organisation)
    lock(session, statement)
    if not statement.has_draft:
        raise Conflict(_("Es liegt kein Entwurf zur Freigabe vor."), code="nothing_to_release")
    require_current(statement, draft_revision)
    when = now or utcnow()
    reach.require_open(session, round_, organisation, when)
    text = statement_text.check(
        session,
        round_,
        position=statement.draft_position,
        body=statement.draft_body,
        signatory=user.name,
        function=permissions.signatory_function(session, user, round_.consultation_id),
        remarks=[
            RemarkInput(
                r.section_id,
                r.body,
                {"start": r.anchor_start, "end": r.anchor_end, "quote": r.quote}
                if r.anchor_start is not None
                else None,
            )
            for r in statement.draft_remarks
        ],
        final=True,
    )
    drafter = statement.drafted_by_id if statement.drafted_by_id != user.id else None
    version = new_version(
        session,
        round_,
        statement,
        text,
        author=user,
        channel=Channel.ONLINE,
        received_at=when,
        now=when,
    )
    version.submitted_by_id, version.drafted_by_id = user.id, drafter
    audit.record(
        session,
        actor=actor,
        action="statement.released",
        object_type="statement",
        object_id=statement.id,
        consultation_id=round_.consultation_id,
        details={"municipality": organisation.name, "version": version.number},
    )
    if notify:
        confirm(session, version, [user], "statement_confirmation")
    return version


def return_draft(
    session: Session,
    statement_id: int,
    *,
    actor: object,
    reason: str,
    draft_revision: int | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> Statement:
    """Send the draft back to staff with a reason (a signatory); the one who drafted it is
    e-mailed (``notify``). Raises NotFound, NotPermitted, Conflict (no draft waiting:
    ``not_a_draft``; ``stale_draft``), Invalid (the reason)."""
    user = permissions.require_user(actor)
    statement = reach.get_statement(session, statement_id, actor=actor)
    round_ = reach.round_of(session, statement)
    _require_signatory(session, user, round_, statement.organisation)
    why = checked(reason, textrules.REASON, "reason", _("Die Begründung"))
    lock(session, statement)
    if statement.status != StatementStatus.DRAFT.value:
        raise Conflict(
            _("Es liegt kein Entwurf vor, der zurückgegeben werden könnte."), code="not_a_draft"
        )
    require_current(statement, draft_revision)
    when = now or utcnow()
    statement.status = StatementStatus.RETURNED.value
    statement.returned_reason, statement.returned_by_id, statement.returned_at = why, user.id, when
    statement.draft_revision += 1
    statement.updated_at = when
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statement.returned",
        object_type="statement",
        object_id=statement.id,
        consultation_id=round_.consultation_id,
        details={"municipality": statement.organisation.name, "reason": why},
    )
    drafter = statement.drafted_by
    if notify and drafter is not None and drafter.id != user.id and drafter.is_active:
        mail.queue_template(
            session,
            drafter,
            "statement_returned",
            statement=statement,
            round=round_,
            returned_by=user,
            reason=why,
        )
    return statement
