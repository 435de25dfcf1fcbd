"""The links in notifications as received by a real SMTP server on loopback (issue 14,
"Must show"), followed with Flask's test client: the invitation's link opens the round,
the unsubscribe link (in the text and in ``List-Unsubscribe``) works without login and
without a CSRF token, a garbled or forged one changes nothing, and a digest's one link
turns off every kind it gathers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import NotificationKind, NotificationMode, User
from consult.services import notification_digest, reminders
from consult.services import notification_settings as settings
from tests.conftest import CSRFClient
from tests.servers import ReceivedMail, SmtpSink, smtp_sink
from tests.services.mail_world import (
    BASE,
    DIGEST,
    INVITATION,
    REMINDER,
    MailWorld,
    deliver,
    links,
    path_of,
    received_by,
    unsubscribe_links,
)

MINUTE = timedelta(minutes=1)
REMINDERS = NotificationKind.DEADLINE_REMINDER


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def world(db: Session, admin: User, make_user: Callable[..., User]) -> MailWorld:
    return MailWorld(db, admin, make_user)


def anonymous(app: Flask) -> CSRFClient:
    """A client that never logged in (no session cookie)."""
    client = app.test_client()
    assert isinstance(client, CSRFClient)
    return client


def modes(db: Session, user: User) -> dict[NotificationKind, NotificationMode]:
    db.expire_all()
    return settings.get_all(db, user)


def the_unsubscribe_link(mail: ReceivedMail) -> str:
    """The one unsubscribe link of a received mail: the same in its text and headers."""
    (in_text,) = unsubscribe_links(mail.body)
    assert mail.header("List-Unsubscribe") == [f"<{in_text}>"]
    assert mail.header("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    return in_text


def test_the_invitation_link_opens_the_round_for_the_invited(
    db: Session,
    world: MailWorld,
    make_user: Callable[..., User],
    sink: SmtpSink,
    login: Callable[[User], CSRFClient],
) -> None:
    mia = make_user("Mia Mitglied")
    plan = world.consultation("Schulentwicklungsplan", [mia])
    round_ = world.open_round(plan, "Runde Schulen")
    deliver(db, sink.port)
    (invitation,) = received_by(sink, mia, INVITATION)
    round_link, text_link = (f"{BASE}/rounds/{round_.id}", f"{BASE}/revisions/{plan.revision.id}")
    assert {round_link, text_link} <= set(links(invitation.body))
    me = login(mia)
    page = me.get(path_of(round_link))
    assert page.status_code == 200
    assert "Runde Schulen" in page.get_data(as_text=True)
    assert me.get(path_of(text_link)).status_code == 200


def test_the_unsubscribe_link_of_a_received_mail_works_without_login(
    app: Flask, db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    mia = make_user("Mia Mitglied")
    plan = world.consultation("Schulentwicklungsplan", [mia])
    round_ = world.open_round(plan, "Runde Schulen", notify=False)
    reminders.queue_reminders(db, now=round_.closes_at - timedelta(days=3) + MINUTE)
    deliver(db, sink.port)
    (reminder,) = received_by(sink, mia, REMINDER)
    path = path_of(the_unsubscribe_link(reminder))
    db.commit()
    before = modes(db, mia)
    assert before[REMINDERS] is NotificationMode.IMMEDIATELY

    # A link preview or a person opening it: the page asks, nothing changes.
    visitor = anonymous(app)
    page = visitor.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Abbestellen" in text and mia.email in text and "Erinnerungen an Fristen" in text
    assert modes(db, mia) == before

    # RFC 8058 one-click: a mail program's POST, no session, no CSRF token.
    done = anonymous(app).post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "Erledigt" in done.get_data(as_text=True)
    after = modes(db, mia)
    assert after[REMINDERS] is NotificationMode.OFF
    assert {k: m for k, m in after.items() if k is not REMINDERS} == {
        k: m for k, m in before.items() if k is not REMINDERS
    }

    # The next reminder (one day before) is not sent; other kinds still are.
    reminders.queue_reminders(db, now=round_.closes_at - timedelta(days=1) + MINUTE)
    world.open_round(plan, "Zweite Runde")
    deliver(db, sink.port)
    assert len(received_by(sink, mia, REMINDER)) == 1
    assert len(received_by(sink, mia, INVITATION)) == 1


def _forge(token: str, user_id: int) -> str:
    """The token's payload made to name another person, its signature kept."""
    payload, _dot, signature = token.rpartition(".")
    data = json.loads(base64_decode(payload))
    data["u"] = user_id
    return base64_encode(json.dumps(data, separators=(",", ":"))).decode() + "." + signature


def test_a_garbled_or_forged_unsubscribe_link_changes_nothing(
    app: Flask, db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    mia, jonas = make_user("Mia Mitglied"), make_user("Jonas Becker")
    plan = world.consultation("Schulentwicklungsplan", [mia, jonas])
    world.open_round(plan, "Runde Schulen")
    deliver(db, sink.port)
    (invitation,) = received_by(sink, mia, INVITATION)
    link = path_of(the_unsubscribe_link(invitation))
    prefix, _slash, token = link.rpartition("/")
    middle = len(token) - 10  # inside the signature
    swapped = "A" if token[middle] != "A" else "B"
    bad = {
        "garbled": token[:middle] + swapped + token[middle + 1 :],
        "cut": token[: len(token) // 2],
        "other person": _forge(token, jonas.id),
        "too long": token + "x" * 600,
    }
    db.commit()
    before = {person.id: modes(db, person) for person in (mia, jonas)}
    for name, forged in bad.items():
        visitor = anonymous(app)
        assert visitor.get(f"{prefix}/{forged}").status_code == 404, name
        response = visitor.post(
            f"{prefix}/{forged}", data={"List-Unsubscribe": "One-Click"}, csrf=False
        )
        assert response.status_code == 404, name
    assert {person.id: modes(db, person) for person in (mia, jonas)} == before
    # The link as sent still works (the test above is not vacuous).
    assert anonymous(app).post(link, csrf=False).status_code == 200
    assert modes(db, mia)[NotificationKind.INVITATION] is NotificationMode.OFF
    assert modes(db, jonas) == before[jonas.id]


def test_a_digest_has_one_unsubscribe_link_that_turns_off_the_kinds_it_gathers(
    app: Flask, db: Session, world: MailWorld, make_user: Callable[..., User], sink: SmtpSink
) -> None:
    dana = make_user("Dana Digest")
    gathered = (NotificationKind.INVITATION, REMINDERS)
    for kind in (*gathered, NotificationKind.REVISION):
        settings.update_settings(db, {kind: NotificationMode.DIGEST}, actor=dana)
    schools = world.consultation("Schulentwicklungsplan", [dana])
    bikes = world.consultation("Radverkehrskonzept", [dana])
    world.open_round(schools, "Runde Schulen", closes=timedelta(days=2))
    world.open_round(bikes, "Runde Radwege", closes=timedelta(days=2))
    reminders.queue_reminders(db, now=utcnow())
    assert notification_digest.send_digests(db) == 1
    deliver(db, sink.port)
    (digest,) = received_by(sink, dana)
    assert digest.subject.startswith(DIGEST)
    # No footer per item: one link for the whole digest, in the text and the header.
    path = path_of(the_unsubscribe_link(digest))
    if digest.html is not None:
        assert digest.html.count("/notifications/unsubscribe/") == 1
    db.commit()
    before = modes(db, dana)

    assert anonymous(app).get(path).status_code == 200
    assert modes(db, dana) == before
    done = anonymous(app).post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    after = modes(db, dana)
    assert [after[kind] for kind in gathered] == [NotificationMode.OFF] * 2
    # A kind set to the digest but with nothing in this one stays as it was.
    assert after[NotificationKind.REVISION] is NotificationMode.DIGEST
    assert {k: after[k] for k in NotificationKind if k not in gathered} == {
        k: before[k] for k in NotificationKind if k not in gathered
    }
