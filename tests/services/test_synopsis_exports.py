"""The synopsis as a file (issue 13, item 2): two revisions side by side as HTML, DOCX and
PDF, changes marked (struck through / underlined, not only coloured), the provenance of
each change ("Vorschlag Nr. 12, Caritas Siegtal (übernommen)"), unchanged sections
collapsed to their headings on request."""

from __future__ import annotations

import io
import re

import lxml.html
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from flask import Flask
from pypdf import PdfReader

from consult.errors import Invalid, NotFound
from consult.models import Feedback, Revision
from consult.services import decisions, drafts, merge, synopsis
from consult.services.export_files import DOCX, HTML, PDF
from consult.services.synopsis_exports import export_synopsis
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def w(world: World, app: Flask) -> World:  # noqa: F811
    return world


def merged(w: World) -> tuple[Revision, Feedback]:
    """Revision 2: Alice's suggestion on section 2 accepted and merged, the editor's own
    edit of section 1; sections 3 to 5 unchanged."""
    w.open_round()
    first = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    decisions.decide(w.db, first.id, actor=w.editor, decision="accept")
    one = w.placements()["1"]
    new = merge.merge(
        w.db,
        w.revision.id,
        actor=w.editor,
        note="Einarbeitung",
        edits={
            one.section_id: one.version.body.replace(
                "Integrationskonzept", "Integrationshandlungskonzept"
            )
        },
    )
    drafts.publish(w.db, new.id, actor=w.editor)
    return new, first


def pdf_text(content: bytes) -> str:
    """The text of a PDF, words hyphenated at line ends joined again."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return text.replace("\u2010 ", "")


def test_the_html_puts_the_old_and_the_new_wording_side_by_side(w: World) -> None:
    new, first = merged(w)
    made = export_synopsis(w.db, new.id, w.revision.id, actor=w.editor, file_format="html")
    assert made.mimetype == HTML
    assert made.filename == "synopse-fassung-1-zu-2-integrationskonzept-kreis-siegtal.html"
    page = lxml.html.fromstring(made.content.decode("utf-8"))
    assert page.xpath("//title")[0].text_content().startswith("Synopse: Fassung 1 → Fassung 2")
    heads = [" ".join(th.text_content().split()) for th in page.xpath("//thead//th")]
    assert heads[0].startswith("Fassung 1 vom") and heads[0].endswith("(bisher)")
    assert heads[1].startswith("Fassung 2 vom") and heads[1].endswith("(neu)")
    two = page.xpath("//tr[td//span[@class='key' and text()='2']]/following-sibling::tr[1]")[0]
    old_cell, new_cell = two.xpath("./td")
    assert [d.text_content() for d in old_cell.xpath(".//del")] == ["Sprachförderung"]
    assert not old_cell.xpath(".//ins") and not new_cell.xpath(".//del")
    assert [i.text_content() for i in new_cell.xpath(".//ins")] == ["Sprachbildung"]
    assert "Eltern werden früh beteiligt." in old_cell.text_content()
    assert "Eltern werden früh beteiligt." in new_cell.text_content()
    # The references after the change, and the provenance under the section.
    assert old_cell.xpath(".//sup[@class='ref']/text()") == ["1"]
    why = two.xpath("following-sibling::tr[1]/td[@class='why']")[0]
    assert f"Vorschlag Nr. {first.id}, Caritas Siegtal (übernommen)" in why.text_content()
    text = page.text_content()
    assert "redaktionelle Änderung (Miriam Redaktion)" in text
    # Marks that survive a black-and-white print.
    style = page.xpath("//style")[0].text_content()
    assert re.search(r"del \{[^}]*line-through", style)
    assert re.search(r"ins \{[^}]*underline", style)
    assert "A4 landscape" in style


def test_unchanged_sections_collapse_to_their_headings(w: World) -> None:
    new, _first = merged(w)
    full = export_synopsis(w.db, new.id, w.revision.id, actor=w.editor, file_format="html")
    short = export_synopsis(
        w.db, new.id, w.revision.id, actor=w.editor, file_format="html", collapse_unchanged=True
    )
    unchanged_body = "Anerkennung ausländischer Abschlüsse beschleunigen."
    assert unchanged_body in full.content.decode()
    page = lxml.html.fromstring(short.content.decode())
    assert unchanged_body not in page.text_content()
    three = page.xpath("//tr[td//span[@class='key' and text()='3']]")[0]
    assert three.get("class") == "collapsed"
    assert "Arbeit" in three.text_content() and "unverändert" in three.text_content()
    # Changed sections keep their text.
    assert "Sprachbildung" in page.text_content()
    assert len(page.xpath("//tr[@class='collapsed']")) == 4  # 2.1, 3, 4, 5


def test_the_docx_has_struck_and_underlined_runs(w: World) -> None:
    new, first = merged(w)
    made = export_synopsis(w.db, new.id, w.revision.id, actor=w.editor, file_format="docx")
    assert made.mimetype == DOCX and made.filename.endswith(".docx")
    document = Document(io.BytesIO(made.content))
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    runs = [
        run
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for paragraph in cell.paragraphs
        for run in paragraph.runs
    ]
    struck = [r.text for r in runs if r.font.strike]
    assert struck == ["Integrationskonzept", "Sprachförderung"]
    assert [r.text for r in runs if r.font.underline] == [
        "Integrationshandlungskonzept",
        "Sprachbildung",
    ]
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"Vorschlag Nr. {first.id}, Caritas Siegtal (übernommen)" in text
    assert "redaktionelle Änderung (Miriam Redaktion)" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any("Der Kreis Siegtal legt sein Integrationskonzept" in c for c in cells)
    assert any("Der Kreis Siegtal legt sein Integrationshandlungskonzept" in c for c in cells)
    # One table per section; collapsed, the unchanged ones keep only their headings.
    assert len(document.tables) == 6
    short = export_synopsis(
        w.db, new.id, w.revision.id, actor=w.editor, file_format="docx", collapse_unchanged=True
    )
    collapsed = Document(io.BytesIO(short.content))
    assert len(collapsed.tables) == 2
    headings = [p.text for p in collapsed.paragraphs if p.style.name.startswith("Heading")]
    assert any(h.startswith("3 Arbeit") and "unverändert" in h for h in headings)


def test_the_pdf_contains_both_wordings_and_the_provenance(w: World) -> None:
    new, first = merged(w)
    made = export_synopsis(w.db, new.id, w.revision.id, actor=w.editor, file_format="pdf")
    assert made.mimetype == PDF and made.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(made.content))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = pdf_text(made.content)
    # Both columns: the old wording left, the new one right (a reference after each change).
    assert re.search(r"Sprachförderung\s?1 beginnt in der Kita", text)
    assert re.search(r"Sprachbildung\s?1 beginnt in der Kita", text)
    assert text.index("Sprachförderung") < text.index("Sprachbildung")
    assert text.count("Ein Monitoring berichtet jährlich dem Kreistag.") == 2
    assert f"Vorschlag Nr. {first.id}" in text and "Caritas Siegtal" in text
    assert "Willkommen" in text and "Seite 1 von" in text


def test_a_pair_without_merges_has_no_provenance(w: World) -> None:
    later = w.new_revision()
    made = synopsis.synopsis_of(w.db, later.id, w.revision.id, actor=w.editor)
    assert not made.has_causes
    removed = next(r for r in made.rows if r.key == "5")
    assert removed.status == "removed" and removed.new is None and removed.old
    html = export_synopsis(w.db, later.id, w.revision.id, actor=w.editor, file_format="html")
    assert "(entfernt)" in html.content.decode() and "Warum geändert?" not in html.content.decode()


def test_bad_formats_and_comparisons_are_refused(w: World) -> None:
    later = w.new_revision()
    with pytest.raises(Invalid) as bad:
        export_synopsis(w.db, later.id, w.revision.id, actor=w.editor, file_format="odt")
    assert bad.value.code == "invalid_format"
    for against in (None, "", "zwei"):
        with pytest.raises(Invalid):
            export_synopsis(w.db, later.id, against, actor=w.editor, file_format="pdf")
    with pytest.raises(NotFound):
        export_synopsis(w.db, later.id, 2_000_000, actor=w.editor, file_format="pdf")
    with pytest.raises(NotFound):  # not a member of the consultation
        stranger = w.make_user("Fremde Person")
        export_synopsis(w.db, later.id, w.revision.id, actor=stranger, file_format="pdf")


def test_provenance_lines(app: Flask) -> None:
    from consult.services.change_causes import EDITOR, HIDDEN, SUGGESTION, Cause

    assert synopsis.provenance(Cause(EDITOR, editor="Eva")) == "redaktionelle Änderung (Eva)"
    assert synopsis.provenance(Cause(EDITOR)) == "redaktionelle Änderung"
    assert synopsis.provenance(Cause(HIDDEN)) == "Änderungsvorschlag aus der Beteiligung"
    made = Cause(SUGGESTION, feedback_id=12, author="Ida", decision="accept_modified")
    assert synopsis.provenance(made) == "Vorschlag Nr. 12, Ida (geändert übernommen)"
