"""Deadline reminders (``flask --app consult rounds remind``): once per person and deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import OutboxMessage, Round, User
from consult.services import consultations, drafts, reminders, rounds, working_groups


@pytest.fixture
def open_round(db: Session, admin: User, make_user: Callable[..., User]) -> tuple[Round, User]:
    consultation = consultations.create_consultation(db, actor=admin, title="Konzept")
    revision = drafts.create_from_markdown(
        db, consultation.id, actor=admin, markdown="# 1 Eins\nText."
    )
    drafts.publish(db, revision.id, actor=admin)
    group = working_groups.create_working_group(db, consultation.id, actor=admin, name="AK")
    member = make_user("Mia Mitglied")
    consultations.set_member(
        db,
        consultation.id,
        member.id,
        actor=admin,
        role="participant",
        working_group_ids=[group.id],
    )
    now = utcnow()
    round_ = rounds.create_round(
        db,
        consultation.id,
        actor=admin,
        revision_id=revision.id,
        title="Runde",
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=10),
        working_group_ids=[group.id],
        notify=False,
    )
    return round_, member


def reminders_to(db: Session, user: User) -> int:
    return (
        db.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.to_address == user.email, OutboxMessage.subject.like("Erinnerung%")
            )
        )
        or 0
    )


def test_no_reminder_long_before_the_deadline(db: Session, open_round: tuple[Round, User]) -> None:
    _, member = open_round
    assert reminders.queue_reminders(db) == 0
    assert reminders_to(db, member) == 0


def test_one_reminder_48_hours_before_and_again_after_an_extension(
    db: Session, admin: User, open_round: tuple[Round, User]
) -> None:
    round_, member = open_round
    soon = round_.closes_at - timedelta(hours=24)
    assert reminders.queue_reminders(db, now=soon) == 1
    assert reminders.queue_reminders(db, now=soon + timedelta(hours=1)) == 0
    assert reminders_to(db, member) == 1
    rounds.extend_round(
        db,
        round_.id,
        actor=admin,
        closes_at=round_.closes_at + timedelta(days=1),
        reason="Bitte der Verbände",
        now=soon,
    )
    assert reminders.queue_reminders(db, now=round_.closes_at - timedelta(hours=12)) == 1
    assert reminders_to(db, member) == 2


def test_closed_rounds_send_no_reminders(
    db: Session, admin: User, open_round: tuple[Round, User]
) -> None:
    round_, member = open_round
    rounds.close_round(db, round_.id, actor=admin)
    assert reminders.queue_reminders(db, now=round_.closes_at - timedelta(hours=1)) == 0
    assert reminders_to(db, member) == 0


def test_cli_queues_and_sends(app: Flask, db: Session, open_round: tuple[Round, User]) -> None:
    round_, member = open_round
    round_.closes_at = utcnow() + timedelta(hours=24)
    db.commit()
    result = app.test_cli_runner().invoke(args=["rounds", "remind"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("queued 1 reminders")
    message = db.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == member.email)
    ).one()
    assert message.sent_at is not None
    assert "Runde" in message.subject
