"""The daily digest goes out once per person, however many digest runs overlap.

``flask --app consult notifications digest`` runs from cron; two hosts, a retried job or a
slow run overlapping the next one all mean several at once. Each person's held items are
locked while their digest is queued and marked digested in the same transaction
(services/notification_digest.py), so of three runs started together each person gets
exactly one digest holding every item, and no item is sent twice or left behind.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import Engine, func, select

from consult.db import database
from consult.models import DigestItem, OutboxMessage
from tests.concurrency.conftest import LiveDatabase
from tests.concurrency.people import add_people
from tests.servers import Server, seeding_app

PEOPLE = 6
ITEMS_EACH = 3
RUNS = 3
SUBJECT = "Ihre tägliche Übersicht"


def test_overlapping_digest_runs_send_each_person_one_digest(
    server: Server, live_database: LiveDatabase, workdir: Path, engine_for_counting: Engine
) -> None:
    label = "sammel" + secrets.token_hex(2)
    members, _admins = add_people(live_database, workdir, label, PEOPLE)
    app = seeding_app(live_database.url, workdir, label + "-items")
    try:
        with app.app_context(), database(app).session_scope() as session:
            for member in members:
                for n in range(ITEMS_EACH):
                    session.add(
                        DigestItem(
                            user_id=member.person.id,
                            kind="reply",
                            consultation_id=live_database.seed.consultation_id,
                            subject=f"Antwort {n + 1} für {member.person.name}",
                            body_text=f"Eine Antwort ({n + 1}).\n",
                        )
                    )
    finally:
        database(app).engine.dispose()

    runs = [server.cli("notifications", "digest") for _ in range(RUNS)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err.decode()[-2000:]

    ids = [member.person.id for member in members]
    with engine_for_counting.connect() as conn:
        left = conn.scalar(
            select(func.count(DigestItem.id)).where(
                DigestItem.user_id.in_(ids), DigestItem.digested_at.is_(None)
            )
        )
        digests = conn.execute(
            select(OutboxMessage.to_address, OutboxMessage.body_text).where(
                OutboxMessage.subject.startswith(SUBJECT)
            )
        ).all()
    assert left == 0
    for member in members:
        mine = [body for address, body in digests if address == member.person.email]
        assert len(mine) == 1, (member.person.email, len(mine))
        for n in range(ITEMS_EACH):
            assert mine[0].count(f"Antwort {n + 1} für {member.person.name}") == 1
