"""The synopsis via the API (API.md, Exports): ``GET /revisions/{id}/synopsis?against=
{other_id}&format=html|docx|pdf``, with ``collapse=1``; 422 for a bad format, ``against``
or ``collapse``, 404 for revisions the caller may not read."""

from __future__ import annotations

import io

import lxml.html
import pytest
from docx import Document
from pypdf import PdfReader

from consult.models import Revision
from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error
from tests.services.test_synopsis_exports import merged

api = test_feedback_api.api  # the fixture: the feedback world with a client

MEDIA = {
    "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def merged_revision(api: Api) -> Revision:
    new, _first = merged(api.world)
    api.world.open_round(revision=new, title="Zweite Runde")  # so that Alice may read it
    api.world.db.commit()
    return new


@pytest.mark.parametrize("file_format", ["html", "docx", "pdf"])
def test_each_format_is_a_download_with_both_wordings(api: Api, file_format: str) -> None:
    w = api.world
    new = merged_revision(api)
    response = api.get(
        w.alice, f"/revisions/{new.id}/synopsis?against={w.revision.id}&format={file_format}"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    assert response.mimetype == MEDIA[file_format]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"synopse-fassung-1-zu-2-integrationskonzept-kreis-siegtal.{file_format}" in disposition
    content = response.get_data()
    if file_format == "html":
        text = lxml.html.fromstring(content.decode()).text_content()
    elif file_format == "docx":
        document = Document(io.BytesIO(content))
        text = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    else:
        reader = PdfReader(io.BytesIO(content))
        text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Sprachförderung" in text and "Sprachbildung" in text


def test_pdf_is_the_default_and_collapse_shortens_it(api: Api) -> None:
    w = api.world
    new = merged_revision(api)
    url = f"/revisions/{new.id}/synopsis?against={w.revision.id}"
    assert api.get(w.editor, url).mimetype == "application/pdf"
    full = api.get(w.editor, f"{url}&format=html").get_data(as_text=True)
    short = api.get(w.editor, f"{url}&format=html&collapse=1").get_data(as_text=True)
    unchanged = "Anerkennung ausländischer Abschlüsse beschleunigen."
    assert unchanged in full and unchanged not in short
    assert "Sprachbildung" in short


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("format=odt", "invalid_format"),
        ("format=", "invalid_format"),
        ("collapse=ja", "invalid_parameter"),
        ("against=", "missing_against"),
        ("against=zwei", "invalid_against"),
    ],
)
def test_bad_input_is_422(api: Api, query: str, code: str) -> None:
    w = api.world
    new = merged_revision(api)
    base = f"/revisions/{new.id}/synopsis"
    url = (
        f"{base}?{query}"
        if query.startswith("against")
        else f"{base}?against={w.revision.id}&{query}"
    )
    assert_error(api.get(w.editor, url), 422, code)


def test_missing_against_and_another_consultation_are_422(api: Api) -> None:
    w = api.world
    new = merged_revision(api)
    assert_error(api.get(w.editor, f"/revisions/{new.id}/synopsis"), 422, "missing_against")
    other = api.post(w.editor, "/consultations", {"title": "Anderes Verfahren"}).get_json()
    made = api.post(
        w.editor, f"/consultations/{other['id']}/revisions", {"markdown": "# 1 Eins\n\nText."}
    ).get_json()
    assert_error(
        api.get(w.editor, f"/revisions/{new.id}/synopsis?against={made['id']}"),
        422,
        "invalid_against",
    )


def test_unknown_and_unreadable_revisions_are_404(api: Api) -> None:
    w = api.world
    new = merged_revision(api)
    assert_error(api.get(w.editor, f"/revisions/2000000000/synopsis?against={new.id}"), 404)
    assert_error(api.get(w.editor, f"/revisions/{new.id}/synopsis?against=2000000000"), 404)
    stranger = w.make_user("Fremde Person")
    w.db.commit()
    assert_error(api.get(stranger, f"/revisions/{new.id}/synopsis?against={w.revision.id}"), 404)


def test_without_a_token_it_is_401(api: Api) -> None:
    w = api.world
    response = api.client.get(f"/api/v1/revisions/{w.revision.id}/synopsis?against=1")
    assert_error(response, 401)
