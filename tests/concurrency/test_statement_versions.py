"""Several signatories of one municipality submitting its statement at the same moment
(issue 12): every submission becomes a version, numbered 1..n without a gap or a
duplicate, and each submitter gets exactly one confirmation with its PDF copy.

The versions are numbered under a lock on the statement (and, for the first one, a lock
on the round and municipality's name): PostgreSQL makes the second writer wait for the
first and then read its number; SQLite runs writers one after another. The statement row
itself is made once (unique per round and municipality) even when the first submissions
of all arrive together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, func, select
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import (
    Membership,
    OutboxAttachment,
    OutboxMessage,
    Statement,
    StatementVersion,
    User,
)
from consult.models import Organisation as Org
from consult.services import api_tokens
from consult.services import rounds as round_service
from tests.concurrency.conftest import LiveDatabase
from tests.servers import (
    FAST_HASH,
    PASSWORD,
    Client,
    Outcome,
    Server,
    SmtpSink,
    run_together,
    seeding_app,
    wait_for,
)

SIGNATORIES = 8
SUBMISSIONS_EACH = 2


@dataclass(frozen=True)
class Town:
    round_id: int
    organisation_id: int
    tokens: tuple[str, ...]
    emails: tuple[str, ...]


def _seed_town(live: LiveDatabase, directory: Path) -> Town:
    """A municipality with SIGNATORIES signatories and a round that asks it, written into
    the server's database in-process (as tests/servers.py seeds)."""
    app = seeding_app(live.url, directory, "town")
    try:
        with app.app_context(), database(app).session_scope() as session:
            town = Org(name=f"Stadt Eilig {live.tag}", kind="municipality", is_active=True)
            session.add(town)
            session.flush()
            people = []
            for n in range(SIGNATORIES):
                email = f"rathaus{n}-{live.tag}@eilig.example"
                user = User(
                    email=email,
                    email_key=email,
                    name=f"Bürgermeisterin {n}",
                    organisation=town,
                    is_active=True,
                    password_hash=generate_password_hash(PASSWORD, method=FAST_HASH),
                )
                session.add(user)
                session.flush()
                session.add(
                    Membership(
                        consultation_id=live.seed.consultation_id,
                        user_id=user.id,
                        role="municipality",
                        is_signatory=True,
                        signatory_function="Bürgermeisterin",
                    )
                )
                people.append(user)
            session.flush()
            editor = session.get(User, live.seed.editors[0].id)
            now = utcnow()
            round_ = round_service.create_round(
                session,
                live.seed.consultation_id,
                actor=editor,
                revision_id=live.seed.revision_id,
                title=f"Stellungnahmen {live.tag}",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=2),
                municipalities=True,
                notify=False,
            )
            tokens = tuple(
                api_tokens.create_api_token(session, actor=user, name="Eile")[1] for user in people
            )
            return Town(round_.id, town.id, tokens, tuple(u.email for u in people))
    finally:
        database(app).engine.dispose()


def test_simultaneous_submissions_are_numbered_without_gaps(
    server: Server,
    live_database: LiveDatabase,
    engine_for_counting: Engine,
    sink: SmtpSink,
    workdir: Path,
) -> None:
    mark = server.log_mark()
    town = _seed_town(live_database, workdir)
    clients = [Client(server, f"B{n}", token=token) for n, token in enumerate(town.tokens)]

    def submit_twice(client: Client, n: int) -> list[Outcome]:
        return [
            client.call(
                "POST",
                f"/api/v1/rounds/{town.round_id}/statements",
                "submit",
                json={
                    "organisation_id": town.organisation_id,
                    "position": "consent_with_remarks",
                    "body": f"Fassung von Person {n}, Versuch {attempt}.",
                    "signatory": f"Bürgermeisterin {n}",
                },
            )
            for attempt in range(SUBMISSIONS_EACH)
        ]

    try:
        results = run_together([partial(submit_twice, c, n) for n, c in enumerate(clients)])
    finally:
        for client in clients:
            client.close()
    outcomes = [o for found in results for o in found]
    failed = [o.describe() for o in outcomes if o.status != 201]
    assert not failed, "\n".join(failed) + "\n" + server.errors(since=mark)
    total = SIGNATORIES * SUBMISSIONS_EACH
    with engine_for_counting.connect() as conn:
        statements = conn.scalar(
            select(func.count()).select_from(Statement).where(Statement.round_id == town.round_id)
        )
        numbers = sorted(
            conn.scalars(
                select(StatementVersion.number).where(StatementVersion.round_id == town.round_id)
            )
        )
        counted = conn.scalar(
            select(Statement.version_count).where(Statement.round_id == town.round_id)
        )
    assert statements == 1
    assert numbers == list(range(1, total + 1)), numbers
    assert counted == total
    # Every answer named the version it made, each number once.
    assert sorted(o.data["version"] for o in outcomes) == list(range(1, total + 1))

    def confirmations() -> list[str]:
        return [
            address
            for mail in sink.received()
            if "Eingangsbestätigung" in mail.subject
            for address in mail.recipients
            if address in town.emails
        ]

    settled, found = wait_for(lambda: len(confirmations()) >= total, timeout=60)
    assert settled, f"{len(confirmations())} of {total} confirmations arrived"
    assert sorted(confirmations()) == sorted(town.emails * SUBMISSIONS_EACH)
    with engine_for_counting.connect() as conn:
        copies = conn.scalar(
            select(func.count())
            .select_from(OutboxAttachment)
            .join(OutboxMessage, OutboxMessage.id == OutboxAttachment.message_id)
            .where(OutboxMessage.to_address.in_(town.emails))
        )
    assert copies == total and found
