"""The revision export (issue 13, item 1): DOCX, PDF and Markdown of a revision, with
umlauts, emoji and Arabic script, and the Markdown that imports back to the same sections."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy.orm import Session

from consult import dates
from consult.domain.outline import parse_markdown
from consult.domain.outline_markdown import DocSection, round_trips, to_markdown
from consult.errors import Invalid, NotFound
from consult.models import Consultation, Membership, Revision, User
from consult.services import consultations as consultation_service
from consult.services import drafts, export_files, revision_exports, revisions

MARKDOWN = """\
# 1 Präambel

Der Kreis Siegtal legt sein „Integrationskonzept 2030“ vor. Grüße an alle 🌍.

# 2 Ausgangslage

Im Kreis leben Menschen aus über 150 Nationen.
Eine zweite Zeile im selben Absatz.

## 2.1 Sprachen

Willkommen heißt auf Arabisch: مرحبا بكم

## 2.2 Bisherige Arbeit

Seit 2013 arbeitet das Kommunale Integrationszentrum.

# 3 Handlungsfelder

## 3.1 Bildung

- Sprachförderung in Kitas
- Elternarbeit

### 3.1.1 Schule

1. Seiteneinsteigerklassen
2. Übergang Schule–Beruf

# 4 Umsetzung

Ein Monitoring berichtet jährlich.
"""

HEADINGS = [
    "1 Präambel",
    "2 Ausgangslage",
    "2.1 Sprachen",
    "2.2 Bisherige Arbeit",
    "3 Handlungsfelder",
    "3.1 Bildung",
    "3.1.1 Schule",
    "4 Umsetzung",
]
TEXTS = ["Übergang Schule–Beruf", "„Integrationskonzept 2030“", "🌍", "مرحبا", "Sprachförderung"]


@dataclass
class World:
    db: Session
    editor: User
    consultation: Consultation
    make_user: Callable[..., User]
    add_member: Callable[..., Membership]

    def draft(self, markdown: str = MARKDOWN) -> Revision:
        return drafts.create_from_markdown(
            self.db, self.consultation.id, actor=self.editor, markdown=markdown
        )

    def published(self, markdown: str = MARKDOWN) -> Revision:
        return drafts.publish(self.db, self.draft(markdown).id, actor=self.editor)

    def export(self, revision: Revision, file_format: str, actor: User | None = None) -> bytes:
        made = revision_exports.export_revision(
            self.db, revision.id, actor=actor or self.editor, file_format=file_format
        )
        return made.content


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> World:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    editor = make_user("Miriam Redaktion")
    add_member(consultation.id, editor, "editor")
    return World(db, editor, consultation, make_user, add_member)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdftotext(content: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "poppler-utils missing: run make pdf-libs"
    path = tmp_path / "export.pdf"
    path.write_bytes(content)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


# --- DOCX --------------------------------------------------------------------------------


def test_docx_has_a_title_page_numbered_headings_and_the_texts(world: World) -> None:
    revision = world.published()
    made = revision_exports.export_revision(
        world.db, revision.id, actor=world.editor, file_format="docx"
    )
    assert made.mimetype == export_files.DOCX
    assert made.filename == f"integrationskonzept-kreis-siegtal-fassung-{revision.number}.docx"
    word = Document(io.BytesIO(made.content))
    headings = [
        (p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")
    ]
    assert [text for _, text in headings] == HEADINGS
    assert headings[6] == ("Heading 3", "3.1.1 Schule")
    texts = [p.text for p in word.paragraphs]
    assert texts[6:9] == [
        "Integrationskonzept Kreis Siegtal",
        f"Fassung {revision.number} vom {dates.day(revision.published_at, 'de')}",
        "Status: veröffentlicht",
    ]
    body = "\n".join(texts)
    for text in TEXTS:
        assert text in body
    assert "Im Kreis leben Menschen aus über 150 Nationen.\nEine zweite Zeile" in body
    bullets = [p.text for p in word.paragraphs if p.style.name == "List Bullet"]
    assert bullets == ["Sprachförderung in Kitas", "Elternarbeit"]
    assert "2. Übergang Schule–Beruf" in texts
    # German as the language of the styles; the footer counts pages.
    assert 'w:val="de-DE"' in word.styles.element.xml
    assert "NUMPAGES" in word.sections[0].footer._element.xml
    assert word.core_properties.language == "de-DE"


def test_a_draft_says_so_on_its_title_page(world: World) -> None:
    revision = world.draft()
    word = Document(io.BytesIO(world.export(revision, "docx")))
    texts = [p.text for p in word.paragraphs]
    assert f"Fassung {revision.number} (Entwurf)" in texts
    assert "Status: Entwurf" in texts


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_contains_the_texts_for_pypdf_and_pdftotext(world: World, tmp_path: Path) -> None:
    revision = world.published()
    made = revision_exports.export_revision(
        world.db, revision.id, actor=world.editor, file_format="pdf"
    )
    assert made.mimetype == export_files.PDF and made.content.startswith(b"%PDF")
    assert made.filename.endswith(".pdf")
    for text in (pdf_text(made.content), pdftotext(made.content, tmp_path)):
        for wanted in [*TEXTS, "3.1.1", "Schule", "Inhalt", "Seite 1 von"]:
            assert wanted in text, wanted
        assert f"Fassung {revision.number} vom" in text
    pages = PdfReader(io.BytesIO(made.content)).pages
    # Title page, contents, text: the running header from the second page on.
    assert "Integrationskonzept Kreis Siegtal – Fassung" not in pages[0].extract_text()
    assert f"Integrationskonzept Kreis Siegtal – Fassung {revision.number}" in (
        pages[2].extract_text()
    )
    assert f"Seite 3 von {len(pages)}" in pages[2].extract_text()


def test_the_table_of_contents_gives_page_numbers(world: World) -> None:
    revision = world.published()
    contents = PdfReader(io.BytesIO(world.export(revision, "pdf"))).pages[1].extract_text()
    lines = [line for line in contents.splitlines() if "Handlungsfelder" in line]
    assert lines and lines[0].rstrip().endswith("3"), contents


def test_a_long_revision_fills_many_pages(world: World) -> None:
    paragraph = (
        "Die Kommunen im Kreis Siegtal stärken die Teilhabe aller Menschen – unabhängig von "
        "Herkunft, Sprache und Aufenthaltsstatus. "
    ) * 6
    sections = "\n\n".join(
        f"# {n} Handlungsfeld {n}\n\n{paragraph}\n\n{paragraph}" for n in range(1, 21)
    )
    revision = world.draft(sections)
    pages = PdfReader(io.BytesIO(world.export(revision, "pdf"))).pages
    assert len(pages) > 5
    assert "Handlungsfeld 20" in pages[-1].extract_text() or "Handlungsfeld 20" in (
        pages[-2].extract_text()
    )


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_imports_back_to_the_same_sections(world: World) -> None:
    revision = world.published()
    made = revision_exports.export_revision(
        world.db, revision.id, actor=world.editor, file_format="md"
    )
    assert made.mimetype == export_files.MARKDOWN
    text = made.content.decode("utf-8")
    assert text.startswith("# 1 Präambel\n\n") and "\n### 3.1.1 Schule\n" in text
    again = drafts.create_from_markdown(
        world.db, world.consultation.id, actor=world.editor, markdown=text
    )
    old = revisions.outline(world.db, revision).placements
    new = revisions.outline(world.db, again).placements
    shape = [(p.key, p.version.title, p.version.body, p.depth) for p in old]
    assert shape == [(p.key, p.version.title, p.version.body, p.depth) for p in new]


_KEYLESS_TITLE = st.text(
    st.sampled_from("abcdefghÄÖÜäöüß „“–-🌍مرحبا"), min_size=1, max_size=20
).filter(lambda t: t.strip() and " " not in (t[0], t[-1]) and "  " not in t)
_LINE = (
    st.text(st.sampled_from("abc xyzÄöüß„“–-.#1🌍مر"), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
_BODY = st.lists(st.one_of(_LINE, st.just(""), _LINE.map(lambda s: "- " + s)), max_size=6).map(
    lambda lines: "\n".join(lines).strip("\n")
)


@st.composite
def outlines(draw: st.DrawFn) -> list[DocSection]:
    """A tree of sections in reading order, keyed as a draft is (or unnumbered)."""
    count = draw(st.integers(1, 8))
    sections: list[DocSection] = []
    counters: dict[str, int] = {}
    stack: list[str] = []  # keys of the open ancestors
    for _ in range(count):
        depth = draw(st.integers(0, len(stack))) if sections else 0
        stack = stack[:depth]
        parent = stack[-1] if stack else ""
        counters[parent] = counters.get(parent, 0) + 1
        key = f"{parent}.{counters[parent]}" if parent else str(counters[parent])
        title = draw(_KEYLESS_TITLE)
        sections.append(DocSection(key, title, draw(_BODY), depth))
        stack.append(key)
    return sections


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(outlines())
def test_markdown_round_trip_property(sections: list[DocSection]) -> None:
    """Whenever round_trips() says so, parsing the Markdown gives the sections back."""
    parsed = parse_markdown(to_markdown(sections))
    again = [DocSection(p.key, p.title, p.body, p.depth) for p in parsed]
    if round_trips(sections):
        assert again == sections
    else:  # a "#" line in a body became a heading
        assert again != sections


def test_round_trips_names_what_markdown_cannot_carry() -> None:
    assert round_trips([DocSection("1", "Ziele", "Text", 0)])
    assert not round_trips([DocSection("1", "Ziele", "# keine Überschrift", 0)])
    assert not round_trips([DocSection("", "2030 Ziele", "", 0)])
    assert not round_trips([DocSection("1", "Ziele", "", 6)])


# --- what may not be exported --------------------------------------------------------------


@pytest.mark.parametrize("bad", ["doc", "PDF", "", "md ", "html"])
def test_an_unknown_format_is_refused_in_german(world: World, bad: str) -> None:
    revision = world.published()
    with pytest.raises(Invalid) as caught:
        revision_exports.export_revision(world.db, revision.id, actor=world.editor, file_format=bad)
    assert caught.value.code == "invalid_format"
    assert "Unbekanntes Format" in str(caught.value.message)


def test_a_revision_the_actor_may_not_read_is_not_found(world: World) -> None:
    draft = world.draft()
    observer = world.make_user()
    world.add_member(world.consultation.id, observer, "observer")
    stranger = world.make_user()
    for actor in (observer, stranger):  # drafts are the editors'
        with pytest.raises(NotFound):
            world.export(draft, "md", actor=actor)
    published = drafts.publish(world.db, draft.id, actor=world.editor)
    assert world.export(published, "md", actor=observer).startswith(b"# 1 Pr")
    with pytest.raises(NotFound):
        world.export(published, "md", actor=stranger)
    with pytest.raises(NotFound):
        revision_exports.export_revision(world.db, 10**9, actor=world.editor, file_format="md")
