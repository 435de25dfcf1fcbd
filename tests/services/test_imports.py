"""DOCX import: real Word files built with python-docx, and files that are not DOCX."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from sqlalchemy.orm import Session

from consult.errors import Invalid, TooLarge
from consult.models import Membership, User
from consult.services import consultations as consultation_service
from consult.services import drafts, imports, section_input
from consult.services import revisions as revision_service
from consult.services.imports import MAX_DOCX, docx_to_markdown


def build_docx(paragraphs: list[tuple[str, str]], *, custom_styles: tuple[str, ...] = ()) -> bytes:
    """A .docx with one paragraph per (style name, text)."""
    document = docx.Document()
    for name in custom_styles:
        document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


CONCEPT = [
    ("Title", "Integrationskonzept Kreis Siegtal"),
    ("Normal", "Entwurf der Verwaltung, Stand März 2026."),
    ("Heading 1", "1 Präambel"),
    ("Normal", "Der Kreis legt sein „Integrationskonzept“ vor. 🤝"),
    ("Normal", "Es gilt für alle 19 Kommunen."),
    ("Heading 1", "2 Handlungsfelder"),
    ("Heading 2", "2.1 Bildung und Sprache"),
    ("Normal", "Wir fördern:"),
    ("List Bullet", "Sprachkurse für Eltern"),
    ("List Bullet", "Übergänge von der Kita in die Schule"),
    ("Heading 3", "2.1.1 Schule"),
    ("Normal", "Schritte:"),
    ("List Number", "Bedarf erheben"),
    ("List Number", "Angebote planen"),
    ("Normal", ""),
    ("Normal", "Danach: مرحبا بكم"),
    ("List Number", "Neu zählen"),
    ("Heading 2", "2.2 Arbeit"),
    ("Normal", "Anerkennung ausländischer Abschlüsse beschleunigen – schnell!"),
]


def test_headings_lists_and_paragraphs_become_markdown() -> None:
    markdown = docx_to_markdown(build_docx(CONCEPT))
    assert markdown == (
        "# Integrationskonzept Kreis Siegtal\n"
        "\n"
        "Entwurf der Verwaltung, Stand März 2026.\n"
        "\n"
        "# 1 Präambel\n"
        "\n"
        "Der Kreis legt sein „Integrationskonzept“ vor. 🤝\n"
        "\n"
        "Es gilt für alle 19 Kommunen.\n"
        "\n"
        "# 2 Handlungsfelder\n"
        "\n"
        "## 2.1 Bildung und Sprache\n"
        "\n"
        "Wir fördern:\n"
        "\n"
        "- Sprachkurse für Eltern\n"
        "- Übergänge von der Kita in die Schule\n"
        "\n"
        "### 2.1.1 Schule\n"
        "\n"
        "Schritte:\n"
        "\n"
        "1. Bedarf erheben\n"
        "2. Angebote planen\n"
        "\n"
        "Danach: مرحبا بكم\n"
        "\n"
        "1. Neu zählen\n"
        "\n"
        "## 2.2 Arbeit\n"
        "\n"
        "Anerkennung ausländischer Abschlüsse beschleunigen – schnell!\n"
    )


def test_the_markdown_of_a_docx_parses_into_the_sections_of_the_document() -> None:
    parsed = section_input.parse_import(docx_to_markdown(build_docx(CONCEPT)))
    assert [(s.key, s.title, s.depth) for s in parsed] == [
        ("", "Integrationskonzept Kreis Siegtal", 0),
        ("1", "Präambel", 0),
        ("2", "Handlungsfelder", 0),
        ("2.1", "Bildung und Sprache", 1),
        ("2.1.1", "Schule", 2),
        ("2.2", "Arbeit", 1),
    ]
    bodies = {s.key: s.body for s in parsed}
    assert bodies["1"] == (
        "Der Kreis legt sein „Integrationskonzept“ vor. 🤝\n\nEs gilt für alle 19 Kommunen."
    )
    assert bodies["2.1"] == (
        "Wir fördern:\n\n- Sprachkurse für Eltern\n- Übergänge von der Kita in die Schule"
    )
    assert bodies["2.1.1"] == (
        "Schritte:\n\n1. Bedarf erheben\n2. Angebote planen\n\nDanach: مرحبا بكم\n\n1. Neu zählen"
    )
    assert parsed[0].body == "Entwurf der Verwaltung, Stand März 2026."


def test_a_docx_import_becomes_a_draft_with_the_text_intact(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> None:
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    editor = make_user()
    add_member(consultation.id, editor, "editor")
    revision = drafts.create_from_markdown(
        db, consultation.id, actor=editor, markdown=docx_to_markdown(build_docx(CONCEPT))
    )
    placements = revision_service.outline(db, revision).placements
    assert [p.key for p in placements] == ["", "1", "2", "2.1", "2.1.1", "2.2"]
    assert placements[1].version.body.endswith("vor. 🤝\n\nEs gilt für alle 19 Kommunen.")
    assert "مرحبا بكم" in placements[4].version.body


def test_localised_and_custom_heading_styles() -> None:
    data = build_docx(
        [
            ("Überschrift 1", "1 Ziele"),
            ("Normal", "Text"),
            ("Überschrift 2", "1.1 Teilziel"),
            ("Heading 9", "Tief"),  # beyond Markdown's six levels: level 6
            ("Aufzählung", "Punkt"),
        ],
        custom_styles=("Überschrift 1", "Überschrift 2", "Aufzählung"),
    )
    assert docx_to_markdown(data) == (
        "# 1 Ziele\n\nText\n\n## 1.1 Teilziel\n\n###### Tief\n\n- Punkt\n"
    )


def test_white_space_inside_paragraphs_and_headings_is_tidied() -> None:
    document = docx.Document()
    document.add_heading("3.2   Handlungsfeld\tGesundheit ", level=2)
    paragraph = document.add_paragraph("Erste Zeile")
    paragraph.add_run().add_break()
    paragraph.add_run("zweite Zeile\tmit Tab")
    document.add_paragraph("   ")  # blank: dropped
    buffer = io.BytesIO()
    document.save(buffer)
    markdown = docx_to_markdown(buffer.getvalue())
    assert markdown == "## 3.2 Handlungsfeld Gesundheit\n\nErste Zeile zweite Zeile mit Tab\n"
    [section] = section_input.parse_import(markdown)
    assert (section.key, section.title) == ("3.2", "Handlungsfeld Gesundheit")


def test_a_document_without_headings_gives_markdown_the_import_refuses() -> None:
    markdown = docx_to_markdown(build_docx([("Normal", "Nur ein Absatz.")]))
    assert markdown == "Nur ein Absatz.\n"
    with pytest.raises(Invalid) as caught:
        section_input.parse_import(markdown)
    assert caught.value.code == "invalid_markdown"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


NOT_DOCX: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "plain text": lambda: b"# 1 Einleitung\n\nDas ist Markdown, kein Word.",
    "a PDF": lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
    "an old .doc": lambda: bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 512,
    "a zip without word/document.xml": lambda: _zip({"hallo.txt": b"Hallo"}),
    "an ODT": lambda: _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}
    ),
    "a zip with a broken document.xml": lambda: _zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<kein xml"}
    ),
    "truncated": lambda: build_docx(CONCEPT)[:2000],
    "cut in half": lambda: (lambda d: d[: len(d) // 2])(build_docx(CONCEPT)),
    "only the zip magic": lambda: b"PK\x03\x04",
    "corrupted bytes": lambda: (lambda d: d[:30] + bytes(len(d) - 30))(build_docx(CONCEPT)),
}


@pytest.mark.parametrize("kind", list(NOT_DOCX))
def test_a_file_that_is_not_a_docx_is_refused(kind: str) -> None:
    with pytest.raises(Invalid) as caught:
        docx_to_markdown(NOT_DOCX[kind]())
    assert caught.value.code == "not_docx"
    assert caught.value.status == 422
    assert "DOCX" in caught.value.message
    assert "file" in caught.value.fields


def test_a_file_over_the_limit_is_too_large() -> None:
    with pytest.raises(TooLarge) as caught:
        docx_to_markdown(b"PK\x03\x04" + bytes(MAX_DOCX))
    assert caught.value.status == 413
    # At the limit the size is fine (and then the content is checked).
    with pytest.raises(Invalid):
        docx_to_markdown(b"PK\x03\x04" + bytes(MAX_DOCX - 4))


def test_tables_are_kept_one_line_per_row() -> None:
    document = docx.Document()
    document.add_heading("5 Finanzierung", level=1)
    document.add_paragraph("Die Mittel im Überblick:")
    table = document.add_table(rows=4, cols=3)
    rows = [
        ("Posten", "2026", "2027"),
        ("Sprachkurse", "50.000 €", "55.000 €"),
        ("", "", ""),  # an empty row: dropped
        ("Summe", "", ""),
    ]
    for cells, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value
    merged = table.cell(3, 1).merge(table.cell(3, 2))
    merged.text = "105.000 € 🎉"
    inner = table.cell(1, 0).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "Eltern"
    inner.cell(0, 1).text = "Kinder"
    document.add_paragraph("Nach der Tabelle.")
    buffer = io.BytesIO()
    document.save(buffer)
    markdown = docx_to_markdown(buffer.getvalue())
    assert markdown == (
        "# 5 Finanzierung\n"
        "\n"
        "Die Mittel im Überblick:\n"
        "\n"
        "Posten | 2026 | 2027\n"
        "Sprachkurse Eltern | Kinder | 50.000 € | 55.000 €\n"
        "Summe | 105.000 € 🎉\n"
        "\n"
        "Nach der Tabelle.\n"
    )
    [section] = section_input.parse_import(markdown)
    assert "Summe | 105.000 € 🎉" in section.body


def test_a_docx_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = build_docx(CONCEPT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(imports, "MAX_UNPACKED", unpacked - 1)
    with pytest.raises(TooLarge) as caught:
        docx_to_markdown(data)
    assert caught.value.status == 413
    monkeypatch.setattr(imports, "MAX_UNPACKED", unpacked)
    assert docx_to_markdown(data).startswith("# Integrationskonzept")
