"""The reading view's download links (DOCX, PDF, Markdown) and the route behind them."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
from sqlalchemy.orm import Session

from consult.models import Membership, User
from consult.services import consultations as consultation_service
from consult.services import drafts
from tests.conftest import CSRFClient


def test_the_reading_view_offers_the_downloads_to_its_readers(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
    login: Callable[[User], CSRFClient],
) -> None:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    editor = make_user()
    add_member(consultation.id, editor, "editor")
    revision = drafts.create_from_markdown(
        db, consultation.id, actor=editor, markdown="# 1 Präambel\n\nGrüße 🌍"
    )
    observer = make_user()
    add_member(consultation.id, observer, "observer")
    client = login(observer)
    # A draft: not for observers, neither the page nor the file.
    assert client.get(f"/revisions/{revision.id}/export.pdf").status_code == 404
    drafts.publish(db, revision.id, actor=editor)
    db.commit()
    page = client.get(f"/revisions/{revision.id}")
    assert page.status_code == 200
    links = lxml.html.fromstring(page.get_data(as_text=True)).xpath(
        "//p[@class='downloads no-print']/a"
    )
    assert [a.text_content() for a in links] == ["Word (DOCX)", "PDF", "Markdown"]
    expected = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
        "md": "text/markdown; charset=utf-8",
    }
    for link, (ext, mimetype) in zip(links, expected.items(), strict=True):
        assert link.get("href") == f"/revisions/{revision.id}/export.{ext}"
        response = client.get(link.get("href"))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == mimetype
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="integrationskonzept-kreis-siegtal-fassung-1.{ext}"'
        )
    assert client.get(f"/revisions/{revision.id}/export.md").data.startswith(b"# 1 Pr")
    assert client.get(f"/revisions/{revision.id}/export.html").status_code == 404
