"""The response table as PDF (issue 13, item 3): ``GET /rounds/{id}/responses?format=pdf``
gives an A4 landscape table with a header row on every page, numbered rows and page
numbers; participants still get 403 before the editors publish it; the OpenAPI document
lists the format."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok
from tests.api.test_response_table import decided_round

api = test_feedback_api.api  # the fixture: the feedback world with a client


def pdf_pages(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    # Words hyphenated at the end of a line are joined again.
    return [" ".join((p.extract_text() or "").split()).replace("\u2010 ", "") for p in reader.pages]


def test_the_pdf_is_a_landscape_table_of_every_item(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    response = api.get(w.editor, f"/rounds/{round_id}/responses?format=pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert f'attachment; filename="abwaegungstabelle-runde-{round_id}.pdf"' == disposition
    text = " ".join(pdf_pages(response.get_data()))
    for heading in ("Nr.", "Abschnitt", "Organisation", "Verfasst von", "Textstelle"):
        assert heading in text
    assert "Abwägung" in text and "Entscheidung" in text
    assert w.alice.name in text and "Caritas Siegtal" in text
    assert "„Sprachförderung beginnt in der Kita.“" in text  # the quoted text
    assert "berücksichtigt" in text and "geändert übernommen" in text and "offen" in text
    assert "Seite 1 von" in text


def test_without_names_the_authors_are_left_out(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    response = api.get(w.editor, f"/rounds/{round_id}/responses?format=pdf&names=0")
    text = " ".join(pdf_pages(response.get_data()))
    assert "Verfasst von" not in text and w.alice.name not in text
    assert "Caritas Siegtal" in text  # the organisation stays


def test_the_header_row_repeats_on_every_page(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    for n in range(30):
        w.comment(w.anna, "3", None, body=f"Anmerkung {n}: " + "Bitte genauer prüfen. " * 12)
    w.db.commit()
    pages = pdf_pages(api.get(w.editor, f"/rounds/{round_id}/responses?format=pdf").get_data())
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert "Nr. Abschnitt Organisation" in page, number
        assert f"Seite {number} von {len(pages)}" in page
    assert "33" in pages[-1]  # the rows are numbered to the last


def test_participants_get_403_before_publication(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    assert_error(api.get(w.alice, f"/rounds/{round_id}/responses?format=pdf"), 403)
    ok(api.post(w.editor, f"/rounds/{round_id}/responses/publish"))
    response = api.get(w.alice, f"/rounds/{round_id}/responses?format=pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF")


def test_the_openapi_document_lists_pdf(api: Api) -> None:
    document = api.client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/rounds/{round_id}/responses"]["get"]
    [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert fmt["schema"]["enum"] == ["json", "csv", "xlsx", "docx", "pdf"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    synopsis = document["paths"]["/revisions/{revision_id}/synopsis"]["get"]
    names = {p["name"] for p in synopsis["parameters"]}
    assert {"against", "format", "collapse"} <= names
