"""People of one test, written into the tier's database in-process (as tests/servers.py
seeds), so that a test that changes or erases accounts never touches the shared seed's
people, whom the other tests of the tier count on.

Each person belongs to an organisation of their own and is a participant of the seed's
consultation (in its working group "AK Alle", so they may comment in the open round).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from consult.db import database
from consult.models import Organisation, User, WorkingGroup
from consult.services import api_tokens
from consult.services import consultations as consultation_service
from tests.concurrency.conftest import LiveDatabase
from tests.servers import PASSWORD, Client, Person, Server, add_user, seeding_app


@dataclass(frozen=True)
class Member:
    """A person of one test: their account and the organisation they act for."""

    person: Person
    organisation_id: int


def add_people(
    live: LiveDatabase,
    directory: Path,
    label: str,
    count: int,
    *,
    admins: int = 0,
) -> tuple[tuple[Member, ...], tuple[Person, ...]]:
    """``count`` participants of the seed's consultation and ``admins`` admins, all with an
    API token and the tier's password. Names and addresses carry ``label`` and the run's
    tag (unique in the database, and no name is a part of another's)."""
    app = seeding_app(live.url, directory, label)
    try:
        with app.app_context(), database(app).session_scope() as session:
            editor = session.get(User, live.seed.editors[0].id)
            assert editor is not None and editor.organisation is not None
            group_ids = list(
                session.scalars(
                    select(WorkingGroup.id).where(
                        WorkingGroup.consultation_id == live.seed.consultation_id
                    )
                )
            )

            def account(n: int, organisation: Organisation, *, admin: bool) -> User:
                email = f"{label}{n}-{live.tag}@leute.example"
                name = f"{label.capitalize()} Nr. {n:02d}/{live.tag}"
                return add_user(session, email, name, organisation, admin=admin)

            members = []
            for n in range(1, count + 1):
                organisation = Organisation(
                    name=f"{label.capitalize()}-Verein {n:02d} ({live.tag})",
                    kind="welfare",
                    is_active=True,
                )
                session.add(organisation)
                user = account(n, organisation, admin=False)
                consultation_service.set_member(
                    session,
                    live.seed.consultation_id,
                    user.id,
                    actor=editor,
                    role="participant",
                    working_group_ids=group_ids,
                )
                members.append((user, organisation))
            county = editor.organisation
            admin_users = [account(100 + n, county, admin=True) for n in range(admins)]
            session.flush()

            def with_token(user: User) -> Person:
                _row, raw = api_tokens.create_api_token(session, actor=user, name=label)
                return Person(user.id, user.email, user.name, raw)

            return (
                tuple(Member(with_token(u), o.id) for u, o in members),
                tuple(with_token(u) for u in admin_users),
            )
    finally:
        database(app).engine.dispose()


def signed_in(server: Server, person: Person, who: str) -> tuple[Client, str]:
    """A browser session of ``person`` (logged in through the form) and the CSRF token of
    its forms (read from the profile page, after the login made a fresh session)."""
    client = Client(server, who)
    outcome = client.login(person.email, PASSWORD)
    assert outcome.status == 302, outcome.describe()
    page = client.session.get(server.url("/profile"), timeout=client.timeout)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert match, "no csrf_token on the profile page"
    return client, match.group(1)
