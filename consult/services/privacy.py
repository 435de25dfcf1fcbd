"""Personal data (DSGVO): a person's data as a download, erasure, and retention.

- :func:`my_data`: everything stored about the caller (services.privacy_data), recorded in
  the audit log ("data.downloaded"; erasure: "data.erased").
- :func:`erase`: the person asks (or an admin acts for them): the account is anonymised.
  Its name becomes :data:`ERASED_NAME` and its e-mail a unique address that cannot be
  delivered (``.invalid``, RFC 2606); password, API tokens and e-mailed links stop working
  and every session ends; its roles in consultations and the e-mails waiting for it are
  removed, and other e-mails and stored answers that name it are cleaned. What the person
  wrote for their organisation stays with the organisation (the procedure's record):
  comments, suggestions, replies and statements, now shown as written by
  :data:`ERASED_NAME` of that organisation. Working-group memberships stay too: who may
  read a contribution of visibility "group" depends on them (the account cannot sign in,
  so they give nobody access). Signatures on submitted statements stay: a mayor signs an
  official statement in office, a public act of the municipality (Art. 17 (3) b and e
  DSGVO); a draft that was never submitted loses the name.
- :func:`purge`: retention (``CONSULT_RETENTION_MONTHS``): accounts with no sign-in for
  that many months after every consultation they took part in ended are erased.

Every page, export and API answer reads names from the account, so none shows the old
name after erasure; the reading view's caches are keyed by the consultation's feedback
version, which moves here (services.feedback_versions).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from consult.db import utcnow
from consult.errors import Conflict, Invalid
from consult.models import (
    ApiToken,
    ExportJob,
    Feedback,
    Membership,
    OneTimeToken,
    OutboxAttachment,
    OutboxMessage,
    Reply,
    Round,
    RoundReminder,
    RoundReport,
    Statement,
    StatementStatus,
    Submission,
    User,
)
from consult.services import access, audit, feedback_versions, permissions, privacy_data
from consult.services.locks import lock

#: The name an erased account shows everywhere (pages, exports, API, mails). One careful
#: wording in the form the administration uses for both genders (Paarform).
ERASED_NAME = "Ehemalige Teilnehmerin / ehemaliger Teilnehmer"
#: The domain of the addresses erased accounts get (``.invalid`` is never delivered).
ERASED_DOMAIN = "geloescht.invalid"

#: Audit log actions.
EXPORTED = "data.downloaded"
ERASED = "data.erased"


def my_data(session: Session, *, actor: object, now: datetime | None = None) -> dict[str, Any]:
    """The caller's data as one JSON-ready document (account, memberships, working groups,
    feedback with replies and published decisions, replies, statements, e-mails, API
    tokens, logins). Recorded in the audit log. Raises NotAuthenticated."""
    user = permissions.require_user(actor)
    document = privacy_data.collect(session, user, now=now or utcnow())
    audit.record(session, actor=user, action=EXPORTED, object_type="user", object_id=user.id)
    return document


def check_password(user: User, password: str | None) -> None:
    """Raises Invalid unless ``password`` is the user's current password (asked before a
    person erases their own account)."""
    if user.password_hash is None or not check_password_hash(user.password_hash, password or ""):
        raise Invalid(
            _("Das Passwort stimmt nicht."),
            code="wrong_password",
            fields={"current_password": _("Stimmt nicht.")},
        )


def erase(session: Session, *, actor: object, user_id: int | None = None) -> User:
    """Anonymise an account (see the module's docstring): the actor's own (``user_id``
    None or theirs) or, by an admin, another's. Recorded in the audit log.

    Raises NotAuthenticated, NotPermitted (another's account, not an admin), NotFound,
    Conflict (already erased; the last active admin)."""
    me = permissions.require_user(actor)
    if user_id is None or user_id == me.id:
        user = me
    else:
        user = access.get_user(session, user_id, actor=me)
    # Locked before the check (services.locks): the same erasure sent twice at once (two
    # clients, a double click) would otherwise anonymise twice and record it twice. A key
    # lock: the e-mail (unique) changes, and the person may be commenting right now.
    # Their API tokens first, in the order a request with a token takes them (it notes
    # the token's last use, then inserts rows pointing at the account): the other order
    # deadlocks with it.
    session.execute(select(ApiToken.id).where(ApiToken.user_id == user.id).with_for_update()).all()
    lock(session, user, key=True)
    if user.erased_at is not None:
        raise Conflict(_("Dieses Konto ist bereits gelöscht."), code="already_erased")
    if user.is_admin and user.is_active and _active_admins(session) <= 1:
        raise Conflict(
            _("Das letzte Verwaltungskonto lässt sich nicht löschen."), code="last_admin"
        )
    anonymise(session, user, now=utcnow())
    audit.record(session, actor=me, action=ERASED, object_type="user", object_id=user.id)
    return user


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(User.id)).where(User.is_admin.is_(True), User.is_active.is_(True))
        )
        or 0
    )


def anonymise(session: Session, user: User, *, now: datetime) -> None:
    """Anonymise ``user`` (no permission check: callers check). Raises nothing."""
    old_name, old_email = user.name, user.email
    consultation_ids = _consultations_of(session, user.id).get(user.id, set())
    # The cached reading views show the name: every consultation it appears in moves on.
    for consultation_id in sorted(consultation_ids):
        feedback_versions.bump(session, consultation_id)

    user.name = ERASED_NAME
    user.email = f"geloescht-{secrets.token_hex(8)}@{ERASED_DOMAIN}"
    user.email_key = user.email
    user.password_hash = None
    user.session_nonce = secrets.token_hex(8)  # every session and "remember me" ends
    user.is_active = False
    user.is_admin = False
    user.locale = None
    user.notify_replies = False
    user.last_login_at = None
    user.erased_at = now

    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.execute(delete(RoundReminder).where(RoundReminder.user_id == user.id))
    _forget_mail(session, old_email, old_name)
    _forget_copies(session, user.id, consultation_ids, old_name, old_email)
    session.execute(
        update(Statement)
        .where(
            Statement.draft_signatory_name == old_name,
            Statement.status.in_([StatementStatus.DRAFT.value, StatementStatus.RETURNED.value]),
        )
        .values(draft_signatory_name="")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire_all()


def _forget_mail(session: Session, old_email: str, old_name: str) -> None:
    """E-mails to the person go (waiting ones are not sent); others that name them are
    cleaned of the name."""
    theirs = select(OutboxMessage.id).where(
        func.lower(OutboxMessage.to_address) == old_email.lower()
    )
    session.execute(delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(theirs)))
    session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(theirs))
        .execution_options(synchronize_session=False)
    )
    for message in session.scalars(
        select(OutboxMessage).where(
            or_(
                OutboxMessage.body_text.contains(old_name),
                OutboxMessage.subject.contains(old_name),
            )
        )
    ):
        message.body_text = message.body_text.replace(old_name, ERASED_NAME)
        message.subject = message.subject.replace(old_name, ERASED_NAME)[:300]


def _forget_copies(
    session: Session, user_id: int, consultation_ids: set[int], old_name: str, old_email: str
) -> None:
    """Stored answers and files that may hold the name: the answers kept against repeated
    requests (services.idempotency), committee packages already built (made again on
    request), and an editor's own text of a procedure report."""
    session.execute(
        delete(Submission).where(
            or_(
                Submission.user_id == user_id,
                Submission.body.contains(old_name),
                Submission.body.contains(old_email),
                Submission.flashes.contains(old_name),
            )
        )
    )
    rounds = select(Round.id).where(Round.consultation_id.in_(consultation_ids))
    session.execute(
        delete(ExportJob)
        .where(ExportJob.content.is_not(None), ExportJob.round_id.in_(rounds))
        .execution_options(synchronize_session=False)
    )
    for report in session.scalars(select(RoundReport).where(RoundReport.body.contains(old_name))):
        report.body = report.body.replace(old_name, ERASED_NAME)


# --- retention -----------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` minus ``months`` calendar months (the day clamped to the month's end)."""
    year, month = divmod(moment.month - 1 - months, 12)
    target_year, target_month = moment.year + year, month + 1
    for day in range(moment.day, 0, -1):
        try:
            return moment.replace(year=target_year, month=target_month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class PurgeResult:
    #: The ids of the accounts anonymised.
    erased: list[int]
    #: The cut-off: consultations ended and last sign-in before it.
    cutoff: datetime


def _ended_at(session: Session, now: datetime) -> dict[int, datetime | None]:
    """Per consultation with rounds: when it ended (the last round's close), or None while
    a round is open or still to come. Consultations without a round have not ended."""
    ended: dict[int, datetime | None] = {}
    for round_ in session.scalars(select(Round)):
        close = round_.effective_close()
        current = ended.get(round_.consultation_id, close)
        if round_.status_at(now) != "closed" or current is None:
            ended[round_.consultation_id] = None
        else:
            ended[round_.consultation_id] = max(current, close)
    return ended


def _consultations_of(session: Session, user_id: int | None = None) -> dict[int, set[int]]:
    """Per user (all, or the one given), the consultations they belong to or wrote in."""
    result: dict[int, set[int]] = {}
    queries = [
        select(Membership.user_id, Membership.consultation_id),
        select(Feedback.author_id, Feedback.consultation_id),
        select(Reply.author_id, Feedback.consultation_id).join(
            Feedback, Feedback.id == Reply.feedback_id
        ),
    ]
    if user_id is not None:
        queries = [q.where(q.selected_columns[0] == user_id) for q in queries]
    for query in queries:
        for person_id, consultation_id in session.execute(query.distinct()):
            result.setdefault(person_id, set()).add(consultation_id)
    return result


def purge(session: Session, *, months: int, now: datetime | None = None) -> PurgeResult:
    """Erase the accounts that retention no longer allows to keep: not an admin, not
    erased, no sign-in for ``months`` months (never signed in: created that long ago),
    and every consultation they belong to or wrote in ended (no round open or to come)
    more than ``months`` months ago. Run by the system (``flask privacy purge``), recorded
    in the audit log. Raises Invalid (``months`` below 1)."""
    if months < 1:
        raise Invalid(_("Die Aufbewahrungsfrist muss mindestens einen Monat betragen."))
    now = now or utcnow()
    cutoff = months_before(now, months)
    ended = _ended_at(session, now)
    consultations = _consultations_of(session)
    erased: list[int] = []
    candidates = session.scalars(
        select(User).where(User.erased_at.is_(None), User.is_admin.is_(False)).order_by(User.id)
    )
    for user in list(candidates):
        last_seen = user.last_login_at or user.created_at
        if last_seen > cutoff:
            continue
        ends = [ended.get(c) for c in consultations.get(user.id, set())]
        if any(end is None or end > cutoff for end in ends):
            continue
        anonymise(session, user, now=now)
        audit.record(
            session,
            actor=None,
            action=ERASED,
            object_type="user",
            object_id=user.id,
            details={"reason": "retention", "months": months},
        )
        erased.append(user.id)
    return PurgeResult(erased=erased, cutoff=cutoff)
