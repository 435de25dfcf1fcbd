"""GET /api/v1/revisions/{id}/export?format=docx|pdf|md (API.md, Exports)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from consult.models import Membership, Revision, User
from consult.services import consultations as consultation_service
from consult.services import drafts
from tests.conftest import CSRFClient

MARKDOWN = """\
# 1 Präambel

Grüße aus dem Kreis 🌍 – مرحبا

## 1.1 Ziele

- Teilhabe „für alle“
"""


@dataclass
class World:
    client: CSRFClient
    editor: User
    published: Revision
    draft: Revision
    make_user: Callable[..., User]
    add_member: Callable[..., Membership]
    token_for: Callable[[User], dict[str, str]]

    def get(self, revision_id: int, query: str, user: User | None = None) -> TestResponse:
        headers = self.token_for(user or self.editor)
        return self.client.get(f"/api/v1/revisions/{revision_id}/export{query}", headers=headers)


@pytest.fixture
def world(
    db: Session,
    client: CSRFClient,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
    token_for: Callable[[User], dict[str, str]],
) -> World:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    editor = make_user("Miriam Redaktion")
    add_member(consultation.id, editor, "editor")
    first = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=MARKDOWN)
    published = drafts.publish(db, first.id, actor=editor)
    draft = drafts.copy_revision(db, published.id, actor=editor)
    db.commit()
    return World(client, editor, published, draft, make_user, add_member, token_for)


def test_docx(world: World) -> None:
    response = world.get(world.published.id, "?format=docx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition == ("attachment; filename=integrationskonzept-kreis-siegtal-fassung-1.docx")
    word = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "1.1 Ziele" in text and "🌍" in text and "مرحبا" in text


def test_pdf_is_the_default(world: World) -> None:
    for query in ("?format=pdf", ""):
        response = world.get(world.published.id, query)
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].endswith(".pdf")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        reader = PdfReader(io.BytesIO(response.data))
        assert "Präambel" in "".join(page.extract_text() for page in reader.pages)


def test_markdown(world: World) -> None:
    response = world.get(world.published.id, "?format=md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.data.decode("utf-8") == MARKDOWN


@pytest.mark.parametrize("bad", ["doc", "PDF", "html", "", "x" * 300])
def test_an_unknown_format_is_422(world: World, bad: str) -> None:
    response = world.get(world.published.id, f"?format={bad}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_format"
    assert "Unbekanntes Format" in error["message"] and len(error["message"]) < 200
    assert "format" in error["fields"]


def test_unknown_and_hidden_revisions_are_404(world: World) -> None:
    observer = world.make_user()
    world.add_member(world.published.consultation_id, observer, "observer")
    stranger = world.make_user()
    assert world.get(world.published.id, "?format=md", observer).status_code == 200
    for user, revision_id in (
        (observer, world.draft.id),  # drafts are the editors'
        (stranger, world.published.id),
        (world.editor, 999_999),
        (world.editor, 2**63),
    ):
        response = world.get(revision_id, "?format=md", user)
        assert response.status_code == 404, (user.id, revision_id)
        assert response.get_json()["error"]["code"]


def test_without_a_token_is_401(world: World) -> None:
    response = world.client.get(f"/api/v1/revisions/{world.published.id}/export?format=md")
    assert response.status_code == 401
