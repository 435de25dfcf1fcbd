"""The procedure report's page (issue 13 item 4): editors read the generated text in a
form, save their own ("Bericht speichern"), see who saved it and when, return to the
generated text after a confirmation, and download PDF and DOCX; the round's page links
to it for editors only; others get 403 or 404."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from docx import Document
from flask import Flask
from sqlalchemy.orm import Session

from consult.models import Membership, Organisation, RoundReport, User
from tests import support
from tests.services.test_feedback import build_world
from tests.web.test_confirmations import question_page, send_confirmed
from tests.web.test_feedback_pages import Site, redirect_path, tree

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def site(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Site:
    world = build_world(db, admin, make_user, make_org, add_member)
    db.commit()
    return Site(world, app)


def test_edit_save_and_return_to_the_generated_text(site: Site) -> None:
    w = site.world
    round_ = w.open_round(title="1. Stufe")
    w.comment(w.alice, "2", None, body="Gut so.")
    url = f"/rounds/{round_.id}/report"
    page = tree(site.get(w.editor, url))
    [textarea] = page.xpath("//form[@action=$u]//textarea[@name='body']", u=url)
    generated = textarea.text_content()
    assert generated.strip().startswith("Zum Entwurf „")
    assert "In der Beteiligungsrunde „1. Stufe“ wurde der Entwurf" in generated
    assert "Erzeugter Text" in page.text_content()
    assert page.xpath("//button[normalize-space()='Bericht speichern']")
    assert not page.xpath("//form[@action=$u]", u=f"{url}/reset")  # nothing to return from
    assert set(page.xpath("//a[@download]/@href")) == {f"{url}.pdf", f"{url}.docx"}

    response = site.post(w.editor, url, {"body": "Unser eigener Bericht.\r\n\r\nMit „Zitat“."})
    assert response.status_code == 302 and redirect_path(response) == url
    page = tree(site.get(w.editor, url))
    assert page.xpath("//textarea[@name='body']")[0].text_content().strip() == (
        "Unser eigener Bericht.\n\nMit „Zitat“."
    )
    state = " ".join(page.xpath("//p[@class='report-state']")[0].text_content().split())
    assert state.startswith(f"Bearbeiteter Text: gespeichert von {w.editor.name} am ")
    assert "Der derzeit erzeugte Text" in page.text_content()  # shown to compare
    [reset] = page.xpath("//form[@action=$u]", u=f"{url}/reset")
    assert reset.get("data-confirm-title") == "Zum erzeugten Text zurückkehren?"
    assert reset.get("data-confirm-yes") == "Ja, zum erzeugten Text zurückkehren"

    # Without the confirmation: the question, and the text stays.
    question = question_page(site.post(w.editor, f"{url}/reset", {}))
    assert "wird gelöscht" in question.text_content()
    assert site.count(RoundReport) == 1
    done = send_confirmed(site, w.editor, question)
    assert done.status_code == 302 and redirect_path(done) == url
    assert site.count(RoundReport) == 0
    page = tree(site.get(w.editor, url))
    assert page.xpath("//textarea[@name='body']")[0].text_content().strip() == generated.strip()


def test_a_refused_text_is_shown_at_the_field_and_nothing_saved(site: Site) -> None:
    w = site.world
    round_ = w.open_round()
    url = f"/rounds/{round_.id}/report"
    for body in ("", "   ", "Mit\x00NUL", "Mit\x1bEscape"):
        response = site.post(w.editor, url, {"body": body})
        assert response.status_code == 422, body
        page = tree(response.get_data(as_text=True))
        assert page.xpath("//textarea[@name='body'][@aria-invalid='true']")
        assert page.xpath("//*[@class='field-error']")
    assert site.count(RoundReport) == 0


def test_downloads(site: Site) -> None:
    w = site.world
    round_ = w.open_round(title="Stufe Ü")
    url = f"/rounds/{round_.id}/report"
    pdf = site.browser(w.editor).get(f"{url}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert 'filename="verfahrensbericht-stufe-ue.pdf"' in pdf.headers["Content-Disposition"]
    docx = site.browser(w.editor).get(f"{url}.docx")
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Verfahrensbericht" in text and "„Stufe Ü“" in text
    assert site.browser(w.editor).get(f"{url}.odt").status_code == 404


def test_only_editors_reach_it_and_the_round_page_links_it_for_them(site: Site) -> None:
    w = site.world
    round_ = w.open_round(groups=("a",))
    url = f"/rounds/{round_.id}/report"
    assert tree(site.get(w.editor, f"/rounds/{round_.id}")).xpath("//a[@href=$u]", u=url)
    assert not tree(site.get(w.alice, f"/rounds/{round_.id}")).xpath("//a[@href=$u]", u=url)
    for user, status in ((w.alice, 403), (w.observer, 404), (w.bob, 404)):
        site.get(user, url, status)
        assert site.browser(user).get(f"{url}.pdf").status_code == status
        assert site.post(user, url, {"body": "Mein Bericht"}).status_code == status
        assert site.post(user, f"{url}/reset", {"confirmed": "1"}).status_code == status
    assert site.count(RoundReport) == 0
