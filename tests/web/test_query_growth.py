"""Pages and API lists take as many SQL statements at 10 published revisions as at 2, at
30 members as at 3, at 8 rounds as at 1 (issue 8, item 7).

Each case builds two consultations that differ in one dimension only (each with a draft
after its published revisions) and counts the statements of one request per page, each
in an app context (a database session) of its own, as in production. The people: an
editor, and a participant invited (through a working group) to the round that is open
on the latest published revision; earlier rounds ask about earlier revisions, closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import Consultation, Organisation, Revision, User
from consult.services import consultations as consultation_service
from consult.services import drafts, working_groups
from consult.services import rounds as round_service
from tests import support
from tests.conftest import CSRFClient

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)

SECTIONS = 6


@dataclass(frozen=True)
class Size:
    #: Published revisions (a draft follows them).
    revisions: int
    members: int
    rounds: int


SMALL = Size(revisions=2, members=3, rounds=1)
#: Each case grows one dimension of SMALL.
CASES = {
    "revisions": Size(revisions=10, members=3, rounds=1),
    "members": Size(revisions=2, members=30, rounds=1),
    "rounds": Size(revisions=2, members=3, rounds=8),
}


@dataclass
class World:
    consultation: Consultation
    editor: User
    participant: User
    #: The latest published revision (an open round on it invites the participant).
    published: Revision
    #: The draft after it.
    draft: Revision
    #: The published revision before ``published``.
    previous: Revision


def markdown(number: int) -> str:
    """A draft of SECTIONS sections; revision ``number`` rewrites one section's text."""
    parts = []
    for n in range(SECTIONS):
        text = f"Text des Abschnitts {n} über Teilhabe in der Kommune."
        if n == number % SECTIONS:
            text += f" Ergänzt in Fassung {number}."
        parts.append(f"## {n + 1} Abschnitt {n + 1}\n\n{text}\n")
    return "\n".join(parts)


@pytest.fixture
def build(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Any],
) -> Callable[[Size], World]:
    def make(size: Size) -> World:
        consultation = consultation_service.create_consultation(
            db, actor=admin, title=f"Konzept {size}"
        )
        editor = make_user("Erika Redaktion")
        add_member(consultation.id, editor, "editor")
        # Revisions 1 .. n published, revision n + 1 a draft.
        published: list[Revision] = []
        for number in range(1, size.revisions + 2):
            revision = drafts.create_from_markdown(
                db, consultation.id, actor=editor, markdown=markdown(number)
            )
            if number <= size.revisions:
                drafts.publish(db, revision.id, actor=editor)
                published.append(revision)
        draft = revision
        group = working_groups.create_working_group(
            db, consultation.id, actor=editor, name="AK Bildung"
        )
        participant = make_user("Paula Teilnehmerin")
        # The admin is no member; the editor counts: members - 1 more people.
        roles = ["participant", "observer", "municipality"]
        for n in range(size.members - 1):
            role = "participant" if n == 0 else roles[n % 3]
            kind = "municipality" if role == "municipality" else "welfare"
            user = (
                participant
                if n == 0
                else make_user(f"Person {n}", organisation=make_org(kind=kind))
            )
            consultation_service.set_member(
                db,
                consultation.id,
                user.id,
                actor=editor,
                role=role,
                working_group_ids=[group.id] if role == "participant" else None,
            )
        now = utcnow()
        for n in range(size.rounds):
            # The last round is the open one on the latest published revision; the
            # earlier ones ask about earlier revisions and are closed.
            on = published[max(0, len(published) - size.rounds + n)]
            round_ = round_service.create_round(
                db,
                consultation.id,
                actor=editor,
                revision_id=on.id,
                title=f"Runde {n + 1}",
                opens_at=now - timedelta(days=2),
                closes_at=now + timedelta(days=20),
                working_group_ids=[group.id],
                municipalities=n % 2 == 1,
                visibility="round",
                notify=False,
            )
            if n < size.rounds - 1:
                round_service.close_round(db, round_.id, actor=editor)
        db.commit()
        return World(
            consultation=consultation,
            editor=editor,
            participant=participant,
            published=published[-1],
            draft=draft,
            previous=published[-2],
        )

    return make


@contextmanager
def counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def statements(
    client: CSRFClient, connection: Connection, url: str, headers: dict[str, str] | None = None
) -> list[str]:
    """The statements of one GET (the test client gives each request its own app context)."""
    with counting(connection) as recorded:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    return recorded


EDITOR_PAGES = [
    ("reading view", "/revisions/{published}"),
    ("reading view (draft)", "/revisions/{draft}"),
    ("diff page", "/revisions/{published}/diff?against={previous}"),
    ("diff page (draft)", "/revisions/{draft}/diff?against={published}"),
    ("consultation page", "/consultations/{consultation}"),
    ("history page", "/consultations/{consultation}/history"),
    ("rounds list", "/consultations/{consultation}/rounds"),
    ("members page", "/consultations/{consultation}/members"),
    ("working groups page", "/consultations/{consultation}/working-groups"),
]
PARTICIPANT_PAGES = [
    ("reading view", "/revisions/{published}"),
    ("consultation page", "/consultations/{consultation}"),
    ("history page", "/consultations/{consultation}/history"),
    ("rounds list", "/consultations/{consultation}/rounds"),
    ("members page", "/consultations/{consultation}/members"),
]
API_LISTS = [
    ("API revisions", "/api/v1/consultations/{consultation}/revisions"),
    ("API rounds", "/api/v1/consultations/{consultation}/rounds"),
    ("API members", "/api/v1/consultations/{consultation}/members"),
    ("API working groups", "/api/v1/consultations/{consultation}/working-groups"),
    ("API consultation", "/api/v1/consultations/{consultation}"),
]


def urls(world: World, template: str) -> str:
    return template.format(
        consultation=world.consultation.id,
        published=world.published.id,
        draft=world.draft.id,
        previous=world.previous.id,
    )


@pytest.mark.parametrize("grown", list(CASES))
def test_statements_do_not_grow_with_revisions_members_and_rounds(
    grown: str,
    connection: Connection,
    db: Session,
    build: Callable[[Size], World],
    client: CSRFClient,
    app: Flask,
    token_for: Callable[[User], dict[str, str]],
) -> None:
    # Each size is measured before the next is built: some pages list every active user.
    found: dict[str, list[int]] = {}
    for size in (SMALL, CASES[grown]):
        world = build(size)
        browsers = {
            who: support.sign_in(app.test_client(), db, user)
            for who, user in (("editor", world.editor), ("participant", world.participant))
        }
        tokens = {"editor": token_for(world.editor), "participant": token_for(world.participant)}
        for browser in browsers.values():
            browser.get("/")  # the first request of a session may load more; not counted
        pages = [(label, url, "editor") for label, url in EDITOR_PAGES]
        pages += [(label, url, "participant") for label, url in PARTICIPANT_PAGES]
        pages += [(label, url, who) for label, url in API_LISTS for who in tokens]
        for label, template, who in pages:
            if template.startswith("/api/"):
                recorded = statements(client, connection, urls(world, template), tokens[who])
            else:
                recorded = statements(browsers[who], connection, urls(world, template))
            found.setdefault(f"{label} ({who})", []).append(len(recorded))
    print(f"\nSQL statements per request ({SMALL} vs {CASES[grown]}):")
    for label, (few, many) in found.items():
        print(f"  {label:<40} {few:3d} {many:3d}")
    assert {label: n for label, n in found.items() if n[0] != n[1]} == {}
    # Sanity: the counter sees the requests' queries at all.
    assert all(few >= 2 for few, _ in found.values())
