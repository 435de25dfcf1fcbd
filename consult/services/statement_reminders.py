"""Reminders to the municipalities that have not submitted their statement: the editors'
button ("remind pending municipalities") and ``flask --app consult rounds remind`` from
cron, 48 hours before a municipality's deadline (the round's, or one extended for it).

Each municipality is reminded once per deadline, whoever asks: the round is locked
first, so of two runs at once (two editors, several cron jobs, several workers) the
second sees the first one's reminders (``statement_reminders``, unique per round,
municipality and deadline) and sends nothing; the e-mails go through the outbox, which
delivers each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict
from consult.models import Organisation, Round, StatementExtension, StatementReminder, User
from consult.services import mail, permissions
from consult.services import statement_access as reach
from consult.services.locks import lock
from consult.services.statement_board import members_by_municipality, rows

#: Reminders go out this long before a municipality's deadline.
REMINDER_BEFORE = timedelta(hours=48)


@dataclass
class Reminded:
    """What a reminder run did, by municipality."""

    reminded: list[Organisation] = field(default_factory=list)
    #: Reminded of their current deadline before (once per deadline).
    already: list[Organisation] = field(default_factory=list)
    #: No member in the consultation yet: nobody to e-mail.
    unreachable: list[Organisation] = field(default_factory=list)
    #: How many e-mails were queued.
    mails: int = 0


def _remind(
    session: Session,
    round_: Round,
    *,
    now: datetime,
    sent_by: User | None,
    within: timedelta | None,
) -> Reminded:
    """Remind the pending municipalities of the (locked) round whose deadline is ahead
    (``within``: only those due within it), once per deadline."""
    done = Reminded()
    members = members_by_municipality(session, round_)
    for row in rows(session, round_, now=now):
        if row.version is not None or row.deadline <= now:
            continue
        if within is not None and row.deadline > now + within:
            continue
        if row.reminded_at is not None:
            done.already.append(row.organisation)
            continue
        people = members.get(row.organisation.id, [])
        if not people:
            done.unreachable.append(row.organisation)
            continue
        for person in people:
            mail.queue_template(
                session,
                person,
                "statement_reminder",
                round=round_,
                organisation=row.organisation,
                deadline=row.deadline,
                now=now,
            )
        session.add(
            StatementReminder(
                round_id=round_.id,
                organisation_id=row.organisation.id,
                closes_at=row.deadline,
                sent_at=now,
                sent_by_id=sent_by.id if sent_by is not None else None,
                recipients=len(people),
            )
        )
        done.reminded.append(row.organisation)
        done.mails += len(people)
    session.flush()
    return done


def remind_pending(
    session: Session, round_id: int, *, actor: object, now: datetime | None = None
) -> Reminded:
    """E-mail the members of every municipality that has not submitted and whose deadline
    is ahead (editors); each municipality once per deadline. Raises NotFound,
    NotPermitted, Conflict (a round without statements; not open yet: ``round_not_open``)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    user = permissions.require_user(actor)
    permissions.require(
        permissions.can_record_statement(session, user, round_),
        _("An die Stellungnahmen erinnert die Redaktion."),
    )
    now = now or utcnow()
    if now < round_.opens_at:
        raise Conflict(_("Die Beteiligungsrunde hat noch nicht begonnen."), code="round_not_open")
    lock(session, round_)  # two at once (two editors, or cron): the second sees the first
    return _remind(session, round_, now=now, sent_by=user, within=None)


def queue_due_reminders(session: Session, *, now: datetime | None = None) -> int:
    """For cron: remind every municipality whose deadline (the round's or its own) ends
    within REMINDER_BEFORE and that has not submitted, once per deadline. Returns the
    number of e-mails queued. Raises nothing."""
    now = now or utcnow()
    later = select(StatementExtension.round_id).where(StatementExtension.closes_at > now)
    due = session.scalars(
        select(Round)
        .where(
            Round.includes_municipalities.is_(True),
            Round.opens_at <= now,
            or_(
                Round.closes_at > now,
                Round.id.in_(later),
            ),
        )
        .order_by(Round.id)
    ).all()
    queued = 0
    for round_ in due:
        lock(session, round_)
        queued += _remind(session, round_, now=now, sent_by=None, within=REMINDER_BEFORE).mails
    return queued
