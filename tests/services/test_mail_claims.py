"""Every e-mail exactly once, however many deliverers run at once.

Delivery runs after requests (one thread per worker process), from ``flask mail send``
in cron, in several gunicorn workers at once. It used to pick every due row and send
it, so four workers sent the same reply notice up to five times. Now a deliverer claims
rows before sending them (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: under the
write lock) and marks each one sent in its own short transaction; a message whose
deliverer died midway is taken over when its claim's lease runs out.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.config import Settings
from consult.db import Database, utcnow
from consult.models import OutboxMessage
from consult.services import mail
from tests.conftest import migrate
from tests.servers import configured_postgresql_url, fresh_database

BACKENDS = ["sqlite"] + (["postgresql"] if configured_postgresql_url() else [])


class Recorder:
    """A backend that records what it sends (thread-safe), a little slowly."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.sent: list[str] = []

    def send(self, message: EmailMessage) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(str(message["To"]))


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with fresh_database(tmp_path, "mail_claims", request.param) as url:
        database = Database(url)
        migrate(database.engine)
        yield database
        database.engine.dispose()


def queue_many(database: Database, n: int) -> None:
    with database.session_scope() as session:
        for i in range(n):
            mail.queue(session, f"person{i}@example.org", f"Nachricht {i}", "Text.\n")


def test_four_deliverers_at_once_send_each_message_once(fresh: Database) -> None:
    queue_many(fresh, 60)
    cfg = Settings(mail_backend="console")
    backend = Recorder(delay=0.005)
    barrier = threading.Barrier(4)
    results: list[tuple[int, int]] = []

    def deliverer() -> None:
        barrier.wait()
        results.append(mail.deliver_due(fresh, cfg, backend=backend))

    threads = [threading.Thread(target=deliverer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    counts = Counter(backend.sent)
    assert len(counts) == 60
    assert set(counts.values()) == {1}, [a for a, n in counts.items() if n > 1]
    assert sum(sent for sent, _ in results) == 60
    with fresh.session_scope(write=False) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert all(r.sent_at is not None and r.attempts == 1 for r in rows)
        assert all(r.claim_token is None and r.claimed_until is None for r in rows)


def test_a_message_claimed_by_a_deliverer_that_died_is_sent_after_the_lease(
    fresh: Database,
) -> None:
    queue_many(fresh, 3)
    now = utcnow()
    cfg = Settings(mail_backend="console")
    # A deliverer claims the messages and dies before sending them.
    assert len(mail._claim(fresh, now, "dead-deliverer")) == 3
    backend = Recorder()
    assert mail.deliver_due(fresh, cfg, backend=backend, now=now + timedelta(minutes=1)) == (0, 0)
    assert backend.sent == []
    later = now + mail.CLAIM_LEASE + timedelta(seconds=1)
    assert mail.deliver_due(fresh, cfg, backend=backend, now=later) == (3, 0)
    assert sorted(backend.sent) == [f"person{i}@example.org" for i in range(3)]


def test_a_late_deliverer_cannot_mark_a_message_taken_over(db: Session) -> None:
    """Only the holder of the current claim records the outcome."""
    row = mail.queue(db, "lea@example.org", "Hallo", "Text.\n")
    database: Database = db.info["database"]
    now = utcnow()
    mail._claim(database, now, "first")
    later = now + mail.CLAIM_LEASE + timedelta(seconds=1)
    assert mail._claim(database, later, "second") == [row.id]
    # The first deliverer wakes up and tries to send: its claim is gone.
    cfg = Settings(mail_backend="console")
    backend = Recorder()
    assert mail._deliver_one(database, backend, cfg, row.id, "first", later) is None
    assert backend.sent == []
    assert mail._deliver_one(database, backend, cfg, row.id, "second", later) is True
    db.expire_all()
    stored = db.get(OutboxMessage, row.id)
    assert stored is not None and stored.sent_at == later and stored.attempts == 2
