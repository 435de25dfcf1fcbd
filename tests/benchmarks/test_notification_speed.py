"""Notifications (issue 14): a round opened for 300 people queues 300 invitations, each
rendered twice (the text, and the HTML part built from it) in the person's language with
a signed unsubscribe link; then the same for people who chose the daily digest, and the
digest run that gathers two items each into one mail.

The invitations are queued in the editor's request (the transaction that opens the
round), so their cost is the editor's wait: it must stay well below a second for the
largest working groups of a county.

Run with ``make bench`` to see the figures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import DigestItem, NotificationKind, NotificationMode, OutboxMessage, User
from consult.services import notification_digest, notification_settings
from tests.services.mail_world import MailWorld

PEOPLE = 300
#: Most opening a round for PEOPLE may take, its invitations queued (seconds, median).
LIMIT = 1.0
RUNS = 3


def _outbox(db: Session) -> int:
    return db.scalar(select(func.count(OutboxMessage.id))) or 0


def test_invitations_and_digests(db: Session, admin: User, make_user: Callable[..., User]) -> None:
    world = MailWorld(db, admin, make_user)
    people = [make_user(f"Person {n:03d}") for n in range(PEOPLE)]
    consult = world.consultation("Integrationskonzept", people)
    timings = []
    for run in range(RUNS):
        before = _outbox(db)
        started = time.perf_counter()
        world.open_round(consult, f"Runde {run + 1}")
        timings.append(time.perf_counter() - started)
        assert _outbox(db) - before == PEOPLE
    median = statistics.median(timings)
    print(
        f"\nround opened for {PEOPLE} people, invitations queued (text + HTML): "
        f"median {median * 1000:.0f} ms ({median / PEOPLE * 1000:.2f} ms a mail)"
    )

    digest = {NotificationKind.INVITATION: NotificationMode.DIGEST}
    for person in people:
        notification_settings.update_settings(db, digest, actor=person)
    before = _outbox(db)
    started = time.perf_counter()
    world.open_round(consult, "Runde 4")
    world.open_round(consult, "Runde 5")
    held = time.perf_counter() - started
    assert _outbox(db) == before
    assert db.scalar(select(func.count(DigestItem.id))) == 2 * PEOPLE
    started = time.perf_counter()
    sent = notification_digest.send_digests(db)
    digests = time.perf_counter() - started
    assert sent == PEOPLE and _outbox(db) - before == PEOPLE
    print(
        f"two rounds held for the digest of {PEOPLE} people: {held * 1000:.0f} ms; "
        f"the digest run ({PEOPLE} mails of 2 items): {digests * 1000:.0f} ms"
    )
    assert median < LIMIT
