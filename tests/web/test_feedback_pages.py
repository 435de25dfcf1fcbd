"""Feedback in the browser: the reading view with highlights and threads, filters, the
forms with and without JavaScript, replies and moderation, closed rounds, and XSS.

Pages are fetched with logged-in test clients (one per person, CSRF token included);
what a form wrote is checked in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain.outline import blocks
from consult.models import (
    Feedback,
    FeedbackEdit,
    Membership,
    Organisation,
    Reply,
    Revision,
    User,
)
from consult.services import feedback as feedback_service
from consult.services import feedback_locations
from consult.services import rounds as round_service
from tests import support
from tests.conftest import CSRFClient
from tests.services.test_feedback import World, build_world

#: One app for the module, on each test's own rolled-back transaction (tests/support.py);
#: every request gets its own app context, as in production.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class Site:
    """The world, with a logged-in browser per person."""

    def __init__(self, world: World, app: Flask) -> None:
        self.world = world
        self.app = app
        self._clients: dict[int, CSRFClient] = {}

    def browser(self, user: User) -> CSRFClient:
        if user.id not in self._clients:
            self.world.db.commit()
            client: CSRFClient = self.app.test_client()  # type: ignore[assignment]
            self._clients[user.id] = support.sign_in(client, self.world.db, user)
        return self._clients[user.id]

    def get(self, user: User, url: str, status: int = 200) -> str:
        self.world.db.commit()
        response = self.browser(user).get(url)
        text: str = response.get_data(as_text=True)
        assert response.status_code == status, text[:1500]
        return text

    def post(self, user: User, url: str, data: dict[str, Any]) -> Any:
        self.world.db.commit()
        return self.browser(user).post(url, data=data)

    def read(self, user: User, revision: Revision | None = None, query: str = "") -> str:
        return self.get(user, f"/revisions/{(revision or self.world.revision).id}{query}")

    def form_url(self, key: str, revision: Revision | None = None) -> str:
        revision = revision or self.world.revision
        section_id = self.world.placements(revision)[key].section_id
        return f"/revisions/{revision.id}/sections/{section_id}/feedback"

    def count(self, model: type) -> int:
        db = self.world.db
        db.expire_all()
        return db.scalar(select(func.count()).select_from(model)) or 0


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


def tree(page: str) -> Any:
    return lxml.html.fromstring(page)


def shown(element: Any) -> str:
    """The element's text as it is seen: without the hidden words that tell screen readers
    where a change starts and ends (consult.web.change_labels)."""
    copy = lxml.html.fromstring(lxml.html.tostring(element, encoding="unicode", with_tail=False))
    for label in copy.xpath(".//*[contains(@class, 'change-label')]"):
        label.drop_tree()
    return str(copy.text_content())


def ids(page: str, xpath: str, attribute: str = "data-fb") -> set[int]:
    found: set[int] = set()
    for element in tree(page).xpath(xpath):
        found.update(int(i) for i in element.get(attribute).split())
    return found


def threads(page: str) -> set[int]:
    return ids(page, "//article[contains(@class, 'thread')]")


def marks(page: str) -> set[int]:
    return ids(page, "//mark[contains(@class, 'fb-mark')]")


def redirect_path(response: Any) -> str:
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:1500]
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def toc_counts(page: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for link in tree(page).xpath("//nav[contains(@class, 'toc')]//a"):
        section_id = int(link.get("href").removeprefix("#s-"))
        badge = link.xpath(".//span[contains(@class, 'toc-count')]")
        counts[section_id] = int(badge[0].text_content().split()[-1]) if badge else 0
    return counts


def assert_blocks_match_the_body(site: Site, page: str, revision: Revision | None = None) -> int:
    """Every block's data-start addresses its visible text in the body (TEXT.md 1):
    the block's text without inserted suggestion text equals body[start:start + len]."""
    placements = site.world.placements(revision)
    bodies = {p.section_id: p.version.body for p in placements.values()}
    checked = 0
    for section in tree(page).xpath("//section[@data-section-id]"):
        body = bodies[int(section.get("data-section-id"))]
        rendered = section.xpath(".//*[contains(@class, 'section-body')]//*[@data-start]")
        expected = blocks(body)
        assert [int(b.get("data-start")) for b in rendered] == [b.start for b in expected]
        for element in rendered:
            for skipped in element.xpath(".//*[@data-skip]"):
                skipped.drop_tree()
            text = element.text_content()
            start = int(element.get("data-start"))
            assert body[start : start + len(text)] == text, (start, text)
            checked += 1
    return checked


# --- the reading view -------------------------------------------------------------------


def test_highlights_and_threads_only_for_visible_feedback(site: Site) -> None:
    w = site.world
    w.open_round(visibility="group", groups=("a", "b"))
    mine = w.comment(w.alice, "2", "in der Kita", body="Von Alice.")
    other = w.comment(w.bob, "3", "Jobcenter", body="Von Bob.")
    suggestion = w.suggest(w.bob, "3", "mehreren", "vielen")
    whole = w.comment(w.anna, "1", None, body="Ganzer Abschnitt.")
    page = site.read(w.anna)
    assert threads(page) == {mine.id, whole.id}
    assert marks(page) == {mine.id}
    assert not tree(page).xpath("//del[contains(@class, 'sg-del')]")
    [highlight] = tree(page).xpath("//mark[contains(@class, 'fb-mark')]")
    assert highlight.text_content() == "in der Kita"
    assert "Von Bob." not in page
    page = site.read(w.editor)
    assert threads(page) == {mine.id, other.id, suggestion.id, whole.id}
    assert marks(page) == {mine.id, other.id}
    # The thread sits in the rail of its own section.
    rail = tree(page).xpath(
        f"//section[@id='s-{w.section_id('3')}']//aside[contains(@class, 'rail')]"
    )
    assert ids(lxml.html.tostring(rail[0], encoding="unicode"), "//article") == {
        other.id,
        suggestion.id,
    }
    counts = toc_counts(page)
    assert counts[w.section_id("1")] == 1 and counts[w.section_id("2")] == 1
    assert counts[w.section_id("3")] == 2 and counts[w.section_id("4")] == 0
    page = site.read(w.observer)
    assert threads(page) == set() and marks(page) == set()
    assert_blocks_match_the_body(site, site.read(w.editor))


def test_filters_and_toc_counts(site: Site) -> None:
    w = site.world
    w.open_round(visibility="round", groups=("a", "b"))
    a1 = w.comment(w.alice, "2", "in der Kita")
    a2 = w.suggest(w.alice, "3", "mehreren", "vielen")
    b1 = w.comment(w.bob, "3", "Jobcenter")
    c1 = w.comment(w.carla, "2", "Eltern")
    feedback_service.set_resolved(w.db, c1.id, actor=w.editor, resolved=True)
    everything = {a1.id, a2.id, b1.id, c1.id}
    assert threads(site.read(w.alice)) == everything
    assert threads(site.read(w.alice, query="?mine=1")) == {a1.id, a2.id}
    assert threads(site.read(w.alice, query="?status=open")) == {a1.id, a2.id, b1.id}
    assert threads(site.read(w.alice, query="?kind=comment")) == {a1.id, b1.id, c1.id}
    page = site.read(w.alice, query="?kind=suggestion")
    assert threads(page) == {a2.id}
    assert ids(page, "//del[contains(@class, 'sg-del')]") == {a2.id}
    assert marks(page) == set()
    # Working group b: bob and carla; organisation: alice's.
    assert threads(site.read(w.alice, query=f"?group={w.groups['b'].id}")) == {b1.id, c1.id}
    assert threads(site.read(w.alice, query=f"?org={w.alice.organisation_id}")) == {a1.id, a2.id}
    page = site.read(w.alice, query=f"?group={w.groups['b'].id}&status=open")
    assert threads(page) == {b1.id}
    counts = toc_counts(page)
    assert counts[w.section_id("2")] == 0 and counts[w.section_id("3")] == 1
    counts = toc_counts(site.read(w.alice))
    assert counts[w.section_id("2")] == 2 and counts[w.section_id("3")] == 2
    # Nonsense values are ignored, not errors.
    assert (
        threads(site.read(w.alice, query="?kind=<script>&group=x&org=-1&status=zu")) == everything
    )


def test_sections_carry_their_labels_links_and_depth(site: Site) -> None:
    """The per-section markup (rendered in Python, not the template): headings by depth,
    the text and rail labelled with the section title, the no-JS link to the form, and a
    hostile title escaped everywhere it appears."""
    w = site.world
    w.open_round(groups=("a",))
    w.comment(w.alice, "2.1", "Schulplatz", body="Zur Schule.")
    hostile = '<img src=x onerror="alert(1)"> & „Tür“'
    w.placements()["2.1"].version.title = hostile
    page = site.read(w.alice)
    doc = tree(page)
    sid = w.section_id("2.1")
    section = doc.xpath(f"//section[@id='s-{sid}']")[0]
    assert "depth-1" in section.get("class")
    [heading] = section.xpath(".//h3")
    assert heading.text_content() == f"2.1 {hostile}"
    body = section.xpath(".//div[contains(@class, 'section-body')]")[0]
    assert body.get("tabindex") == "0"
    assert body.get("aria-label") == f"Text von {hostile} – zum Markieren Umschalt und Pfeiltasten"
    [rail] = section.xpath(".//aside[contains(@class, 'rail')]")
    assert rail.get("aria-label") == f"Beiträge zu {hostile}"
    [link] = section.xpath(".//p[contains(@class, 'section-actions')]/a")
    assert link.get("href") == site.form_url("2.1")
    assert link.text_content() == f"Kommentieren oder Änderung vorschlagen: {hostile}"
    toc = doc.xpath(f"//nav[contains(@class, 'toc')]//a[@href='#s-{sid}']")[0]
    assert toc.text_content() == f"2.1 {hostile} – Beiträge: 1"
    assert "<img" not in page and 'onerror="' not in page
    # Sections without feedback have no rail; the top level is h2.
    top = doc.xpath(f"//section[@id='s-{w.section_id('1')}']")[0]
    assert top.xpath(".//h2") and not top.xpath(".//aside")
    # Observers (not invited) read without the selection labels and links.
    page = site.read(w.observer)
    assert "section-actions" not in page and 'tabindex="0"' not in page


def test_suggestions_render_as_del_and_ins(site: Site) -> None:
    w = site.world
    w.open_round()
    replace = w.suggest(w.bob, "3", "mehreren", "vielen")
    at = w.body("2").index(" in der Kita")
    insert = w.suggest(w.alice, "2", "", " schon", at=at)
    delete = w.suggest(w.anna, "2", " früh", "")
    page = tree(site.read(w.alice))
    [deleted] = page.xpath(f"//del[contains(@class, 'sg-del')][@data-fb='{replace.id}']")
    assert shown(deleted) == "mehreren"
    inserted = deleted.getnext()
    assert inserted.tag == "ins" and "sg-ins" in inserted.get("class")
    assert inserted.get("data-skip") == "1" and shown(inserted) == "vielen"
    [point] = page.xpath(f"//ins[@data-fb='{insert.id}']")
    assert shown(point) == " schon" and point.get("data-skip") == "1"
    assert shown(page.xpath(f"//del[@data-fb='{delete.id}']")[0]) == " früh"
    assert not page.xpath(f"//ins[@data-fb='{delete.id}']")
    # Screen readers hear where each starts and ends; the words are hidden on screen and
    # left out of the offset count (data-skip).
    assert deleted.text_content() == "vorgeschlagene Streichung: mehreren (Ende der Streichung)"
    assert inserted.text_content() == "vorgeschlagene Einfügung: vielen (Ende der Einfügung)"
    for label in page.xpath(
        "//*[contains(@class, 'section-body')]//*[contains(@class, 'change-label')]"
    ):
        assert "visually-hidden" in label.get("class") and label.get("data-skip") == "1"
    # The rail shows each suggestion as a word diff of quote and replacement.
    preview = page.xpath(f"//article[@id='fb-{replace.id}']//*[contains(@class, 'sg-preview')]")[0]
    assert shown(preview.xpath(".//del")[0]) == "mehreren"
    assert shown(preview.xpath(".//ins")[0]) == "vielen"
    assert preview.xpath(".//del")[0].text_content() == "gestrichen: mehreren (Ende der Streichung)"
    assert preview.xpath(".//ins")[0].text_content() == "eingefügt: vielen (Ende der Einfügung)"
    assert_blocks_match_the_body(site, site.read(w.alice))


def test_every_suggestion_is_shown_once_even_across_paragraphs(site: Site) -> None:
    # A selection by triple click ends at the start of the next paragraph.
    w = site.world
    w.open_round()
    body = w.body("2")
    second = body.index("Schulen")
    paragraph = service_anchor(body, 0, second)
    whole = feedback_service.create_suggestion(
        w.db,
        w.revision.id,
        w.section_id("2"),
        actor=w.alice,
        anchor=paragraph,
        replacement="Sprache von Anfang an.\n\n",
    )
    gap = feedback_service.create_suggestion(
        w.db,
        w.revision.id,
        w.section_id("2"),
        actor=w.bob,
        anchor={"start": second - 1, "end": second - 1, "quote": ""},
        replacement="Neuer Absatz.\n\n",
    )
    list_body = w.body("2.1")
    item = list_body.index("Seiteneinsteiger")
    across = feedback_service.create_suggestion(
        w.db,
        w.revision.id,
        w.section_id("2.1"),
        actor=w.anna,
        anchor=service_anchor(list_body, list_body.index("drei"), item),
        replacement="sechs Wochen einen Schulplatz.\n- ",
    )
    page = site.read(w.editor)
    for suggestion in (whole, gap, across):
        inserted = tree(page).xpath(f"//ins[@data-fb='{suggestion.id}']")
        assert len(inserted) == 1, suggestion.id
        assert shown(inserted[0]) == suggestion.replacement
    assert_blocks_match_the_body(site, page)


def service_anchor(body: str, start: int, end: int) -> dict[str, Any]:
    return {"start": start, "end": end, "quote": body[start:end]}


def test_blocks_keep_their_offsets_under_dense_highlights(site: Site) -> None:
    w = site.world
    w.open_round()
    body = w.body("4")
    emoji = body.index("👨")
    w.comment(w.alice, "4", "Willkommen 👨\u200d👩\u200d👧 und")
    w.comment(w.anna, "4", "👨\u200d👩\u200d👧 und Café q\u0307")
    w.suggest(w.bob, "4", "Café", "Kaffee <b>&amp;</b>")
    w.suggest(w.carla, "4", "", "🙂 ", at=emoji)
    w.comment(w.alice, "4", "Sprachkurse für alle Familien.")
    w.suggest(w.anna, "4", "alle", "alle, auch neu zugezogene,")
    w.comment(w.bob, "2", "Sprachförderung beginnt in der Kita. Eltern")
    w.comment(w.carla, "2", "Kita. Eltern werden früh beteiligt.\n\nSchulen")
    w.suggest(w.alice, "2.1", "drei Monaten", "sechs Wochen")
    w.comment(w.bob, "2.1", "Schulplatz.\n- Seiteneinsteiger")
    page = site.read(w.editor)
    assert assert_blocks_match_the_body(site, page) >= 8
    assert len(tree(page).xpath("//mark[contains(@class, 'fb-mark')]")) >= 6
    # The suggested "<b>" is text, not markup.
    assert "Kaffee &lt;b&gt;&amp;amp;&lt;/b&gt;" in page


def test_reanchored_feedback_in_a_later_revision(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = site.world
    w.open_round()
    moved = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    orphaned = w.comment(w.anna, "2.1", "drei Monaten", body="Zu lang.")
    gone = w.comment(w.carla, "5", "Monitoring", body="Wer berichtet?")
    second = w.new_revision()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reading view must not re-anchor (publishing did)")

    monkeypatch.setattr(feedback_locations, "relocate_many", refuse)
    page = site.read(w.editor, second)
    [highlight] = tree(page).xpath(f"//mark[@data-fb='{moved.id}']")
    assert highlight.text_content() == "Sprachförderung beginnt in der Kita."
    outdated = tree(page).xpath(f"//article[@id='fb-{orphaned.id}']")[0]
    assert "outdated" in outdated.get("class") and "drei Monaten" in outdated.text_content()
    assert not tree(page).xpath(f"//mark[@data-fb='{orphaned.id}']")
    # The deleted section's feedback is listed at the end, marked as outdated.
    [gone_thread] = tree(page).xpath(
        f"//section[contains(@class, 'gone')]//article[@id='fb-{gone.id}']"
    )
    assert "Monitoring" in gone_thread.text_content() and "outdated" in gone_thread.get("class")
    assert_blocks_match_the_body(site, page, second)


# --- forms without JavaScript -------------------------------------------------------------


def test_form_page_offers_sentences_and_saves_a_sentence_comment(site: Site) -> None:
    w = site.world
    w.open_round()
    url = site.form_url("2")
    page = tree(site.get(w.alice, url))
    options = {
        o.get("value"): o.text_content() for o in page.xpath("//select[@name='sentence']/option")
    }
    body = w.body("2")
    first = "Sprachförderung beginnt in der Kita."
    value = f"0:{len(first)}"
    assert options[value] == first and "Schulen öffnen sich für Vereine." in options.values()
    response = site.post(w.alice, url, {"kind": "comment", "sentence": value, "body": "Gut."})
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and item.author_id == w.alice.id
    assert redirect_path(response) == f"/revisions/{w.revision.id}#fb-{item.id}"
    assert (item.anchor_start, item.anchor_end, item.quote) == (0, len(first), first)
    assert body.startswith(first)
    assert "Ihr Beitrag ist gespeichert." in site.read(w.alice)


def test_form_with_a_typed_quote(site: Site) -> None:
    w = site.world
    w.open_round()
    url = site.form_url("5")
    before = site.count(Feedback)
    for quote, message in (
        ("jährlich", "mehrfach"),
        ("wöchentlich", "nicht im abschnitt"),
    ):
        response = site.post(w.alice, url, {"kind": "comment", "quote": quote, "body": "x"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True).lower()
    assert site.count(Feedback) == before
    response = site.post(
        w.alice, url, {"kind": "comment", "quote": "berichtet jährlich", "body": "Wem?"}
    )
    redirect_path(response)
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and item.quote == "berichtet jährlich" and item.body == "Wem?"
    # A suggestion by quote.
    response = site.post(
        w.alice,
        url,
        {
            "kind": "suggestion",
            "quote": "Monitoring",
            "replacement": "Bericht",
            "reason": "Deutsch.",
        },
    )
    redirect_path(response)
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and (item.kind, item.quote, item.replacement, item.body) == (
        "suggestion",
        "Monitoring",
        "Bericht",
        "Deutsch.",
    )


def test_form_for_the_whole_section(site: Site) -> None:
    w = site.world
    w.open_round()
    response = site.post(w.bob, site.form_url("3"), {"kind": "comment", "body": "Insgesamt gut."})
    redirect_path(response)
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and item.anchor_start is None and item.body == "Insgesamt gut."
    # A suggestion needs a place; an empty comment is refused.
    before = site.count(Feedback)
    for data in (
        {"kind": "suggestion", "replacement": "Neu."},
        {"kind": "comment", "body": ""},
        {"kind": "comment", "sentence": "0:99999", "body": "x"},
    ):
        assert site.post(w.bob, site.form_url("3"), data).status_code == 422
    assert site.count(Feedback) == before


def test_the_javascript_path_with_hidden_offsets(site: Site) -> None:
    w = site.world
    w.open_round()
    body = w.body("4")
    start = body.index("Sprachkurse")
    data = {
        "kind": "suggestion",
        "start": str(start),
        "end": str(start + len("Sprachkurse")),
        "selected": "Sprachkurse",
        "replacement": "Deutschkurse",
        "reason": "",
    }
    redirect_path(site.post(w.anna, site.form_url("4"), data))
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and (item.anchor_start, item.quote, item.replacement) == (
        start,
        "Sprachkurse",
        "Deutschkurse",
    )
    before = site.count(Feedback)
    # UTF-16 offsets (a script that forgot the conversion) do not match: 422.
    utf16 = len(body[:start].encode("utf-16-le")) // 2
    bad = {**data, "start": str(utf16), "end": str(utf16 + 11)}
    response = site.post(w.anna, site.form_url("4"), bad)
    assert response.status_code == 422
    assert "stimmt nicht" in response.get_data(as_text=True)
    # A comment via the hidden fields.
    comment = {"kind": "comment", "start": "0", "end": "9", "selected": body[:9], "body": "Gut."}
    assert site.count(Feedback) == before
    redirect_path(site.post(w.anna, site.form_url("4"), comment))


def test_after_close_the_page_says_so_before_anyone_types(site: Site) -> None:
    w = site.world
    round_ = w.open_round()
    url = site.form_url("2")
    assert tree(site.get(w.alice, url)).xpath("//form[@method='post']//textarea[@name='body']")
    assert tree(site.read(w.alice)).xpath("//article[@data-can-annotate]")
    round_service.close_round(w.db, round_.id, actor=w.editor)
    page = site.read(w.alice)
    assert "Die Runde ist beendet. Neue Kommentare und Vorschläge sind nicht mehr möglich." in page
    assert not tree(page).xpath("//article[@data-can-annotate]")
    assert f'href="{url}"' not in page
    form_page = site.get(w.alice, url)
    assert "notice-warning" in form_page and "beendet" in form_page
    assert not tree(form_page).xpath("//textarea[@name='body']")
    before = site.count(Feedback)
    response = site.post(w.alice, url, {"kind": "comment", "body": "Zu spät?"})
    assert response.status_code == 409
    assert site.count(Feedback) == before
    # After an extension the form is back.
    round_service.extend_round(
        w.db,
        round_.id,
        actor=w.editor,
        closes_at=utcnow() + timedelta(days=2),
        reason="Nachfrist.",
        notify=False,
    )
    redirect_path(site.post(w.alice, url, {"kind": "comment", "body": "Jetzt."}))


def test_uninvited_people_get_no_form(site: Site) -> None:
    w = site.world
    w.open_round(groups=("a",))
    assert site.get(w.bob, site.form_url("2"), 404)
    page = site.get(w.observer, site.form_url("2"))
    assert "notice-warning" in page and not tree(page).xpath("//textarea[@name='body']")
    response = site.post(w.observer, site.form_url("2"), {"kind": "comment", "body": "x"})
    assert response.status_code == 403


# --- replies and moderation -------------------------------------------------------------


def test_reply_resolve_withdraw_and_edit(site: Site) -> None:
    w = site.world
    round_ = w.open_round()
    item = w.comment(w.alice, "2", "Kita", body="Erster Gedanke.")
    rid = w.revision.id
    response = site.post(
        w.bob, f"/feedback/{item.id}/reply", {"body": "Sehe ich auch so.", "revision_id": rid}
    )
    assert redirect_path(response) == f"/revisions/{rid}#fb-{item.id}"
    assert site.count(Reply) == 1
    thread = tree(site.read(w.alice)).xpath(f"//article[@id='fb-{item.id}']")[0]
    assert "Sehe ich auch so." in thread.text_content()
    # An empty reply is refused with a message on the reply page, nothing stored.
    response = site.post(w.bob, f"/feedback/{item.id}/reply", {"body": "", "revision_id": rid})
    assert response.status_code == 422
    assert "error-summary" in response.get_data(as_text=True)
    assert site.count(Reply) == 1
    # Resolve (editor), reopen (author); others may not.
    redirect_path(site.post(w.editor, f"/feedback/{item.id}/resolve", {"revision_id": rid}))
    w.db.expire_all()
    assert w.db.get(Feedback, item.id).status == "resolved"  # type: ignore[union-attr]
    assert site.post(w.bob, f"/feedback/{item.id}/reopen", {}).status_code == 403
    redirect_path(site.post(w.alice, f"/feedback/{item.id}/reopen", {"revision_id": rid}))
    w.db.expire_all()
    assert w.db.get(Feedback, item.id).status == "open"  # type: ignore[union-attr]
    # Edit: the form shows the text; saving keeps the old one.
    edit_page = tree(site.get(w.alice, f"/feedback/{item.id}/edit"))
    assert (
        edit_page.xpath("//textarea[@name='body']")[0].text_content().strip() == "Erster Gedanke."
    )
    assert site.get(w.bob, f"/feedback/{item.id}/edit", 403)  # no form for others
    assert site.post(w.bob, f"/feedback/{item.id}/edit", {"body": "Übernommen."}).status_code == 403
    redirect_path(site.post(w.alice, f"/feedback/{item.id}/edit", {"body": "Zweiter Gedanke."}))
    w.db.expire_all()
    assert w.db.get(Feedback, item.id).body == "Zweiter Gedanke."  # type: ignore[union-attr]
    assert [e.body for e in w.db.scalars(select(FeedbackEdit))] == ["Erster Gedanke."]
    # Withdraw: gone for others, kept for the author and the editors.
    assert site.post(w.bob, f"/feedback/{item.id}/withdraw", {}).status_code == 403
    redirect_path(
        site.post(w.alice, f"/feedback/{item.id}/withdraw", {"revision_id": rid, "confirmed": "1"})
    )
    assert item.id not in threads(site.read(w.bob))
    assert item.id in threads(site.read(w.alice)) and item.id in threads(site.read(w.editor))
    assert not tree(site.read(w.editor)).xpath(f"//mark[@data-fb='{item.id}']")
    # After the round: participants cannot reply, editors can.
    other = w.comment(w.bob, "3", "Jobcenter")
    round_service.close_round(w.db, round_.id, actor=w.editor)
    assert site.post(w.alice, f"/feedback/{other.id}/reply", {"body": "Spät."}).status_code == 409
    redirect_path(
        site.post(w.editor, f"/feedback/{other.id}/reply", {"body": "Danke.", "revision_id": rid})
    )
    assert site.count(Reply) == 2


def test_the_reply_page_is_the_no_javascript_path(site: Site) -> None:
    """Threads link to a reply page (no text area per thread on the reading view);
    it shows the thread and the form to those who may answer now, and says why not
    to the others."""
    w = site.world
    round_ = w.open_round(groups=("a", "b"))
    item = w.comment(w.alice, "2", "Kita", body="Erster Gedanke.")
    w.db.add(Reply(feedback_id=item.id, author_id=w.editor.id, body="Wir prüfen das."))
    rid = w.revision.id
    url = f"/feedback/{item.id}/reply?revision_id={rid}"
    reading = site.read(w.bob)
    assert not tree(reading).xpath("//article[contains(@class, 'thread')]//textarea")
    assert tree(reading).xpath("//template[@id='reply-form-template']//textarea[@name='body']")
    page = tree(site.get(w.bob, url))
    assert page.xpath("//blockquote")[0].text_content() == "„Kita“"
    assert "Erster Gedanke." in page.text_content() and "Wir prüfen das." in page.text_content()
    [form] = page.xpath("//form[@method='post' and .//textarea[@name='body']]")
    assert form.xpath(".//input[@name='revision_id']/@value") == [str(rid)]
    assert page.xpath("//label[@for='body']")
    response = site.post(w.bob, url, {"body": "Sehe ich auch so.", "revision_id": rid})
    assert redirect_path(response) == f"/revisions/{rid}#fb-{item.id}"
    # Once the round is closed: the page says so, and a reply is refused (409).
    round_service.close_round(w.db, round_.id, actor=w.editor)
    page = tree(site.get(w.bob, url))
    assert page.xpath("//p[contains(@class, 'notice-warning')]")
    assert not page.xpath("//textarea")
    assert site.post(w.bob, url, {"body": "Zu spät."}).status_code == 409
    # The editor may still answer; people who cannot see the thread find nothing.
    assert tree(site.get(w.editor, url)).xpath("//textarea[@name='body']")
    site.get(w.outsider, url, 404)
    assert site.count(Reply) == 2


@pytest.mark.parametrize("kind", ["comment", "suggestion"])
def test_only_the_author_gets_the_edit_form(site: Site, kind: str) -> None:
    """Colleagues who see the item, the editors and the admins could not save an edit
    (403): they get no form either. The author gets it, with the text to change."""
    w = site.world
    w.open_round(visibility="group", groups=("a", "b"))
    if kind == "comment":
        item = w.comment(w.alice, "2", "Kita", body="Erster Gedanke.")
    else:
        item = w.suggest(w.alice, "2", "Kita", "Kindertagesstätte")
    url = f"/feedback/{item.id}/edit"
    colleague = w.users["anna"]  # in the author's working group: sees the item
    assert item.id in threads(site.read(colleague))
    for reader in (colleague, w.editor, w.admin):
        page = site.get(reader, url, 403)
        assert not tree(page).xpath("//form[@method='post']//textarea")
        assert "Nur die Verfasserin oder der Verfasser" in tree(page).text_content()
        response = site.post(reader, url, {"body": "Übernommen.", "replacement": "Kita"})
        assert response.status_code == 403
    site.get(w.users["bob"], url, 404)  # not in the group: the item is not there for him
    own = tree(site.get(w.alice, url))
    assert own.xpath("//form[@method='post']//textarea[@name='body']")
    assert bool(own.xpath("//textarea[@name='replacement']")) == (kind == "suggestion")
    assert site.count(FeedbackEdit) == 0


def test_thread_actions_match_the_rights(site: Site) -> None:
    w = site.world
    w.open_round()
    item = w.comment(w.alice, "2", "Kita")
    own = tree(site.read(w.alice)).xpath(f"//article[@id='fb-{item.id}']")[0]
    assert own.xpath(".//a[contains(@href, '/edit')]") and own.xpath(
        ".//form[contains(@action, '/withdraw')]"
    )
    reply_link = f"/feedback/{item.id}/reply?revision_id={w.revision.id}"
    assert own.xpath(f".//a[@data-reply-to='{item.id}']/@href") == [reply_link]
    other = tree(site.read(w.bob)).xpath(f"//article[@id='fb-{item.id}']")[0]
    assert not other.xpath(".//a[contains(@href, '/edit')]")
    assert not other.xpath(".//form[contains(@action, '/withdraw')]")
    assert not other.xpath(".//form[contains(@action, '/resolve')]")
    assert other.xpath(f".//a[@data-reply-to='{item.id}']/@href") == [reply_link]
    editor = tree(site.read(w.editor)).xpath(f"//article[@id='fb-{item.id}']")[0]
    assert editor.xpath(".//form[contains(@action, '/resolve')]")


# --- XSS ------------------------------------------------------------------------------------

SCRIPT = '<script>alert("xss")</script>'
HANDLER = '<img src=x onerror="alert(1)">'
LINK = '<a href="javascript:alert(2)">klick</a>'
SVG = "<svg onload=alert(3)>"
BARE = "javascript:alert(4)"
PAYLOAD = f"Vorher {SCRIPT} {HANDLER} {LINK} {SVG} {BARE} \"'><b onmouseover=alert(5)>x</b>"
#: Raw markup that must never appear (each opens a tag; escaped text has "&lt;" instead).
RAW_PIECES = (SCRIPT, "<img", "<svg", '<a href="javascript', "<b onmouseover")


def assert_safe(page: str) -> None:
    """No script but the app's own files, no event handler, no javascript: URL."""
    root = tree(page)
    for script in root.iter("script"):
        assert (script.get("src") or "").startswith("/static/"), lxml.html.tostring(script)
        assert not (script.text or "").strip()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("img", "svg", "iframe", "object", "embed", "style", "b")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
    for piece in RAW_PIECES:
        assert piece not in page, piece


def test_hostile_feedback_never_reaches_a_page_unescaped(site: Site) -> None:
    w = site.world
    round_ = w.open_round(visibility="round")
    comment = w.comment(w.alice, "2", "Kita", body=PAYLOAD)
    suggestion = w.suggest(w.bob, "3", "mehreren", PAYLOAD, reason=PAYLOAD)
    insertion = w.suggest(w.carla, "2", "", PAYLOAD, at=0)
    whole = w.comment(w.anna, "1", None, body=PAYLOAD)
    feedback_service.reply(w.db, comment.id, actor=w.bob, body=PAYLOAD, notify=False)
    feedback_service.reply(w.db, whole.id, actor=w.editor, body=PAYLOAD, notify=False)
    round_.description = PAYLOAD
    round_service.extend_round(
        w.db,
        round_.id,
        actor=w.editor,
        closes_at=round_.closes_at + timedelta(days=1),
        reason=PAYLOAD,
    )
    pages = {
        "reading (editor)": site.read(w.editor),
        "reading (participant)": site.read(w.anna),
        "reading (filtered)": site.read(w.anna, query="?kind=suggestion"),
        "round": site.get(w.editor, f"/rounds/{round_.id}"),
        "round (participant)": site.get(w.alice, f"/rounds/{round_.id}"),
        "edit comment": site.get(w.alice, f"/feedback/{comment.id}/edit"),
        "edit suggestion": site.get(w.bob, f"/feedback/{suggestion.id}/edit"),
        "form": site.get(w.alice, site.form_url("2")),
        "reply page": site.get(w.alice, f"/feedback/{comment.id}/reply"),
        "reply page (suggestion)": site.get(w.editor, f"/feedback/{suggestion.id}/reply"),
    }
    # A refused form submission shows the hostile text again, in the textarea.
    refused = site.post(
        w.alice,
        site.form_url("2"),
        {"kind": "comment", "quote": PAYLOAD, "body": PAYLOAD, "replacement": PAYLOAD},
    )
    assert refused.status_code == 422
    pages["form (refused)"] = refused.get_data(as_text=True)
    refused = site.post(w.alice, f"/feedback/{comment.id}/edit", {"body": ""})
    pages["edit (refused)"] = refused.get_data(as_text=True)
    refused = site.post(w.alice, f"/feedback/{comment.id}/reply", {"body": PAYLOAD * 2000})
    assert refused.status_code == 422
    pages["reply (refused)"] = refused.get_data(as_text=True)
    for name, page in pages.items():
        try:
            assert_safe(page)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    # The text is there, escaped: readers see exactly what was written.
    reading = tree(pages["reading (editor)"])
    body = reading.xpath(f"//article[@id='fb-{comment.id}']//*[contains(@class, 'thread-body')]")[0]
    assert body.text_content() == PAYLOAD
    [inserted] = reading.xpath(f"//ins[@data-fb='{suggestion.id}']")
    assert shown(inserted) == PAYLOAD and inserted.get("data-skip") == "1"
    assert shown(reading.xpath(f"//ins[@data-fb='{insertion.id}']")[0]) == PAYLOAD
    assert assert_blocks_match_the_body(site, pages["reading (editor)"]) > 0
    round_page = tree(pages["round"])
    assert PAYLOAD in round_page.text_content()
    assert not round_page.xpath("//a[starts-with(@href, 'javascript')]")


def test_hostile_input_through_the_forms(site: Site) -> None:
    w = site.world
    w.open_round()
    redirect_path(
        site.post(
            w.alice, site.form_url("2"), {"kind": "comment", "quote": "Kita", "body": PAYLOAD}
        )
    )
    w.db.expire_all()
    item = w.db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert item is not None and item.body == PAYLOAD
    redirect_path(
        site.post(
            w.bob, f"/feedback/{item.id}/reply", {"body": PAYLOAD, "revision_id": w.revision.id}
        )
    )
    for user in (w.alice, w.bob, w.editor):
        assert_safe(site.read(user))
