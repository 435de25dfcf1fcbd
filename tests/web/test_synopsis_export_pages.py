"""Downloads from the pages (issue 13, items 2 and 3): the diff page's synopsis view links
the synopsis as PDF, Word and HTML (carrying "nur Änderungen" as collapse=1), and the
response table page offers it as PDF as well, for those who may read it."""

from __future__ import annotations

import io
from typing import Any

import lxml.html
from docx import Document
from pypdf import PdfReader

from tests.services.test_synopsis_exports import merged
from tests.web import test_feedback_pages
from tests.web.test_feedback_pages import Site, module_app  # noqa: F401
from tests.web.test_response_pages import decided_round, publish_table

app = test_feedback_pages.app
site = test_feedback_pages.site


def download_links(page: str) -> dict[str, str]:
    """The synopsis downloads of a diff page: link text -> URL."""
    found = lxml.html.fromstring(page).xpath("//p[contains(@class, 'synopsis-downloads')]//a")
    return {" ".join(a.text_content().split()): a.get("href") for a in found}


def merged_revision(site: Site) -> Any:
    with site.app.app_context():
        new, _first = merged(site.world)
    site.world.db.commit()
    return new


def test_the_synopsis_view_links_its_downloads(site: Site) -> None:
    w = site.world
    new = merged_revision(site)
    base = f"/revisions/{new.id}/diff?against={w.revision.id}"
    page = site.get(w.editor, f"{base}&view=synopsis")
    assert "Synopse herunterladen:" in page
    links = download_links(page)
    assert links == {
        "PDF": f"/revisions/{new.id}/synopsis.pdf?against={w.revision.id}",
        "Word (DOCX)": f"/revisions/{new.id}/synopsis.docx?against={w.revision.id}",
        "HTML": f"/revisions/{new.id}/synopsis.html?against={w.revision.id}",
    }
    # "nur Änderungen" is carried as collapse=1.
    short = download_links(site.get(w.editor, f"{base}&view=synopsis&only=changes"))
    assert short["PDF"] == f"/revisions/{new.id}/synopsis.pdf?against={w.revision.id}&collapse=1"
    # The other views have no such links.
    assert not download_links(site.get(w.editor, f"{base}&view=inline"))


def test_the_links_give_the_files(site: Site) -> None:
    w = site.world
    new = merged_revision(site)
    links = download_links(
        site.get(
            w.editor, f"/revisions/{new.id}/diff?against={w.revision.id}&view=synopsis&only=changes"
        )
    )
    client = site.browser(w.editor)
    pdf = client.get(links["PDF"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert "Sprachförderung" in text and "Sprachbildung" in text
    docx = client.get(links["Word (DOCX)"])
    assert docx.status_code == 200
    assert len(Document(io.BytesIO(docx.get_data())).tables) == 2  # collapsed: 2 changed
    html = client.get(links["HTML"])
    assert html.mimetype == "text/html"
    assert "Anerkennung ausländischer Abschlüsse" not in html.get_data(as_text=True)


def test_bad_downloads_are_refused(site: Site) -> None:
    w = site.world
    new = merged_revision(site)
    site.get(w.editor, f"/revisions/{new.id}/synopsis.pdf", status=422)
    site.get(w.editor, f"/revisions/{new.id}/synopsis.pdf?against=zwei", status=422)
    site.get(w.editor, f"/revisions/{new.id}/synopsis.pdf?against=2000000000", status=404)
    site.get(w.editor, f"/revisions/{new.id}/synopsis.odt?against={w.revision.id}", status=404)
    # Alice is invited to no round on revision 2: she may not read it.
    site.get(w.alice, f"/revisions/{new.id}/synopsis.pdf?against={w.revision.id}", status=404)


def test_the_response_table_downloads_as_pdf(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    page = site.get(w.editor, f"/rounds/{d.round_id}/responses")
    tree = lxml.html.fromstring(page)
    [link] = tree.xpath(
        "//div[contains(@class, 'responses-downloads')]//a[contains(@href, '.pdf')]"
    )
    assert " ".join(link.text_content().split()) == "PDF (Querformat, zum Drucken)"
    assert link.get("href") == f"/rounds/{d.round_id}/responses.pdf"
    response = site.browser(w.editor).get(f"/rounds/{d.round_id}/responses.pdf?names=0")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="abwaegungstabelle-runde-{d.round_id}.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Wird ergänzt: ab dem ersten Kita-Jahr." in text.replace("\u2010 ", "")
    assert "Alice Arendt" not in text and "Caritas Siegtal" in text
    # Participants only once it is published.
    site.get(w.alice, f"/rounds/{d.round_id}/responses.pdf", status=403)
    publish_table(site, d.round_id)
    assert site.browser(w.alice).get(f"/rounds/{d.round_id}/responses.pdf").status_code == 200
