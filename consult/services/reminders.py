"""Deadline reminders: e-mails to every invited person 3 days and 1 day before a round
closes (each once per person, round and deadline; again after an extension); and to the
members of each municipality that has not submitted its statement, once per
municipality and deadline (services.statement_reminders). Run by
``flask --app consult rounds remind`` from cron."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import Round, RoundReminder
from consult.services import mail, statement_reminders
from consult.services.locks import lock
from consult.services.rounds import invited_users

#: Reminders go out this long before a round's deadline: stage 1, then stage 2.
REMINDERS_BEFORE = (timedelta(days=3), timedelta(days=1))
#: The first reminder's window (rounds closing within it are looked at).
REMINDER_BEFORE = REMINDERS_BEFORE[0]


def stage_due(closes_at: datetime, now: datetime) -> int:
    """Which reminder is due: the number of REMINDERS_BEFORE windows ``now`` is in
    (0: none yet). Raises nothing."""
    return sum(1 for before in REMINDERS_BEFORE if closes_at - before <= now)


def queue_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Queue the deadline reminder that is due (3 days, then 1 day before) per invited
    person for every open round that closes within REMINDER_BEFORE, each once per
    person, round and deadline (a run that finds both due sends only the later one), and
    the statement reminders that are due (once per municipality and deadline). Returns the
    number of e-mails queued. Raises nothing."""
    now = now or utcnow()
    due = [
        r
        for r in session.scalars(
            select(Round).where(
                Round.closes_at > now,
                Round.closes_at <= now + REMINDER_BEFORE,
                Round.opens_at <= now,
                Round.closed_early_at.is_(None),
            )
        )
    ]
    queued = 0
    for round_ in due:
        lock(session, round_)  # two cron runs at once: the second sees the first's reminders
        sent = {
            r.user_id: r
            for r in session.scalars(
                select(RoundReminder).where(RoundReminder.round_id == round_.id)
            )
        }
        stage = stage_due(round_.closes_at, now)
        for user in invited_users(session, round_):
            previous = sent.get(user.id)
            if (
                previous is not None
                and previous.closes_at == round_.closes_at
                and previous.stage >= stage
            ):
                continue
            queued_now = mail.queue_template(
                session,
                user,
                "round_reminder",
                round=round_,
                now=now,
                urgent=stage == len(REMINDERS_BEFORE),  # a digest could bring it too late
            )
            if previous is None:
                session.add(
                    RoundReminder(
                        round_id=round_.id,
                        user_id=user.id,
                        closes_at=round_.closes_at,
                        sent_at=now,
                        stage=stage,
                    )
                )
            else:
                previous.closes_at, previous.sent_at = round_.closes_at, now
                previous.stage = stage
            # recorded as done either way; counted only as a mail (not held, not off)
            queued += queued_now is not None
    session.flush()
    return queued + statement_reminders.queue_due_reminders(session, now=now)
