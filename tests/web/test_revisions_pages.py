"""The HTML flows of concept drafts: consultations, import, editor, publishing, history, diffs.

Requests go through the logged-in test client (CSRF token included); what a page wrote is
checked in the database, and rejected submissions are checked for writing nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import docx
import lxml.html
import pytest
from flask import Flask
from flask.globals import app_ctx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Consultation,
    Membership,
    Placement,
    Revision,
    Section,
    SectionVersion,
    User,
)
from consult.services import draft_sections
from consult.services import drafts as drafts_service
from consult.services import revisions as revision_service
from tests.conftest import CSRFClient


@pytest.fixture(autouse=True)
def _app_context_per_request(app: Flask) -> Iterator[None]:
    """One app context (hence one flask.g and one DB session) per request, as in production."""
    outer = app_ctx._get_current_object()
    outer.pop()
    yield
    outer.push()


COUNTED = (Consultation, Membership, Revision, Section, SectionVersion, Placement)


def row_counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }


def html(response: Any, status: int = 200) -> str:
    text: str = response.get_data(as_text=True)
    assert response.status_code == status, text[:1500]
    assert response.mimetype == "text/html"
    return text


def tree_of(response: Any, status: int = 200) -> Any:
    return lxml.html.fromstring(html(response, status))


def texts(tree: Any, xpath: str) -> list[str]:
    """The texts as seen: without the hidden words that tell screen readers where a change
    starts and ends (consult.web.change_labels)."""
    found = []
    for element in tree.xpath(xpath):
        copy = lxml.html.fromstring(
            lxml.html.tostring(element, encoding="unicode", with_tail=False)
        )
        for label in copy.xpath(".//*[contains(@class, 'change-label')]"):
            label.drop_tree()
        found.append(" ".join(copy.text_content().split()))
    return found


#: What a destructive form sends once the person confirmed it (consult.web.confirm).
CONFIRMED = {"confirmed": "1"}


def redirect_path(response: Any) -> str:
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:1500]
    location: str = response.headers["Location"]
    return re.sub(r"^https?://[^/]+", "", location)


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    body: str
    parent: str | None  # the parent's title
    version_id: int
    section_id: int


def structure(db: Session, revision_id: int) -> list[Row]:
    """A revision's sections as stored, in reading order."""
    db.expire_all()
    placements = db.scalars(
        select(Placement).where(Placement.revision_id == revision_id).order_by(Placement.position)
    ).all()
    titles = {p.section_id: p.version.title for p in placements}
    return [
        Row(
            p.key,
            p.version.title,
            p.version.body,
            titles[p.parent_section_id] if p.parent_section_id else None,
            p.version_id,
            p.section_id,
        )
        for p in placements
    ]


@dataclass
class World:
    consultation_id: int
    editor: User
    observer: User
    participant: User
    outsider: User


@pytest.fixture
def world(
    db: Session, make_user: Callable[..., User], add_member: Callable[..., Membership]
) -> World:
    editor = make_user("Erika Redaktion")
    observer = make_user("Otto Beobachter")
    participant = make_user("Pia Teilnehmerin")
    outsider = make_user("Udo Außen")
    consultation = Consultation(title="Integrationskonzept Kreis", created_by_id=editor.id)
    db.add(consultation)
    db.flush()
    add_member(consultation.id, editor, "editor")
    add_member(consultation.id, observer, "observer")
    add_member(consultation.id, participant, "participant")
    db.commit()
    return World(consultation.id, editor, observer, participant, outsider)


MARKDOWN = """# 1 Einleitung

Der Landkreis legt ein Integrationskonzept vor.

# 2 Handlungsfelder

Übersicht der Felder.

## 2.1 Bildung

Sprachkurse für alle – „früh“ beginnen.

### 2.1.1 Kita

- Sprachförderung
- Elternarbeit

# 3 Umsetzung

Jährlicher Bericht 📊.
"""


def make_draft(db: Session, w: World, markdown: str = MARKDOWN) -> Revision:
    revision = drafts_service.create_from_markdown(
        db, w.consultation_id, actor=w.editor, markdown=markdown
    )
    db.commit()
    return revision


def make_published_pair(db: Session, w: World, edits: dict[str, str]) -> tuple[int, int]:
    """Revision 1 (published) and a draft 2 whose sections (by key) get the given bodies."""
    first = make_draft(db, w)
    drafts_service.publish(db, first.id, actor=w.editor)
    second = drafts_service.copy_revision(db, first.id, actor=w.editor)
    for placement in revision_service.outline(db, second).placements:
        if placement.key in edits:
            draft_sections.update_section(
                db,
                second.id,
                placement.section_id,
                actor=w.editor,
                base_version_id=placement.version_id,
                body=edits[placement.key],
            )
    db.commit()
    return first.id, second.id


def build_docx(paragraphs: list[tuple[str, str]]) -> bytes:
    """A real .docx: (style, text) paragraphs, e.g. ("Heading 1", "1 Einleitung")."""
    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- consultations ---------------------------------------------------------------------------


def test_create_consultation_with_the_form(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.editor)
    tree = tree_of(client.get("/consultations/new"))
    assert tree.xpath("//form//input[@name='title']")

    before = row_counts(db)
    page = html(client.post("/consultations/new", data={"title": "  ", "description": ""}), 422)
    assert "Bitte prüfen Sie Ihre Eingaben" in page
    assert row_counts(db) == before

    response = client.post(
        "/consultations/new",
        data={"title": "Konzept „Teilhabe“ 2026", "description": "Für alle Gemeinden."},
    )
    path = redirect_path(response)
    match = re.fullmatch(r"/consultations/(\d+)/import", path)
    assert match, path
    cid = int(match.group(1))
    db.expire_all()
    consultation = db.get(Consultation, cid)
    assert consultation is not None
    assert (consultation.title, consultation.description) == (
        "Konzept „Teilhabe“ 2026",
        "Für alle Gemeinden.",
    )
    roles = db.execute(
        select(Membership.user_id, Membership.role).where(Membership.consultation_id == cid)
    ).all()
    assert [tuple(r) for r in roles] == [(world.editor.id, "editor")]

    page = html(client.get(f"/consultations/{cid}"))
    assert "Konzept „Teilhabe“ 2026" in page
    assert "Noch keine Fassung" in page


def test_people_without_an_editor_role_cannot_create_consultations(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.observer)
    before = row_counts(db)
    assert client.get("/consultations/new").status_code == 403
    assert client.post("/consultations/new", data={"title": "Heimlich"}).status_code == 403
    assert row_counts(db) == before


# --- import ----------------------------------------------------------------------------------


def test_markdown_import_previews_without_writing_then_saves(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.editor)
    url = f"/consultations/{world.consultation_id}/import"
    assert tree_of(client.get(url)).xpath("//textarea[@name='text']")

    before = row_counts(db)
    data = {"source": "markdown", "text": MARKDOWN, "note": "Erster Import", "action": "preview"}
    tree = tree_of(client.post(url, data=data))
    assert row_counts(db) == before
    assert "5 Abschnitte gefunden" in " ".join(texts(tree, "//h2"))
    preview = tree.xpath("//section[@aria-labelledby='preview-h']//tbody/tr")
    assert [texts(tr, "./td") for tr in preview] == [
        ["1", "Einleitung", "1", "47", "neu"],
        ["2", "Handlungsfelder", "1", "21", "neu"],
        ["2.1", "Bildung", "2", "39", "neu"],
        ["2.1.1", "Kita", "3", "32", "neu"],
        ["3", "Umsetzung", "1", "21", "neu"],
    ]
    # The text stays in the form, so "save" sends it again.
    assert (
        "Sprachkurse für alle – „früh“ beginnen."
        in tree.xpath("//textarea[@name='text']")[0].text_content()
    )
    assert tree.xpath("//button[@value='save']")

    response = client.post(url, data={**data, "action": "save"})
    match = re.fullmatch(r"/revisions/(\d+)/edit", redirect_path(response))
    assert match
    rid = int(match.group(1))
    revision = db.get(Revision, rid)
    assert revision is not None
    assert (revision.number, revision.status, revision.note) == (1, "draft", "Erster Import")
    rows_saved = structure(db, rid)
    assert [(r.key, r.title, r.parent) for r in rows_saved] == [
        ("1", "Einleitung", None),
        ("2", "Handlungsfelder", None),
        ("2.1", "Bildung", "Handlungsfelder"),
        ("2.1.1", "Kita", "Bildung"),
        ("3", "Umsetzung", None),
    ]
    assert rows_saved[3].body == "- Sprachförderung\n- Elternarbeit"
    editor_page = tree_of(client.get(f"/revisions/{rid}/edit"))
    assert texts(
        editor_page, "//ol[@class='outline-editor']/li//div[@class='outline-title']/a"
    ) == [
        "1 Einleitung",
        "2 Handlungsfelder",
        "2.1 Bildung",
        "2.1.1 Kita",
        "3 Umsetzung",
    ]

    # A second import while the draft exists: 409, nothing written.
    before = row_counts(db)
    page = html(client.post(url, data={**data, "action": "save"}), 409)
    assert "Es gibt schon einen Entwurf" in page
    assert row_counts(db) == before


def test_pasted_text_and_empty_input(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.editor)
    url = f"/consultations/{world.consultation_id}/import"
    pasted = "1 Einleitung\n\nText eins.\n\n1.1 Ziele\n\nText zwei.\n\n2 Schluss\n\nEnde."
    before = row_counts(db)
    tree = tree_of(client.post(url, data={"source": "paste", "text": pasted, "action": "preview"}))
    assert "3 Abschnitte gefunden" in " ".join(texts(tree, "//h2"))
    for text in ("", "   \n  "):
        page = html(
            client.post(url, data={"source": "markdown", "text": text, "action": "save"}), 422
        )
        assert "Bitte Text einfügen" in page
    page = html(
        client.post(url, data={"source": "markdown", "text": "Nur Text.", "action": "save"}), 422
    )
    assert "Keine Überschriften gefunden" in page
    assert row_counts(db) == before


def test_docx_upload_is_imported(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.editor)
    url = f"/consultations/{world.consultation_id}/import"
    data = build_docx(
        [
            ("Heading 1", "1 Einleitung"),
            ("Normal", "Der Kreis wächst – „gemeinsam“."),
            ("Heading 2", "1.1 Ziele"),
            ("List Bullet", "Sprache fördern"),
            ("List Bullet", "Arbeit vermitteln"),
            ("Heading 1", "2 Umsetzung"),
            ("Normal", "Ein Bericht pro Jahr."),
        ]
    )
    before = row_counts(db)
    tree = tree_of(
        client.post(
            url,
            data={"source": "markdown", "action": "preview", "file": (io.BytesIO(data), "k.docx")},
            content_type="multipart/form-data",
        )
    )
    assert row_counts(db) == before
    assert "3 Abschnitte gefunden" in " ".join(texts(tree, "//h2"))

    response = client.post(
        url,
        data={"source": "markdown", "action": "save", "file": (io.BytesIO(data), "k.docx")},
        content_type="multipart/form-data",
    )
    rid = int(re.fullmatch(r"/revisions/(\d+)/edit", redirect_path(response)).group(1))  # type: ignore[union-attr]
    assert [(r.key, r.title, r.body, r.parent) for r in structure(db, rid)] == [
        ("1", "Einleitung", "Der Kreis wächst – „gemeinsam“.", None),
        ("1.1", "Ziele", "- Sprache fördern\n- Arbeit vermitteln", "Einleitung"),
        ("2", "Umsetzung", "Ein Bericht pro Jahr.", None),
    ]


def zip_without_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    return buffer.getvalue()


def test_a_file_that_is_not_a_docx_is_refused_with_a_german_error(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    login(world.editor)
    url = f"/consultations/{world.consultation_id}/import"
    payloads = {
        "entwurf.docx": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "entwurf.md": b"# 1 Markdown\n\nText.",
        "leer.docx": b"",
        "kaputt.docx": b"PK\x03\x04 not really a zip",
        "tabelle.odt": zip_without_document(),
    }
    before = row_counts(db)
    for name, payload in payloads.items():
        for action in ("preview", "save"):
            response = client.post(
                url,
                data={
                    "source": "markdown",
                    "action": action,
                    "text": MARKDOWN,  # a file, when given, wins over the text
                    "file": (io.BytesIO(payload), name),
                },
                content_type="multipart/form-data",
            )
            tree = tree_of(response, 422)
            summary = " ".join(texts(tree, "//div[@class='error-summary']"))
            assert "Die Datei ist kein Word-Dokument im DOCX-Format." in summary, name
            assert texts(tree, "//p[@id='file-error']") == [
                "Die Datei ist kein Word-Dokument im DOCX-Format. Bitte eine .docx-Datei wählen."
            ]
            assert not tree.xpath("//section[@aria-labelledby='preview-h']")
    assert row_counts(db) == before


# --- editing ---------------------------------------------------------------------------------


def test_edit_a_section_and_a_stale_save_shows_both_texts(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    rid = make_draft(db, world).id
    target = structure(db, rid)[2]  # 2.1 Bildung
    login(world.editor)
    url = f"/revisions/{rid}/sections/{target.section_id}/edit"
    form = tree_of(client.get(url))
    assert form.xpath("//input[@name='base_version_id']/@value") == [str(target.version_id)]
    assert form.xpath("//input[@name='title']/@value") == ["Bildung"]
    assert form.xpath("//textarea[@name='body']")[0].text_content().strip() == target.body

    response = client.post(
        url,
        data={
            "key": "2.1",
            "title": "Bildung und Sprache",
            "body": "Sprachkurse für alle 👩\u200d🏫.\r\n\r\nAuch abends.  ",
            "base_version_id": str(target.version_id),
        },
    )
    assert redirect_path(response) == f"/revisions/{rid}/edit#s-{target.section_id}"
    saved = structure(db, rid)[2]
    assert (saved.title, saved.body) == (
        "Bildung und Sprache",
        "Sprachkurse für alle 👩\u200d🏫.\n\nAuch abends.",
    )
    assert saved.version_id != target.version_id

    # Someone else started from the old version: 409, both texts side by side, nothing written.
    before = row_counts(db)
    tree = tree_of(
        client.post(
            url,
            data={
                "key": "2.1",
                "title": "Bildung",
                "body": "Mein <b>eigener</b> Stand.",
                "base_version_id": str(target.version_id),
            },
        ),
        409,
    )
    assert row_counts(db) == before
    assert structure(db, rid)[2] == saved
    columns = tree.xpath("//div[contains(@class, 'conflict')]/section")
    assert len(columns) == 2
    current, mine = columns
    assert current.xpath(".//*[@class='conflict-body']")[0].text_content() == saved.body
    assert "Bildung und Sprache" in current.text_content()
    assert (
        mine.xpath(".//*[@class='conflict-body']")[0].text_content() == "Mein <b>eigener</b> Stand."
    )
    assert not tree.xpath("//div[@class='conflict-body']//b")
    # The form now names the current version, so saving again succeeds.
    assert tree.xpath("//input[@name='base_version_id']/@value") == [str(saved.version_id)]
    response = client.post(
        url,
        data={
            "key": "2.1",
            "title": "Bildung",
            "body": "Zusammengeführt.",
            "base_version_id": str(saved.version_id),
        },
    )
    redirect_path(response)
    assert (structure(db, rid)[2].title, structure(db, rid)[2].body) == (
        "Bildung",
        "Zusammengeführt.",
    )

    # An empty title is refused with a German message.
    before = row_counts(db)
    page = html(
        client.post(
            url,
            data={
                "key": "2.1",
                "title": "",
                "body": "x",
                "base_version_id": str(structure(db, rid)[2].version_id),
            },
        ),
        422,
    )
    assert "Bitte prüfen Sie Ihre Eingaben" in page
    assert row_counts(db) == before


def test_add_move_delete_and_renumber_sections(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    rid = make_draft(db, world, "# 1 A\n\nText A.\n\n# 2 B\n\nText B.\n\n# 3 C\n\nText C.").id
    ids = {r.title: r.section_id for r in structure(db, rid)}
    login(world.editor)

    def shape() -> list[tuple[str, str, str | None]]:
        return [(r.key, r.title, r.parent) for r in structure(db, rid)]

    def add(title: str, key: str, position: str) -> int:
        response = client.post(
            f"/revisions/{rid}/sections", data={"title": title, "key": key, "position": position}
        )
        match = re.fullmatch(rf"/revisions/{rid}/sections/(\d+)/edit", redirect_path(response))
        assert match
        return int(match.group(1))

    def move(title: str, direction: str, status: int = 302) -> None:
        response = client.post(
            f"/revisions/{rid}/sections/{ids[title]}/move", data={"direction": direction}
        )
        assert response.status_code == status, response.get_data(as_text=True)[:500]

    ids["A1"] = add("A1", "1.1", f"child:{ids['A']}")
    ids["S"] = add("S", "", "end")
    ids["B2"] = add("B2", "", f"after:{ids['B']}")
    assert shape() == [
        ("1", "A", None),
        ("1.1", "A1", "A"),
        ("2", "B", None),
        ("", "B2", None),
        ("3", "C", None),
        ("", "S", None),
    ]
    # A new section starts with an empty body; the others kept their versions.
    assert structure(db, rid)[1].body == ""
    versions = {r.title: r.version_id for r in structure(db, rid)}

    move("C", "up")
    assert [t for _, t, _ in shape()] == ["A", "A1", "B", "C", "B2", "S"]
    move("B", "indent")  # B's previous sibling is A
    assert shape()[1:3] == [("1.1", "A1", "A"), ("2", "B", "A")]
    move("B", "outdent")
    assert shape()[2] == ("2", "B", None)
    move("B", "up")  # B (top level) swaps with A and its child A1
    assert [t for _, t, _ in shape()] == ["B", "A", "A1", "C", "B2", "S"]
    before = structure(db, rid)
    move("B", "up", 409)  # first of its level
    move("A1", "outdent")
    move("A1", "indent")
    move("S", "down", 409)  # last of its level
    move("A", "sideways", 422)
    assert structure(db, rid) == before

    # Deleting a section with children is refused; a leaf goes.
    response = client.post(f"/revisions/{rid}/sections/{ids['A']}/delete", data=CONFIRMED)
    assert response.status_code == 409
    redirect_path(client.post(f"/revisions/{rid}/sections/{ids['B2']}/delete", data=CONFIRMED))
    assert [t for _, t, _ in shape()] == ["B", "A", "A1", "C", "S"]

    redirect_path(client.post(f"/revisions/{rid}/renumber"))
    assert shape() == [
        ("1", "B", None),
        ("2", "A", None),
        ("2.1", "A1", "A"),
        ("3", "C", None),
        ("", "S", None),
    ]
    # Renumbering and moving changed no text: same versions as before.
    assert {r.title: r.version_id for r in structure(db, rid)} == {
        title: version for title, version in versions.items() if title != "B2"
    }
    texts_now = {r.title: r.body for r in structure(db, rid)}
    assert texts_now == {"B": "Text B.", "A": "Text A.", "A1": "", "C": "Text C.", "S": ""}

    # An unknown section: 404.
    assert client.post(f"/revisions/{rid}/sections/999999999/delete").status_code == 404
    assert client.get(f"/revisions/{rid}/sections/999999999/edit").status_code == 404


def test_publish_new_draft_history_and_diff_flows(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    rid = make_draft(db, world).id
    login(world.editor)

    assert redirect_path(client.post(f"/revisions/{rid}/publish")) == f"/revisions/{rid}"
    db.expire_all()
    assert db.get(Revision, rid).status == "published"  # type: ignore[union-attr]
    # Published revisions are frozen: the editor pages answer 409 and nothing changes.
    before = structure(db, rid)
    first = before[0]
    assert client.get(f"/revisions/{rid}/edit").status_code == 409
    response = client.post(
        f"/revisions/{rid}/sections/{first.section_id}/edit",
        data={"title": "X", "body": "Y", "key": "1", "base_version_id": str(first.version_id)},
    )
    assert response.status_code == 409
    assert client.post(f"/revisions/{rid}/publish").status_code == 409
    assert structure(db, rid) == before

    # "New draft from this revision" on the consultation page.
    show = tree_of(client.get(f"/consultations/{world.consultation_id}"))
    assert show.xpath(f"//form[@action='/revisions/{rid}/copy']")
    response = client.post(f"/revisions/{rid}/copy")
    match = re.fullmatch(r"/revisions/(\d+)/edit", redirect_path(response))
    assert match
    draft = int(match.group(1))
    assert [(r.section_id, r.version_id) for r in structure(db, draft)] == [
        (r.section_id, r.version_id) for r in before
    ]
    db.expire_all()
    assert db.get(Revision, draft).number == 2  # type: ignore[union-attr]

    # In the draft: change 2.1, delete 3, add a new section.
    rows = {r.key: r for r in structure(db, draft)}
    redirect_path(
        client.post(
            f"/revisions/{draft}/sections/{rows['2.1'].section_id}/edit",
            data={
                "key": "2.1",
                "title": "Bildung und Sprache",
                "body": "Sprachkurse für alle – „früh“ und „spät“ beginnen.",
                "base_version_id": str(rows["2.1"].version_id),
            },
        )
    )
    redirect_path(
        client.post(f"/revisions/{draft}/sections/{rows['3'].section_id}/delete", data=CONFIRMED)
    )
    redirect_path(
        client.post(
            f"/revisions/{draft}/sections",
            data={"title": "Finanzierung", "key": "4", "position": "end"},
        )
    )
    history = tree_of(client.get(f"/consultations/{world.consultation_id}/history"))
    rows_html = history.xpath("//table//tbody/tr")
    assert len(rows_html) == 2
    newest, oldest = (" ".join(r.text_content().split()) for r in rows_html)
    assert "Fassung 2" in newest and "Entwurf" in newest
    assert "1 geändert" in newest and "1 neu" in newest and "1 entfernt" in newest
    assert "Fassung 1" in oldest and "erste Fassung: 5 Abschnitte" in oldest
    assert history.xpath(f"//a[@href='/revisions/{draft}/diff?against={rid}']")

    # A diff link without a comparison compares with the revision before; the first
    # revision has none and leads to its reading view with a note.
    assert redirect_path(client.get(f"/revisions/{draft}/diff?view=inline")) == (
        f"/revisions/{draft}/diff?against={rid}&view=inline"
    )
    assert redirect_path(client.get(f"/revisions/{rid}/diff")) == f"/revisions/{rid}"
    assert "keine frühere zum Vergleich" in html(client.get(f"/revisions/{rid}"))

    # The diff in its three views.
    base = f"/revisions/{draft}/diff?against={rid}"
    overview = tree_of(client.get(base))
    badges = {
        " ".join(li.xpath("./a")[0].text_content().split()): li.xpath(
            ".//span[contains(@class,'badge')]/@class"
        )[0]
        for li in overview.xpath("//ol[@class='diff-overview']/li")
    }
    assert badges == {
        "1 Einleitung": "badge diff-unchanged",
        "2 Handlungsfelder": "badge diff-unchanged",
        "2.1 Bildung und Sprache": "badge diff-changed",
        "2.1.1 Kita": "badge diff-unchanged",
        "3 Umsetzung": "badge diff-removed",
        "4 Finanzierung": "badge diff-added",
    }
    only = tree_of(client.get(base + "&view=overview&only=changes"))
    assert len(only.xpath("//ol[@class='diff-overview']/li")) == 3
    assert len(only.xpath("//ol[@class='diff-overview']/li[@data-change]")) == 3

    inline = tree_of(client.get(base + "&view=inline"))
    assert texts(inline, "//*[contains(@class,'legend')]/ins") == ["eingefügt"]
    bodies = {
        texts(s, ".//*[contains(@class,'section-title')]")[0]: s
        for s in inline.xpath("//section[contains(@class,'diff-section')]")
    }
    bildung = next(s for title, s in bodies.items() if title.startswith("2.1 Bildung"))
    assert texts(bildung, ".//*[contains(@class,'section-title')]/ins") == ["und Sprache"]
    assert texts(bildung, ".//div[@class='diff-body']/ins") == ["und „spät“"]
    assert texts(bildung, ".//div[@class='diff-body']/del") == []
    # Screen readers hear where each change starts and ends (the words are hidden).
    [inserted] = bildung.xpath(".//div[@class='diff-body']/ins")
    assert " ".join(inserted.text_content().split()) == (
        "eingefügt: und „spät“ (Ende der Einfügung)"
    )
    assert all(
        "visually-hidden" in label.get("class")
        for label in inline.xpath("//*[contains(@class, 'change-label')]")
    )
    umsetzung = next(s for title, s in bodies.items() if title.startswith("3 Umsetzung"))
    assert texts(umsetzung, ".//div[@class='diff-body']/del") == ["Jährlicher Bericht 📊."]
    assert len(inline.xpath("//*[@data-change]")) == 3
    assert inline.xpath("//a[@href='#change-1']")  # next/previous change links

    synopsis = tree_of(client.get(base + "&view=synopsis"))
    table_rows = synopsis.xpath("//table[@class='synopsis']/tbody/tr")
    assert len(table_rows) == 6
    cells = {}
    for row in table_rows:
        old_cell, new_cell = row.xpath("./td")
        assert not old_cell.xpath(".//ins") and not new_cell.xpath(".//del")
        cells[" ".join(texts(row, "./td[2]/p[@class='syn-title']//strong"))] = (old_cell, new_cell)
    old_cell, new_cell = cells["Bildung und Sprache"]
    assert " ".join(texts(old_cell, ".//div[@class='diff-body']")) == (
        "Sprachkurse für alle – „früh“ beginnen."
    )
    assert " ".join(texts(new_cell, ".//div[@class='diff-body']")) == (
        "Sprachkurse für alle – „früh“ und „spät“ beginnen."
    )
    assert texts(new_cell, ".//ins") == ["und Sprache", "und „spät“"]
    old_cell, new_cell = cells["Finanzierung"]
    assert texts(old_cell, ".") == ["(nicht vorhanden)"]
    old_cell, new_cell = cells[""]  # the removed section has no new side
    assert texts(new_cell, ".") == ["(entfernt)"]
    assert texts(old_cell, ".//del") == ["Umsetzung", "Jährlicher Bericht 📊."]
    only_syn = tree_of(client.get(base + "&view=synopsis&only=changes"))
    assert len(only_syn.xpath("//table[@class='synopsis']/tbody/tr")) == 3

    # An unknown comparison is 404.
    assert client.get(f"/revisions/{draft}/diff?against=999999999").status_code == 404

    # Publishing the second revision supersedes the first.
    redirect_path(client.post(f"/revisions/{draft}/publish"))
    db.expire_all()
    assert db.get(Revision, rid).status == "superseded"  # type: ignore[union-attr]


def test_reading_view_has_toc_and_numbered_nested_headings(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    rid = make_draft(db, world).id
    rows = structure(db, rid)
    login(world.editor)
    tree = tree_of(client.get(f"/revisions/{rid}"))
    toc = tree.xpath("//nav[contains(@class,'toc')]//li/a")
    assert [" ".join(a.text_content().split()) for a in toc] == [
        "1 Einleitung",
        "2 Handlungsfelder",
        "2.1 Bildung",
        "2.1.1 Kita",
        "3 Umsetzung",
    ]
    assert [a.get("href") for a in toc] == [f"#s-{r.section_id}" for r in rows]
    headings = [
        (h.tag, " ".join(h.text_content().split()))
        for h in tree.xpath("//article//*[contains(@class,'section-title')]")
    ]
    assert headings == [
        ("h2", "1 Einleitung"),
        ("h2", "2 Handlungsfelder"),
        ("h3", "2.1 Bildung"),
        ("h4", "2.1.1 Kita"),
        ("h2", "3 Umsetzung"),
    ]
    for r in rows:
        assert tree.xpath(f"//section[@id='s-{r.section_id}']")
    kita = tree.xpath(f"//section[@id='s-{rows[3].section_id}']//ul/li")
    assert [(li.get("data-start"), li.text_content()) for li in kita] == [
        ("2", "Sprachförderung"),
        ("20", "Elternarbeit"),
    ]
    assert "Entwurf bearbeiten" in tree.text_content()


# --- members ---------------------------------------------------------------------------------


def test_members_page(
    client: CSRFClient,
    db: Session,
    world: World,
    login: Callable[[User], CSRFClient],
    make_user: Callable[..., User],
) -> None:
    newcomer = make_user("Nora Neu")
    db.commit()
    login(world.editor)
    url = f"/consultations/{world.consultation_id}/members"
    tree = tree_of(client.get(url))
    assert sorted(texts(tree, "//table//tbody/tr/td[1]")) == [
        "Erika Redaktion",
        "Otto Beobachter",
        "Pia Teilnehmerin",
    ]
    assert tree.xpath("//select[@name='role']")
    assert str(newcomer.id) in tree.xpath("//select[@name='user_id']/option/@value")

    redirect_path(client.post(url, data={"user_id": str(newcomer.id), "role": "observer"}))
    rows = [texts(tr, "./td")[:3] for tr in tree_of(client.get(url)).xpath("//table//tbody/tr")]
    assert [newcomer.name, newcomer.organisation.name, "Beobachtung"] in rows  # type: ignore[union-attr]
    db.expire_all()
    role = db.scalar(
        select(Membership.role).where(
            Membership.consultation_id == world.consultation_id, Membership.user_id == newcomer.id
        )
    )
    assert role == "observer"

    before = row_counts(db)
    page = html(client.post(url, data={"user_id": str(newcomer.id), "role": "municipality"}), 422)
    assert "Die Rolle „Kommune“ setzt voraus" in page
    page = html(client.post(url, data={"user_id": str(world.editor.id), "role": "observer"}), 422)
    assert "mindestens eine Person in der Redaktion" in page
    assert row_counts(db) == before

    redirect_path(client.post(f"{url}/{newcomer.id}/remove", data=CONFIRMED))
    assert row_counts(db)["memberships"] == before["memberships"] - 1
    assert client.post(f"{url}/{world.editor.id}/remove", data=CONFIRMED).status_code == 409

    # Members without the editor role see the list but no form, and may not change it.
    client.post("/logout")
    login(world.observer)
    tree = tree_of(client.get(url))
    assert "Erika Redaktion" in tree.text_content()
    assert not tree.xpath("//select[@name='role']")
    before = row_counts(db)
    assert (
        client.post(url, data={"user_id": str(world.observer.id), "role": "editor"}).status_code
        == 403
    )
    assert client.post(f"{url}/{world.editor.id}/remove").status_code == 403
    assert row_counts(db) == before


# --- rights and unknown ids ------------------------------------------------------------------


def test_unknown_ids_are_404(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    rid = make_draft(db, world).id
    login(world.editor)
    for url in (
        "/consultations/999999999",
        "/consultations/999999999/history",
        "/consultations/999999999/members",
        "/consultations/999999999/import",
        "/revisions/999999999",
        "/revisions/999999999/edit",
        f"/revisions/999999999/diff?against={rid}",
        "/revisions/999999999/sections/1/edit",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert '<html lang="de"' in response.get_data(as_text=True)
    for url in ("/revisions/999999999/publish", "/revisions/999999999/copy"):
        assert client.post(url).status_code == 404, url


def test_people_without_rights_get_403_or_404(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    published, draft = make_published_pair(db, world, {"1": "Geändert."})
    cid = world.consultation_id
    section = structure(db, published)[0]

    # Outsiders learn nothing: 404 everywhere.
    login(world.outsider)
    for url in (
        f"/consultations/{cid}",
        f"/consultations/{cid}/history",
        f"/consultations/{cid}/members",
        f"/consultations/{cid}/import",
        f"/revisions/{published}",
        f"/revisions/{draft}",
        f"/revisions/{draft}/diff?against={published}",
    ):
        assert client.get(url).status_code == 404, url
    before = row_counts(db)
    assert client.post(f"/revisions/{published}/copy").status_code == 404
    assert client.post(f"/revisions/{draft}/publish").status_code == 404
    client.post("/logout")

    # Observers read published revisions, not drafts, and change nothing.
    login(world.observer)
    assert client.get(f"/consultations/{cid}").status_code == 200
    page = html(client.get(f"/revisions/{published}"))
    assert "Entwurf bearbeiten" not in page
    assert client.get(f"/revisions/{draft}").status_code == 404
    assert client.get(f"/revisions/{draft}/diff?against={published}").status_code == 404
    assert client.get(f"/revisions/{published}/edit").status_code == 403
    assert client.get(f"/consultations/{cid}/import").status_code == 403
    assert client.post(f"/revisions/{published}/copy").status_code == 403
    assert client.post(f"/revisions/{draft}/publish").status_code == 404
    response = client.post(
        f"/revisions/{draft}/sections/{section.section_id}/edit",
        data={"title": "X", "body": "Y", "key": "1", "base_version_id": "1"},
    )
    assert response.status_code == 404
    history = tree_of(client.get(f"/consultations/{cid}/history"))
    assert len(history.xpath("//table//tbody/tr")) == 1
    client.post("/logout")

    # Participants see the consultation; its revisions come with rounds (next issue).
    login(world.participant)
    assert client.get(f"/consultations/{cid}").status_code == 200
    assert client.get(f"/revisions/{published}").status_code == 404
    assert (
        client.post(
            f"/consultations/{cid}/import",
            data={"source": "markdown", "text": MARKDOWN, "action": "save"},
        ).status_code
        == 403
    )
    assert row_counts(db) == before


# --- escaping --------------------------------------------------------------------------------

HOSTILE = (
    'Neu: <script>alert(1)</script> und "><img src=x onerror=alert(2)> '
    "sowie ' onmouseover='alert(3)"
)


def test_diff_and_reading_view_escape_html_in_section_text(
    client: CSRFClient, db: Session, world: World, login: Callable[[User], CSRFClient]
) -> None:
    published, draft = make_published_pair(db, world, {"2.1": HOSTILE, "3": "Kurz."})
    login(world.editor)

    def assert_inert(tree: Any, raw: str) -> None:
        assert "<script>alert(1)</script>" not in raw
        assert "<img src=x" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
        assert not [s for s in tree.xpath("//script") if "alert" in s.text_content()]
        assert not tree.xpath("//img")
        assert not tree.xpath("//*[@onerror or @onmouseover]")

    for view in ("overview", "inline", "synopsis"):
        response = client.get(f"/revisions/{draft}/diff?against={published}&view={view}")
        raw = html(response)
        tree = lxml.html.fromstring(raw)
        if view == "overview":
            assert "alert" not in raw
            continue
        assert_inert(tree, raw)
        inserted = "".join(e.text_content() for e in tree.xpath("//div[@class='diff-body']/ins"))
        assert "<script>alert(1)</script>" in inserted
        assert '"><img src=x onerror=alert(2)>' in inserted
        assert "' onmouseover='alert(3)" in inserted

    # The other way round, the same text is deleted.
    raw = html(client.get(f"/revisions/{published}/diff?against={draft}&view=inline"))
    tree = lxml.html.fromstring(raw)
    assert_inert(tree, raw)
    deleted = "".join(e.text_content() for e in tree.xpath("//div[@class='diff-body']/del"))
    assert "<script>alert(1)</script>" in deleted and '"><img src=x onerror=alert(2)>' in deleted

    raw = html(client.get(f"/revisions/{draft}"))
    tree = lxml.html.fromstring(raw)
    assert_inert(tree, raw)
    assert HOSTILE in [b.text_content() for b in tree.xpath("//*[@data-start]")]
