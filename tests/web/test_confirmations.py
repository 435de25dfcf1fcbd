"""Destructive actions ask first, and can be undone where that is cheap (issue 10, item 3);
the inline form's answers as JSON (item 4); the reading view's counts and hints (item 5).

Without JavaScript the form arrives without ``confirmed=1`` and is answered with a page
that says what will happen; that page's "Ja, …" sends it confirmed. Nothing is written
before. (The dialog that does the same with JavaScript: tests/browser/test_confirmations.py.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import Feedback, Membership, Organisation, Revision, Round, User
from consult.services import feedback as feedback_service
from consult.services import rounds as round_service
from tests import support
from tests.services.test_feedback import build_world
from tests.web.test_feedback_pages import Site, redirect_path, threads, tree

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


def question_page(response: Any) -> Any:
    """The confirmation page: 200, a heading, and a form that sends ``confirmed=1``."""
    text = support.page(response)
    assert response.status_code == 200, text[:1500]
    page = tree(response.get_data(as_text=True))
    [form] = page.xpath("//form[.//input[@name='confirmed']]")
    assert form.xpath(".//input[@name='confirmed']/@value") == ["1"]
    assert form.xpath(".//input[@name='csrf_token']") and form.xpath(".//input[@name='_once']")
    assert form.xpath(".//button[starts-with(normalize-space(), 'Ja, ')]")
    assert form.xpath(".//a[normalize-space()='Abbrechen']/@href")
    return page


def send_confirmed(site: Site, user: User, page: Any) -> Any:
    """Press the page's "Ja, …": its form as it is, hidden fields and all."""
    [form] = page.xpath("//form[.//input[@name='confirmed']]")
    data = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
    return site.post(user, form.get("action"), data)


def rows(site: Site) -> dict[str, list[tuple[object, ...]]]:
    return support.snapshot(site.world.db)


# --- closing a round and opening it again --------------------------------------------------


def test_closing_a_round_asks_first_and_then_closes(site: Site) -> None:
    w = site.world
    round_ = w.open_round()
    url = f"/rounds/{round_.id}"
    # The round page's form carries the question for the dialog.
    [form] = tree(site.get(w.editor, url)).xpath(f"//form[@action='{url}/close']")
    assert form.get("data-confirm-title") == "Runde „Beteiligungsrunde“ jetzt schließen?"
    assert "wieder öffnen" in form.get("data-confirm")
    assert form.get("data-confirm-yes") == "Ja, Runde schließen"
    # Others are refused before anything is asked.
    before = rows(site)
    assert site.post(w.alice, f"{url}/close", {}).status_code == 403
    # Without confirmation: a page that says what happens; the round stays open.
    page = question_page(site.post(w.editor, f"{url}/close", {}))
    assert page.xpath("//h1")[0].text_content() == "Runde „Beteiligungsrunde“ jetzt schließen?"
    assert "keine Kommentare, Änderungsvorschläge und Antworten" in page.text_content()
    assert page.xpath("//a[normalize-space()='Abbrechen']/@href") == [url]
    assert rows(site) == before
    # "Ja, Runde schließen" closes it.
    assert redirect_path(send_confirmed(site, w.editor, page)) == url
    w.db.expire_all()
    closed = w.db.get(Round, round_.id)
    assert closed is not None and closed.status_at(utcnow()) == "closed"
    # A closed round is not asked about again: it is a conflict.
    assert site.post(w.editor, f"{url}/close", {}).status_code == 409


def test_a_closed_round_is_reopened_on_its_page_with_a_reason(site: Site, app: Flask) -> None:
    w = site.world
    round_ = w.open_round(groups=("a",))
    round_service.close_round(w.db, round_.id, actor=w.editor)
    url = f"/rounds/{round_.id}"
    page = tree(site.get(w.editor, url))
    assert not page.xpath(f"//form[@action='{url}/close']")
    assert not page.xpath(f"//form[@action='{url}/extend']")
    [form] = page.xpath(f"//form[@action='{url}/reopen']")
    assert form.xpath(".//textarea[@name='reason']") and form.xpath(".//input[@name='closes_at']")
    # Participants see no form and may not send one.
    assert not tree(site.get(w.alice, url)).xpath(f"//form[@action='{url}/reopen']")
    closes_at = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    before = rows(site)
    assert (
        site.post(w.alice, f"{url}/reopen", {"closes_at": closes_at, "reason": "x"}).status_code
        == 403
    )
    # Without a reason: the error at the field, nothing written.
    response = site.post(w.editor, f"{url}/reopen", {"closes_at": closes_at, "reason": " "})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "reason")
    assert rows(site) == before
    # With one: open again, the history says so, the invited are told.
    response = site.post(
        w.editor, f"{url}/reopen", {"closes_at": closes_at, "reason": "Zu früh geschlossen."}
    )
    assert redirect_path(response) == url
    page = tree(site.get(w.editor, url))
    assert (
        "wieder geöffnet" in page.xpath("//*[contains(@class, 'flash-success')]")[0].text_content()
    )
    [entry] = page.xpath("//ol[@class='extensions']/li")
    text = " ".join(entry.text_content().split())
    assert re.match(
        r"wieder geöffnet am \S+, \S+ Uhr bis \S+, \S+ Uhr: Zu früh geschlossen\.", text
    )
    assert page.xpath(f"//form[@action='{url}/close']")  # open again: it can be closed
    subjects = [m["subject"] for m in support.mails(app) if m["to"] == w.alice.email]
    assert len(subjects) == 1
    assert subjects[0].startswith("Wieder geöffnet: Beteiligungsrunde – neue Frist ")
    assert any("Zu früh geschlossen." in m["body"] for m in support.mails(app))
    # Reopening an open round is a conflict, shown on its page.
    response = site.post(w.editor, f"{url}/reopen", {"closes_at": closes_at, "reason": "Nochmal."})
    assert response.status_code == 409


# --- withdrawing feedback, and taking it back ----------------------------------------------


def test_withdrawing_asks_first_and_offers_to_undo(site: Site) -> None:
    w = site.world
    w.open_round()
    item = w.comment(w.alice, "2", "Kita")
    rid = w.revision.id
    # The thread's button carries the question.
    [form] = tree(site.read(w.alice)).xpath(f"//form[@action='/feedback/{item.id}/withdraw']")
    assert form.get("data-confirm-title") == "Kommentar zurückziehen?"
    assert form.get("data-confirm-yes") == "Ja, zurückziehen"
    # Without confirmation: the page asks, with the reading revision kept.
    before = rows(site)
    page = question_page(site.post(w.alice, f"/feedback/{item.id}/withdraw", {"revision_id": rid}))
    assert page.xpath("//form//input[@name='revision_id']/@value") == [str(rid)]
    assert page.xpath("//a[normalize-space()='Abbrechen']/@href") == [
        f"/revisions/{rid}#fb-{item.id}"
    ]
    assert rows(site) == before
    assert redirect_path(send_confirmed(site, w.alice, page)) == f"/revisions/{rid}#fb-{item.id}"
    assert item.id not in threads(site.read(w.bob))
    # The next page's message offers "Rückgängig", once.
    reading = tree(site.read(w.alice))
    [undo] = reading.xpath("//div[@class='flashes']//form[contains(@class, 'flash-undo')]")
    assert undo.get("action") == f"/feedback/{item.id}/restore"
    assert undo.xpath(".//button")[0].text_content().strip() == "Rückgängig"
    assert not tree(site.read(w.alice)).xpath("//form[contains(@class, 'flash-undo')]")
    # The thread keeps a way back while the round is open.
    assert reading.xpath(f"//form[@action='/feedback/{item.id}/restore']//button")
    data = {i.get("name"): i.get("value") for i in undo.xpath(".//input")}
    assert redirect_path(site.post(w.alice, undo.get("action"), data)) == (
        f"/revisions/{rid}#fb-{item.id}"
    )
    assert item.id in threads(site.read(w.bob))
    # Nobody else restores it.
    w.db.expire_all()
    feedback_service.withdraw(w.db, item.id, actor=w.alice)
    assert site.post(w.anna, f"/feedback/{item.id}/restore", {}).status_code in (403, 404)


def test_the_edit_page_withdraws_too(site: Site) -> None:
    w = site.world
    w.open_round()
    item = w.suggest(w.alice, "3", "mehreren", "vielen")
    page = tree(site.get(w.alice, f"/feedback/{item.id}/edit"))
    [form] = page.xpath(f"//form[@action='/feedback/{item.id}/withdraw']")
    assert form.get("data-confirm-title") == "Änderungsvorschlag zurückziehen?"
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    question = question_page(site.post(w.alice, form.get("action"), data))
    redirect_path(send_confirmed(site, w.alice, question))
    w.db.expire_all()
    assert w.db.get(Feedback, item.id).status == "withdrawn"  # type: ignore[union-attr]


# --- members, sections, drafts -------------------------------------------------------------


def test_removing_a_member_asks_first_and_can_be_undone(site: Site) -> None:
    w = site.world
    url = f"/consultations/{w.consultation.id}/members"
    remove = f"{url}/{w.bob.id}/remove"
    [form] = tree(site.get(w.editor, url)).xpath(f"//form[@action='{remove}']")
    assert (
        form.get("data-confirm-title")
        == "Bob Berger (Jobcenter Siegtal) aus dem Verfahren entfernen?"
    )
    before = rows(site)
    assert site.post(w.alice, remove, {}).status_code == 403
    page = question_page(site.post(w.editor, remove, {}))
    assert "bisherigen Beiträge bleiben erhalten" in page.text_content()
    assert rows(site) == before
    assert redirect_path(send_confirmed(site, w.editor, page)) == url

    def role() -> str | None:
        w.db.expire_all()
        return w.db.scalar(
            select(Membership.role).where(
                Membership.consultation_id == w.consultation.id, Membership.user_id == w.bob.id
            )
        )

    assert role() is None
    [undo] = tree(site.get(w.editor, url)).xpath("//form[contains(@class, 'flash-undo')]")
    data = {i.get("name"): i.get("value") for i in undo.xpath(".//input")}
    assert (undo.get("action"), data["user_id"], data["role"]) == (
        url,
        str(w.bob.id),
        "participant",
    )
    redirect_path(site.post(w.editor, undo.get("action"), data))
    assert role() == "participant"
    # Unknown people are not asked about.
    assert site.post(w.editor, f"{url}/999999/remove", {}).status_code == 404


def test_deleting_a_section_and_discarding_a_draft_ask_first(site: Site) -> None:
    w = site.world
    draft = w.new_revision(publish=False)
    draft_id = draft.id
    section_id = w.placements(draft)["4"].section_id
    edit = tree(site.get(w.editor, f"/revisions/{draft.id}/edit"))
    delete = f"/revisions/{draft.id}/sections/{section_id}/delete"
    [form] = edit.xpath(f"//form[@action='{delete}']")
    assert form.get("data-confirm-title", "").startswith("Abschnitt „4 ")
    [discard] = edit.xpath(f"//form[@action='/revisions/{draft.id}/discard']")
    assert discard.get("data-confirm-title") == f"Entwurf (Fassung {draft.number}) verwerfen?"
    before = rows(site)
    assert site.post(w.alice, delete, {}).status_code in (403, 404)
    page = question_page(site.post(w.editor, delete, {}))
    assert page.xpath("//a[normalize-space()='Abbrechen']/@href") == [
        f"/revisions/{draft.id}/edit#s-{section_id}"
    ]
    page = question_page(site.post(w.editor, f"/revisions/{draft.id}/discard", {}))
    assert "nicht rückgängig" in page.text_content()
    assert rows(site) == before
    redirect_path(send_confirmed(site, w.editor, page))
    w.db.expire_all()
    assert w.db.get(Revision, draft_id) is None


# --- the inline form, sent by script --------------------------------------------------------


def test_the_inline_form_gets_json_answers_and_a_repeat_stores_once(site: Site) -> None:
    w = site.world
    w.open_round()
    url = site.form_url("2")
    anchor = w.anchor("2", "Kita")
    fields = {
        "kind": "comment",
        "start": str(anchor["start"]),
        "end": str(anchor["end"]),
        "selected": anchor["quote"],
        "_once": "inline-probe-1",
    }
    browser = site.browser(w.alice)
    scripted = {"Accept": "application/json"}
    before = site.count(Feedback)
    # An empty comment: the error for the field, as JSON; nothing stored.
    response = browser.post(url, data={**fields, "body": "  "}, headers=scripted)
    assert response.status_code == 422 and response.is_json
    error = response.get_json()["error"]
    assert error["fields"]["body"] and error["message"]
    # A text the rules refuse (a control character): the form's error for the field.
    response = browser.post(url, data={**fields, "body": "Probe\x1bText"}, headers=scripted)
    assert response.status_code == 422 and "body" in response.get_json()["error"]["fields"]
    assert site.count(Feedback) == before
    # Saved: where to go next; the message waits there.
    response = browser.post(url, data={**fields, "body": "Gut so."}, headers=scripted)
    assert response.status_code == 201, response.get_data(as_text=True)
    saved = response.get_json()
    item_id = saved["id"]
    assert saved["location"] == f"/revisions/{w.revision.id}#fb-{item_id}"
    assert response.headers["Location"].endswith(saved["location"])
    # The same form again (a double click, a retry): the same answer, stored once.
    again = browser.post(url, data={**fields, "body": "Gut so."}, headers=scripted)
    assert again.status_code == 201 and again.get_json() == saved
    assert site.count(Feedback) == before + 1
    page = site.read(w.alice)
    assert "Ihr Beitrag ist gespeichert." in page
    # After the round the server's refusal comes as JSON too.
    round_service.close_round(w.db, w.rounds[0].id, actor=w.editor)
    response = browser.post(
        url, data={**fields, "_once": "inline-probe-2", "body": "Zu spät."}, headers=scripted
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "round_closed"


# --- the reading view's counts and hints ----------------------------------------------------


def test_the_filter_legend_counts_what_is_shown(site: Site) -> None:
    w = site.world
    w.open_round()
    w.comment(w.alice, "2", "Kita")
    w.comment(w.alice, "1")
    w.suggest(w.bob, "3", "mehreren", "vielen")

    def legend(query: str = "") -> str:
        [element] = tree(site.read(w.alice, query=query)).xpath("//legend")
        return " ".join(element.text_content().split())

    assert legend() == "Beiträge filtern (3 Beiträge sichtbar)"
    assert legend("?kind=comment") == "Beiträge filtern (2 von 3 Beiträgen sichtbar)"
    assert legend("?kind=suggestion") == "Beiträge filtern (1 von 3 Beiträgen sichtbar)"
    assert legend("?mine=1&kind=suggestion") == "Beiträge filtern (0 von 3 Beiträgen sichtbar)"
    # One item: the singular.
    assert " ".join(tree(site.read(w.bob)).xpath("//legend")[0].text_content().split()) == (
        "Beiträge filtern (3 Beiträge sichtbar)"
    )


def test_the_legend_says_one_in_the_singular(site: Site) -> None:
    w = site.world
    w.open_round(visibility="editors")
    w.comment(w.alice, "2", "Kita")
    [element] = tree(site.read(w.alice)).xpath("//legend")
    assert " ".join(element.text_content().split()) == "Beiträge filtern (1 Beitrag sichtbar)"
    [element] = tree(site.read(w.alice, query="?kind=comment")).xpath("//legend")
    assert " ".join(element.text_content().split()) == (
        "Beiträge filtern (1 von 1 Beitrag sichtbar)"
    )


def test_without_javascript_the_hint_does_not_ask_to_select(site: Site) -> None:
    w = site.world
    w.open_round()
    banner = tree(site.read(w.alice)).xpath("//div[contains(@class, 'round-banner')]")[0]
    [plain] = banner.xpath(".//p[@data-annotate-hint='plain']")
    assert plain.get("hidden") is None
    assert "Maus" not in plain.text_content() and "Markieren" not in plain.text_content()
    assert "Kommentieren oder Änderung vorschlagen" in plain.text_content()
    # The hint about selecting waits for the script that makes selecting work.
    [select_hint] = banner.xpath(".//p[@data-annotate-hint='select']")
    assert select_hint.get("hidden") is not None
