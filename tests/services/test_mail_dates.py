"""E-mails write dates as the pages do (consult.dates, issue 10 item 1): the deadline with its
weekday, no seconds, no zone name, the time left in words; in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import OutboxMessage, Round, User
from consult.services import consultations, drafts, reminders, rounds, working_groups

BERLIN = ZoneInfo("Europe/Berlin")
#: Opens Monday 30 November 2026, 09:00; the deadline is Wednesday 23 December, 18:00.
OPENS = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)
CLOSES = datetime(2026, 12, 23, 18, 0, tzinfo=BERLIN)


@pytest.fixture
def invited(db: Session, admin: User, make_user: Callable[..., User]) -> tuple[Round, User, User]:
    """A round with a German and an English member, invited by e-mail."""
    consultation = consultations.create_consultation(db, actor=admin, title="Konzept")
    revision = drafts.create_from_markdown(
        db, consultation.id, actor=admin, markdown="# 1 Eins\nText."
    )
    drafts.publish(db, revision.id, actor=admin)
    group = working_groups.create_working_group(db, consultation.id, actor=admin, name="AK")
    german, english = make_user("Mia Mitglied"), make_user("Emma English")
    english.locale = "en"
    for member in (german, english):
        consultations.set_member(
            db,
            consultation.id,
            member.id,
            actor=admin,
            role="participant",
            working_group_ids=[group.id],
        )
    round_ = rounds.create_round(
        db,
        consultation.id,
        actor=admin,
        revision_id=revision.id,
        title="Runde",
        opens_at=OPENS,
        closes_at=CLOSES,
        working_group_ids=[group.id],
        now=OPENS - timedelta(days=1),
    )
    return round_, german, english


def mail_to(db: Session, user: User, subject_start: str) -> OutboxMessage:
    [message] = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.to_address == user.email,
            OutboxMessage.subject.like(subject_start + "%"),
        )
    ).all()
    return message


def test_the_invitation_names_start_and_deadline_with_their_weekdays(
    db: Session, invited: tuple[Round, User, User]
) -> None:
    _round, german, english = invited
    body = mail_to(db, german, "Einladung").body_text
    assert "Beginn: Mo., 30.11.2026, 09:00 Uhr\n" in body
    assert "Frist: Mi., 23.12.2026, 18:00 Uhr\n" in body
    assert "Alle Uhrzeiten nach deutscher Zeit." in body
    body = mail_to(db, english, "Invitation").body_text
    assert "Start: Mon, 30 Nov 2026, 09:00\n" in body
    assert "Deadline: Wed, 23 Dec 2026, 18:00\n" in body


@pytest.mark.parametrize(
    ("before", "german", "english"),
    [
        (timedelta(hours=47), "noch 1 Tag", "1 day left"),
        (timedelta(hours=5, minutes=30), "noch 5 Stunden", "5 hours left"),
    ],
)
def test_the_reminder_says_when_and_how_long(
    db: Session, invited: tuple[Round, User, User], before: timedelta, german: str, english: str
) -> None:
    _round, de, en = invited
    assert reminders.queue_reminders(db, now=CLOSES - before) == 2
    message = mail_to(db, de, "Erinnerung")
    assert message.subject == "Erinnerung: Die Frist endet am 23.12.2026, 18:00 Uhr – Runde"
    assert f"endet am Mi., 23.12.2026, 18:00 Uhr ({german})." in message.body_text
    message = mail_to(db, en, "Reminder")
    assert message.subject == "Reminder: the deadline is 23 Dec 2026, 18:00 – Runde"
    assert f"ends on Wed, 23 Dec 2026, 18:00 ({english})." in message.body_text
    for text in (message.subject, message.body_text):
        assert ":00:" not in text and "CET" not in text and "MEZ" not in text
