"""The reading view and the diff take as many SQL queries for 100 sections as for 10."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from consult.models import Membership, Revision, User
from consult.services import consultations as consultation_service
from consult.services import draft_sections
from consult.services import drafts as drafts_service
from consult.services import revisions as service
from tests.conftest import CSRFClient


def outline_markdown(sections: int) -> str:
    """A draft of ``sections`` sections in three levels (chapters, sections, subsections)."""
    parts: list[str] = []
    chapter = section = sub = 0
    for n in range(sections):
        if n % 10 == 0:
            chapter, section = chapter + 1, 0
            key, level = f"{chapter}", 1
        elif n % 10 in (1, 4, 7):
            section, sub = section + 1, 0
            key, level = f"{chapter}.{section}", 2
        else:
            sub += 1
            key, level = f"{chapter}.{section}.{sub}", 3
        parts.append(
            f"{'#' * level} {key} Abschnitt {n}\n\n"
            f"Text des Abschnitts {n} über Teilhabe in der Kommune.\n\n"
            f"- Maßnahme {n}a\n- Maßnahme {n}b\n"
        )
    return "\n".join(parts)


@dataclass
class Drafts:
    first: Revision
    second: Revision


@pytest.fixture
def make_drafts(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> Callable[[int, User], Drafts]:
    """A published revision of n sections and a draft after it with 3 sections changed,
    one removed, one added and one moved."""

    def make(sections: int, editor: User) -> Drafts:
        consultation = consultation_service.create_consultation(
            db, actor=admin, title=f"Konzept mit {sections} Abschnitten"
        )
        add_member(consultation.id, editor, "editor")
        first = drafts_service.create_from_markdown(
            db, consultation.id, actor=editor, markdown=outline_markdown(sections)
        )
        drafts_service.publish(db, first.id, actor=editor)
        second = drafts_service.copy_revision(db, first.id, actor=editor)
        placements = service.outline(db, second).placements
        for placement in placements[2:5]:
            draft_sections.update_section(
                db,
                second.id,
                placement.section_id,
                actor=editor,
                base_version_id=placement.version_id,
                body=placement.version.body.replace("Teilhabe", "gleichberechtigte Teilhabe"),
            )
        draft_sections.delete_section(db, second.id, placements[5].section_id, actor=editor)
        draft_sections.add_section(db, second.id, actor=editor, title="Neu", body="Neuer Text.")
        draft_sections.move_section(
            db, second.id, placements[3].section_id, actor=editor, direction="up"
        )
        db.commit()
        return Drafts(first, second)

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


def queries(client: CSRFClient, connection: Connection, url: str) -> list[str]:
    """The statements of one request, made in an app context of its own: as in
    production, the request starts with a new database session (the ``app`` fixture's
    context would otherwise carry one session, and its identity map, across requests)."""
    with client.application.app_context(), counting(connection) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statements


def test_query_counts_do_not_grow_with_the_number_of_sections(
    connection: Connection,
    make_drafts: Callable[[int, User], Drafts],
    make_user: Callable[..., User],
    login: Callable[[User], CSRFClient],
) -> None:
    editor = make_user()
    small, large = make_drafts(10, editor), make_drafts(100, editor)
    client = login(editor)
    client.get("/")  # the first request of a session may load extra things; not counted

    counts: dict[str, tuple[int, int]] = {}
    statements: dict[str, list[str]] = {}
    for label, url in [
        ("reading view (published)", "/revisions/{first}"),
        ("reading view (draft)", "/revisions/{second}"),
        ("diff, cold cache", "/revisions/{second}/diff?against={first}"),
        ("diff, cached", "/revisions/{second}/diff?against={first}"),
        ("diff, inline", "/revisions/{second}/diff?against={first}&view=inline"),
        ("diff, synopsis", "/revisions/{second}/diff?against={first}&view=synopsis&only=changes"),
    ]:
        few, many = (
            queries(
                client,
                connection,
                url.format(first=drafts.first.id, second=drafts.second.id),
            )
            for drafts in (small, large)
        )
        counts[label] = (len(few), len(many))
        statements[label] = few
        assert len(few) == len(many), (label, few, many)
    print("\nSQL statements per request (10 vs 100 sections):", counts)
    # Sanity: the counter sees the requests' queries at all.
    assert all(few >= 3 for few, _ in counts.values())

    # The cold diff stores its cache rows in one statement (in a short write transaction
    # of its own: here a savepoint around it); the cached one only reads them.
    def inserts(label: str) -> list[str]:
        return [q for q in statements[label] if q.lstrip().upper().startswith("INSERT")]

    assert len(inserts("diff, cold cache")) == 1
    assert inserts("diff, cached") == []
    assert counts["diff, cold cache"][0] == counts["diff, cached"][0] + 3
