"""Notifications end to end over SMTP (issue 14, "Must show"): each test queues through the
services, delivers through the outbox to a real aiosmtpd server on loopback and asserts on
what that server received. The unsubscribe links are followed in
tests/web/test_notification_mail_links.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import NotificationKind, NotificationMode, OutboxMessage, Round, User
from consult.services import consultations, notification_digest, reminders, rounds, working_groups
from consult.services import notification_settings as settings
from tests.servers import SmtpSink, free_port, smtp_sink
from tests.services.mail_world import (
    BASE,
    DIGEST,
    INVITATION,
    REMINDER,
    MailWorld,
    deliver,
    links,
    received_by,
)

MINUTE = timedelta(minutes=1)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def world(db: Session, admin: User, make_user: Callable[..., User]) -> MailWorld:
    return MailWorld(db, admin, make_user)


def set_mode(db: Session, user: User, kind: NotificationKind, mode: NotificationMode) -> None:
    settings.update_settings(db, {kind: mode}, actor=user)


# --- 1. invitation when a round opens --------------------------------------------------


def test_opening_a_round_mails_one_invitation_to_each_invited_active_member(
    db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    mia, jonas = make_user("Mia Mitglied"), make_user("Jonas Becker")
    gone = make_user("Karl Inaktiv")
    outsider, observer = make_user("Olaf Anderer Kreis"), make_user("Olga Beobachterin")
    plan = world.consultation("Schulentwicklungsplan 2027", [mia, jonas, gone])
    gone.is_active = False
    other_group = working_groups.create_working_group(
        db, plan.consultation.id, actor=world.admin, name="AK Sport"
    )
    world.join(plan, outsider, other_group)  # a member of a group not invited
    consultations.set_member(  # an observer of the consultation, in no group
        db, plan.consultation.id, observer.id, actor=world.admin, role="observer"
    )
    sent_before = len(sink.received())

    round_ = world.open_round(plan, "Beteiligung zum Entwurf Schulen")
    assert deliver(db, sink.port)[1] == 0

    invitations = [m for m in sink.received()[sent_before:] if m.subject.startswith(INVITATION)]
    assert sorted(r for m in invitations for r in m.recipients) == sorted([mia.email, jonas.email])
    for person in (mia, jonas):
        (invitation,) = received_by(sink, person, INVITATION)
        assert "Beteiligung zum Entwurf Schulen" in invitation.subject
        assert f"Guten Tag {person.name}," in invitation.body
        assert "Schulentwicklungsplan 2027" in invitation.body
        found = links(invitation.body)
        assert f"{BASE}/rounds/{round_.id}" in found
        assert f"{BASE}/revisions/{plan.revision.id}" in found
        assert all(link.startswith(BASE + "/") for link in found), found
    for person in (gone, outsider, observer, world.admin):
        assert received_by(sink, person, INVITATION) == []


# --- 2. deadline reminders on a fake clock --------------------------------------------


def remind_and_deliver(db: Session, sink: SmtpSink, round_: Round, before: timedelta) -> int:
    """Run the reminder job ``before`` the round's deadline, deliver; number queued."""
    queued = reminders.queue_reminders(db, now=round_.closes_at - before)
    deliver(db, sink.port)
    return queued


def test_reminders_3_days_and_1_day_before_each_exactly_once(
    app: Flask, db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    mia = make_user("Mia Mitglied")
    plan = world.consultation("Schulentwicklungsplan", [mia])
    round_ = world.open_round(plan, "Runde Schulen", notify=False)
    deadline = str(app.jinja_env.filters["deadline"](round_.closes_at))

    def reminded() -> int:
        return len(received_by(sink, mia, REMINDER))

    for before in (timedelta(days=4), timedelta(days=3) + MINUTE):
        remind_and_deliver(db, sink, round_, before)
        assert reminded() == 0, before
    remind_and_deliver(db, sink, round_, timedelta(days=3) - MINUTE)
    assert reminded() == 1
    (first,) = received_by(sink, mia, REMINDER)
    assert "Runde Schulen" in first.subject
    assert deadline in first.body and f"{BASE}/rounds/{round_.id}" in links(first.body)
    # The job runs again (cron, every hour): nothing new until one day before.
    for before in (timedelta(days=3) - 2 * MINUTE, timedelta(days=2), timedelta(days=1) + MINUTE):
        assert remind_and_deliver(db, sink, round_, before) == 0
    assert reminded() == 1
    remind_and_deliver(db, sink, round_, timedelta(days=1) - MINUTE)
    assert reminded() == 2
    for before in (timedelta(hours=23), timedelta(hours=1), MINUTE, -MINUTE, -timedelta(days=1)):
        assert remind_and_deliver(db, sink, round_, before) == 0
    assert reminded() == 2
    assert [m.recipients for m in sink.received()] == [(mia.email,)] * 2


def test_an_extended_deadline_gets_fresh_reminders_for_the_new_deadline(
    app: Flask, db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    mia = make_user("Mia Mitglied")
    plan = world.consultation("Schulentwicklungsplan", [mia])
    round_ = world.open_round(plan, "Runde Schulen", notify=False)
    old_deadline = round_.closes_at
    remind_and_deliver(db, sink, round_, timedelta(days=3) - MINUTE)
    assert len(received_by(sink, mia, REMINDER)) == 1

    now = old_deadline - timedelta(days=2)
    new_deadline = old_deadline + timedelta(days=7)
    rounds.extend_round(
        db,
        round_.id,
        actor=world.admin,
        closes_at=new_deadline,
        reason="Bitte der Verbände",
        now=now,
    )
    assert round_.closes_at == new_deadline
    # The old deadline's 1-day point passes without a reminder: it is no deadline any more.
    assert reminders.queue_reminders(db, now=old_deadline - timedelta(days=1) + MINUTE) == 0
    assert remind_and_deliver(db, sink, round_, timedelta(days=3) + MINUTE) == 0
    assert len(received_by(sink, mia, REMINDER)) == 1
    remind_and_deliver(db, sink, round_, timedelta(days=3) - MINUTE)
    remind_and_deliver(db, sink, round_, timedelta(days=2))
    remind_and_deliver(db, sink, round_, timedelta(days=1) - MINUTE)
    remind_and_deliver(db, sink, round_, timedelta(hours=2))
    first, *fresh = received_by(sink, mia, REMINDER)
    assert len(fresh) == 2
    new_text = str(app.jinja_env.filters["deadline"](new_deadline))
    old_text = str(app.jinja_env.filters["deadline"](old_deadline))
    assert all(new_text in m.body and old_text not in m.body for m in fresh)
    assert old_text in first.body


# --- 3. daily digests -----------------------------------------------------------------


def test_a_daily_digest_is_one_mail_grouped_by_consultation_sent_once(
    db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    dana, ivo = make_user("Dana Digest"), make_user("Ivo Immediately")
    for kind in (NotificationKind.INVITATION, NotificationKind.DEADLINE_REMINDER):
        set_mode(db, dana, kind, NotificationMode.DIGEST)
    schools = world.consultation("Schulentwicklungsplan", [dana, ivo])
    bikes = world.consultation("Radverkehrskonzept", [dana, ivo])
    world.open_round(schools, "Runde Schulen", closes=timedelta(days=2))
    world.open_round(bikes, "Runde Radwege", closes=timedelta(days=2))
    reminders.queue_reminders(db, now=utcnow())
    deliver(db, sink.port)
    assert received_by(sink, dana) == []  # held for the digest
    assert len(received_by(sink, ivo, INVITATION)) == 2  # the others' mail did go out
    assert len(received_by(sink, ivo, REMINDER)) == 2

    assert notification_digest.send_digests(db) == 1
    deliver(db, sink.port)
    (digest,) = received_by(sink, dana)
    assert digest.subject.startswith(DIGEST) and "4 Benachrichtigungen" in digest.subject
    body = digest.body
    assert body.count("=== Schulentwicklungsplan ===") == 1
    assert body.count("=== Radverkehrskonzept ===") == 1
    items = re.findall(r"^--- (.+) ---$", body, flags=re.M)
    assert [item.split(":")[0] for item in items] == [INVITATION, "Erinnerung"] * 2
    assert ["Runde Schulen" in i for i in items] == [True, True, False, False]
    assert ["Runde Radwege" in i for i in items] == [False, False, True, True]
    # Each item under its own consultation's heading.
    positions = [body.index(f"--- {item} ---") for item in items]
    split = body.index("=== Radverkehrskonzept ===")
    assert body.index("=== Schulentwicklungsplan ===") < positions[0]
    assert positions[1] < split < positions[2]
    assert f"{BASE}/rounds/" in body

    # Sent once: the next run has nothing for her.
    assert notification_digest.send_digests(db) == 0
    deliver(db, sink.port)
    assert len(received_by(sink, dana)) == 1


# --- 4. off ---------------------------------------------------------------------------


def test_a_kind_turned_off_is_not_mailed_while_the_other_kinds_are(
    db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    no_reminders, no_invitations = make_user("Rita Ruhe"), make_user("Ingo Ohne")
    everything = make_user("Alma Alles")
    set_mode(db, no_reminders, NotificationKind.DEADLINE_REMINDER, NotificationMode.OFF)
    set_mode(db, no_invitations, NotificationKind.INVITATION, NotificationMode.OFF)
    plan = world.consultation("Schulentwicklungsplan", [no_reminders, no_invitations, everything])
    round_ = world.open_round(plan, "Runde Schulen")
    remind_and_deliver(db, sink, round_, timedelta(days=3) - MINUTE)
    remind_and_deliver(db, sink, round_, timedelta(days=1) - MINUTE)

    def counts(person: User) -> tuple[int, int]:
        return len(received_by(sink, person, INVITATION)), len(received_by(sink, person, REMINDER))

    assert counts(everything) == (1, 2)
    assert counts(no_reminders) == (1, 0)
    assert counts(no_invitations) == (0, 2)
    assert len(sink.received()) == 6  # nothing else, no digest either
    assert notification_digest.send_digests(db) == 0


# --- 6. the SMTP server down and back ---------------------------------------------------


def test_nothing_is_lost_while_the_smtp_server_is_down(
    db: Session, world: MailWorld, make_user: Callable[..., User]
) -> None:
    people = [make_user(f"Person {n}") for n in range(3)]
    plan = world.consultation("Schulentwicklungsplan", people)
    world.open_round(plan, "Runde Schulen", closes=timedelta(days=2))
    reminders.queue_reminders(db)
    db.commit()  # queued durably, as a request leaves it
    queued = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    expected = Counter((m.to_address, m.subject) for m in queued)
    assert len(queued) == 6 and len(expected) == 6  # an invitation and a reminder each

    port = free_port()  # nobody listens here (yet)
    t0 = utcnow()
    assert deliver(db, port, now=t0) == (0, 6)
    db.expire_all()
    for row in db.scalars(select(OutboxMessage)):
        assert row.sent_at is None and row.failed_at is None and row.attempts == 1
        assert "ConnectionRefusedError" in (row.last_error or "")

    server = SmtpSink()
    server.start(port)
    try:
        assert deliver(db, port, now=t0 + timedelta(seconds=30)) == (0, 0)  # not due yet
        assert server.received() == []
        assert deliver(db, port, now=t0 + MINUTE) == (6, 0)
        assert deliver(db, port, now=t0 + timedelta(hours=5)) == (0, 0)
    finally:
        server.stop()
    received = Counter((r, m.subject) for m in server.received() for r in m.recipients)
    assert received == expected  # every message exactly once
    db.expire_all()
    assert all(row.sent_at == t0 + MINUTE for row in db.scalars(select(OutboxMessage)))


# --- 7. the HTML part ------------------------------------------------------------------


def test_a_notification_has_an_escaped_html_part_with_its_links(
    db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    """Pending the HTML alternative of issue 14 (text/plain + text/html)."""
    mia = make_user("Mia Mitglied")
    plan = world.consultation("Schulentwicklungsplan", [mia])
    title = "Runde <script>alert(1)</script> & Co"
    round_ = world.open_round(plan, title)
    deliver(db, sink.port)
    (invitation,) = received_by(sink, mia, INVITATION)
    assert title in invitation.subject and title in invitation.body  # plain text as typed
    assert invitation.content_type == "multipart/alternative"
    html = invitation.html
    assert html is not None, "no text/html part"
    link = f"{BASE}/rounds/{round_.id}"
    assert re.search(rf'<a\s[^>]*href="{re.escape(link)}"', html), html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "Guten Tag Mia Mitglied," in html
