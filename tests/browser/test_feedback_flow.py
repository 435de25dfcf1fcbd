"""Issue 4 in a real browser: participants select text with the mouse or the keyboard,
comment and suggest changes; anchors are exact in code points, also after an emoji; a
closed round takes no more feedback.

The first test works on the demo's open round (Fassung 2, revision id 2) as the
Caritas participant; the others set up their own consultation through the API, so the
tests do not depend on their order although they share one live server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import (
    SLOW_COOKIE,
    LiveServer,
    axe_check,
    confirm_in_dialog,
    screenshot,
    shown_texts,
    submit,
)

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")
CARITAS = ("caritas@consult.example", "Demo-Caritas-2026")
ASSOCIATION = ("kulturverein@consult.example", "Demo-Verein-2026")
POLICE = ("polizei@consult.example", "Demo-Polizei-2026")
#: The demo's Fassung 2, on which a round is open for the working groups.
DEMO_REVISION = 2

SAVED = "Ihr Beitrag ist gespeichert."
ROUND_OVER = "Die Runde ist beendet. Neue Kommentare und Vorschläge sind nicht mehr möglich."

# Emoji (one with a zero-width joiner), a combining mark that has no precomposed form
# (n + U+0308 stays two code points under NFC) and Arabic before the anchored words.
EMOJI_DRAFT = """# 1 Leitbild

Wir 😀 begrüßen Vielfalt im Kreis.

Familien 👨‍👩‍👧 und Vereine aus Spin\u0308al Tap – مرحبا بكم – gestalten mit.
"""


# --- helpers -------------------------------------------------------------------------


def log_in(page: Page, live_server: LiveServer, email: str, password: str) -> None:
    page.goto("/login")
    axe_check(page)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")
    axe_check(page)


def log_in_without_javascript(page: Page, email: str, password: str) -> None:
    """Log in in a profile without JavaScript (axe needs JavaScript: no check here)."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def csrf_token(page: Page) -> str:
    """The session's CSRF token from the current page (every page has the log-out form)."""
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return token


def api(page: Page, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    """Call the JSON API with the page's session cookie; fail on any error status."""
    headers = {"X-CSRFToken": csrf_token(page)} if method != "GET" else {}
    response: APIResponse = page.request.fetch(
        "/api/v1" + path, method=method, data=data, headers=headers
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def open_reading_view(page: Page, revision_id: int) -> None:
    page.goto(f"/revisions/{revision_id}")
    expect(page.locator(".document")).to_be_visible()
    axe_check(page)


def section_by_title(page: Page, title: str) -> Locator:
    return page.locator(".doc-section").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


_WORD_BOX = """(body, [word, nth]) => {
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let seen = 0;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let i = n.data.indexOf(word);
    while (i >= 0) {
      if (seen === nth) {
        const range = document.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + word.length);
        const rects = range.getClientRects();
        const r = rects[0];
        return {x: r.left, y: r.top, width: r.width, height: r.height, lines: rects.length};
      }
      seen += 1;
      i = n.data.indexOf(word, i + 1);
    }
  }
  return null;
}"""


def word_box(body: Locator, word: str, nth: int = 0) -> dict[str, float]:
    body.scroll_into_view_if_needed()
    box = body.evaluate(_WORD_BOX, [word, nth])
    assert box is not None, f"{word!r} not in {body}"
    assert box["lines"] == 1, f"{word!r} wraps; pick a shorter word"
    return box  # type: ignore[no-any-return]


def drag_select(page: Page, body: Locator, word: str, nth: int = 0) -> None:
    """Select ``word`` with the mouse: press inside its first letter, drag to its last."""
    box = word_box(body, word, nth)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=3)
    page.mouse.move(box["x"] + box["width"] - 1, y, steps=3)
    page.mouse.up()
    assert page.evaluate("() => window.getSelection().toString()") == word


def double_click_word(page: Page, body: Locator, word: str) -> None:
    box = word_box(body, word)
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.evaluate("() => window.getSelection().toString()").strip() == word


def toolbar(page: Page) -> Locator:
    return page.get_by_role("toolbar", name="Markierte Textstelle")


def feedback_id_from_url(page: Page) -> int:
    match = re.search(r"#fb-(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def save_annotation(page: Page, button: Locator, revision_id: int, press: str = "") -> int:
    """Send the inline form (click, or a key press on the focused button); the id it made.

    The form is sent by script (static/js/annotate.js); once stored, the page loads
    again at the new thread, which has the focus, and the live region says it was saved.
    """
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/feedback")
    ) as info:
        if press:
            expect(button).to_be_focused()
            page.keyboard.press(press)
        else:
            button.click()
    assert info.value.status == 201  # (its body is gone with the page that asked)
    expect(page).to_have_url(re.compile(rf"/revisions/{revision_id}#fb-\d+$"))
    feedback_id = feedback_id_from_url(page)
    expect(thread_of(page, feedback_id)).to_be_visible()  # the page loaded again
    expect(page.locator(".flash-success")).to_have_text(SAVED)
    expect(page.locator(f"#fbh-{feedback_id}")).to_be_focused()
    expect(page.locator("#reading-status")).to_have_text(SAVED)
    return feedback_id


def body_of(page: Page, revision_id: int, section_id: int) -> str:
    revision = api(page, "GET", f"/revisions/{revision_id}")
    body: str = next(s["body"] for s in revision["sections"] if s["section_id"] == section_id)
    return body


def stored(page: Page, revision_id: int, feedback_id: int) -> dict[str, Any]:
    """The feedback item as the JSON API returns it for the reading revision."""
    data = api(page, "GET", f"/revisions/{revision_id}/feedback")
    items = [*data["comments"], *data["suggestions"]]
    found: list[dict[str, Any]] = [item for item in items if item["id"] == feedback_id]
    assert len(found) == 1, f"feedback {feedback_id} not visible: {[i['id'] for i in items]}"
    return found[0]


def assert_anchor(page: Page, revision_id: int, feedback_id: int, quote: str) -> dict[str, Any]:
    item = stored(page, revision_id, feedback_id)
    body = body_of(page, revision_id, item["section_id"])
    origin = item["origin_anchor"]
    assert origin["quote"] == quote
    assert body[origin["start"] : origin["end"]] == quote
    assert item["anchor"] == {**origin, "state": "exact"}
    return item


def mark_of(page: Page, feedback_id: int) -> Locator:
    return page.locator(f'mark.fb-mark[data-fb~="{feedback_id}"]')


def thread_of(page: Page, feedback_id: int) -> Locator:
    return page.locator(f"aside.rail #fb-{feedback_id}")


# --- fixtures ------------------------------------------------------------------------


def _new_context(browser: Browser, live_server: LiveServer) -> BrowserContext:
    """A browser profile like conftest's ``context`` (German, same viewport)."""
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    ctx.set_default_timeout(10_000)
    return ctx


@pytest.fixture(scope="module")
def editor_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """The editor, logged in once for this module, in a browser profile of their own."""
    ctx = _new_context(browser, live_server)
    page = ctx.new_page()
    log_in(page, live_server, *EDITOR)
    yield page
    ctx.close()


@pytest.fixture
def consultation_with_round(
    editor_page: Page,
) -> Callable[[str, int], dict[str, int]]:
    """Make a consultation with a published draft and an open round for one participant.

    Everything goes through the JSON API with the editor's session (cookie + CSRF header).
    """

    def make(markdown: str, participant_id: int) -> dict[str, int]:
        page = editor_page
        page.goto("/")
        consultation = api(page, "POST", "/consultations", {"title": "Leitbild Vielfalt 😀"})
        cid = consultation["id"]
        revision = api(page, "POST", f"/consultations/{cid}/revisions", {"markdown": markdown})
        api(page, "POST", f"/revisions/{revision['id']}/publish")
        group = api(page, "POST", f"/consultations/{cid}/working-groups", {"name": "AK Vielfalt"})
        api(
            page,
            "PUT",
            f"/consultations/{cid}/members/{participant_id}",
            {"role": "participant", "working_group_ids": [group["id"]]},
        )
        now = datetime.now(UTC)
        round_ = api(
            page,
            "POST",
            f"/consultations/{cid}/rounds",
            {
                "revision_id": revision["id"],
                "title": "Runde Vielfalt",
                "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=7)).isoformat(),
                "working_group_ids": [group["id"]],
                "visibility": "round",
            },
        )
        assert round_["status"] == "open"
        return {"consultation": cid, "revision": revision["id"], "round": round_["id"]}

    return make


# --- tests ---------------------------------------------------------------------------


def test_mouse_and_keyboard_comments_and_a_suggestion_are_highlighted(
    page: Page, live_server: LiveServer
) -> None:
    log_in(page, live_server, *CARITAS)
    open_reading_view(page, DEMO_REVISION)
    expect(page.locator(".round-banner.is-open")).to_contain_text(
        "2. Stufe: Arbeitskreise und Kommunen"
    )
    expect(toolbar(page)).to_be_hidden()

    # (1) Mouse: drag across a word, "Kommentieren", type, save.
    work = section_by_title(page, "3.2 Arbeit und Ausbildung")
    work_body = work.locator(".section-body")
    drag_select(page, work_body, "Anerkennungsverfahren")
    expect(toolbar(page)).to_be_visible()
    toolbar(page).get_by_role("button", name="Kommentieren").click()
    form = work.locator("form.annotate-form")
    expect(form.get_by_role("heading")).to_have_text("Kommentar zu „Anerkennungsverfahren“")
    expect(form.get_by_label("Kommentar")).to_be_focused()
    expect(form.get_by_label("Neuer Text")).to_have_count(0)
    form.get_by_label("Kommentar").fill("Wie lange dauert es heute im Durchschnitt?")
    mouse_id = save_annotation(page, form.get_by_role("button", name="Speichern"), DEMO_REVISION)

    expect(mark_of(page, mouse_id)).to_have_text("Anerkennungsverfahren")
    expect(thread_of(page, mouse_id)).to_contain_text("Wie lange dauert es heute im Durchschnitt?")
    expect(thread_of(page, mouse_id).locator(".thread-quote")).to_have_text(
        "„Anerkennungsverfahren“"
    )
    item = assert_anchor(page, DEMO_REVISION, mouse_id, "Anerkennungsverfahren")
    assert item["kind"] == "comment"
    assert item["author"]["name"] == "Jonas Becker"
    assert item["body"] == "Wie lange dauert es heute im Durchschnitt?"

    # (2) Keyboard only: tab into a section's text (it follows the section's link in
    # reverse tab order), select with (Ctrl+)Shift+arrows, Tab to "Kommentieren", type,
    # Tab to "Speichern", Enter.
    offers = section_by_title(page, "2.2 Bestehende Angebote")
    offers_body = offers.locator(".section-body")
    offers.get_by_role("link", name=re.compile("^Kommentieren oder Änderung vorschlagen")).focus()
    page.keyboard.press("Shift+Tab")
    expect(offers_body).to_be_focused()
    page.keyboard.press("Control+ArrowRight")  # caret after "Im"
    page.keyboard.press("Control+ArrowRight")  # caret after "Kreis"
    page.keyboard.press("Control+Shift+ArrowRight")  # " arbeiten"
    for _ in " bereits":
        page.keyboard.press("Shift+ArrowRight")
    expect(toolbar(page)).to_be_visible()
    assert page.evaluate("() => window.getSelection().toString()") == " arbeiten bereits"
    page.keyboard.press("Tab")
    expect(toolbar(page).get_by_role("button", name="Kommentieren")).to_be_focused()
    page.keyboard.press("Enter")
    form = offers.locator("form.annotate-form")
    expect(form.get_by_role("heading")).to_have_text("Kommentar zu „arbeiten bereits“")
    expect(form.get_by_label("Kommentar")).to_be_focused()
    page.keyboard.type("Welche Stellen genau? Bitte eine Liste anhängen.")
    page.keyboard.press("Tab")
    keyboard_id = save_annotation(
        page, form.get_by_role("button", name="Speichern"), DEMO_REVISION, press="Enter"
    )
    expect(mark_of(page, keyboard_id)).to_have_text("arbeiten bereits")
    expect(thread_of(page, keyboard_id)).to_contain_text(
        "Welche Stellen genau? Bitte eine Liste anhängen."
    )
    assert_anchor(page, DEMO_REVISION, keyboard_id, "arbeiten bereits")

    # (3) A suggestion: select a word, "Änderung vorschlagen", live word diff, save.
    reports = section_by_title(page, "4.2 Berichterstattung")
    double_click_word(page, reports.locator(".section-body"), "jährlich")
    toolbar(page).get_by_role("button", name="Änderung vorschlagen").click()
    form = reports.locator("form.annotate-form")
    expect(form.get_by_role("heading")).to_have_text("Änderungsvorschlag zu „jährlich“")
    replacement = form.get_by_label("Neuer Text")
    expect(replacement).to_be_focused()
    expect(replacement).to_have_value("jährlich")
    expect(form.get_by_label("Kommentar")).to_have_count(0)
    replacement.fill("halbjährlich")
    live = form.locator(".live-diff")
    expect(live.locator("ins")).to_have_count(1)
    assert shown_texts(live.locator("del")) == ["jährlich"]
    assert shown_texts(live.locator("ins")) == ["halbjährlich"]
    form.get_by_label("Begründung").fill("Einmal im Jahr ist zu selten.")
    axe_check(page)
    suggestion_id = save_annotation(
        page, form.get_by_role("button", name="Speichern"), DEMO_REVISION
    )
    assert shown_texts(page.locator(f'del.sg-del[data-fb~="{suggestion_id}"]')) == ["jährlich"]
    assert shown_texts(page.locator(f'ins.sg-ins[data-fb="{suggestion_id}"]')) == ["halbjährlich"]
    suggestion = thread_of(page, suggestion_id)
    assert shown_texts(suggestion.locator(".sg-preview del")) == ["jährlich"]
    assert shown_texts(suggestion.locator(".sg-preview ins")) == ["halbjährlich"]
    expect(suggestion).to_contain_text("Einmal im Jahr ist zu selten.")
    item = assert_anchor(page, DEMO_REVISION, suggestion_id, "jährlich")
    assert item["kind"] == "suggestion"
    assert item["replacement"] == "halbjährlich"
    assert item["reason"] == "Einmal im Jahr ist zu selten."

    # (4) After a reload both comments and the suggestion are still highlighted.
    page.goto(f"/revisions/{DEMO_REVISION}")
    expect(mark_of(page, mouse_id)).to_have_text("Anerkennungsverfahren")
    expect(mark_of(page, keyboard_id)).to_have_text("arbeiten bereits")
    assert shown_texts(page.locator(f'del.sg-del[data-fb~="{suggestion_id}"]')) == ["jährlich"]
    assert shown_texts(page.locator(f'ins.sg-ins[data-fb="{suggestion_id}"]')) == ["halbjährlich"]
    for feedback_id in (mouse_id, keyboard_id, suggestion_id):
        expect(thread_of(page, feedback_id)).to_be_visible()
    # The table of contents counts them per section.
    expect(
        page.locator(".toc-list a").filter(has_text="Bestehende Angebote").locator(".toc-count")
    ).to_have_text(re.compile(r"[1-9]"))
    axe_check(page)
    screenshot(page, "feedback-reading-view-highlights")


def test_text_after_an_emoji_is_anchored_exactly(
    page: Page,
    live_server: LiveServer,
    consultation_with_round: Callable[[str, int], dict[str, int]],
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    me = api(page, "GET", "/me")
    ids = consultation_with_round(EMOJI_DRAFT, me["id"])
    revision_id = ids["revision"]

    open_reading_view(page, revision_id)
    vision = section_by_title(page, "1 Leitbild")
    body = vision.locator(".section-body")
    expect(body.locator(".block")).to_have_count(2)
    text = body_of(page, revision_id, int(vision.get_attribute("data-section-id") or 0))
    # In UTF-16 units these words sit further right than in code points.
    assert utf16_length(text[: text.index("begrüßen")]) == text.index("begrüßen") + 1
    assert utf16_length(text[: text.index("gestalten")]) == text.index("gestalten") + 4

    drag_select(page, body, "begrüßen")
    toolbar(page).get_by_role("button", name="Kommentieren").click()
    form = page.locator("form.annotate-form")
    expect(form.get_by_label("Kommentar")).to_be_focused()
    form.get_by_label("Kommentar").fill("Schön gesagt 👍")
    first = save_annotation(page, form.get_by_role("button", name="Speichern"), revision_id)
    item = assert_anchor(page, revision_id, first, "begrüßen")
    assert item["origin_anchor"]["start"] == text.index("begrüßen")
    assert item["origin_anchor"]["end"] == text.index("begrüßen") + len("begrüßen")
    expect(mark_of(page, first)).to_have_text("begrüßen")

    # Further right: after a ZWJ emoji sequence, a combining mark and Arabic text.
    body = section_by_title(page, "1 Leitbild").locator(".section-body")
    drag_select(page, body, "gestalten")
    toolbar(page).get_by_role("button", name="Kommentieren").click()
    form = page.locator("form.annotate-form")
    form.get_by_label("Kommentar").fill("Wer genau?")
    second = save_annotation(page, form.get_by_role("button", name="Speichern"), revision_id)
    item = assert_anchor(page, revision_id, second, "gestalten")
    assert item["origin_anchor"]["start"] == text.index("gestalten")
    expect(mark_of(page, second)).to_have_text("gestalten")
    expect(mark_of(page, first)).to_have_text("begrüßen")
    axe_check(page)


def test_closed_round_takes_no_more_feedback(
    page: Page,
    live_server: LiveServer,
    editor_page: Page,
    consultation_with_round: Callable[[str, int], dict[str, int]],
) -> None:
    log_in(page, live_server, *POLICE)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    revision_id = ids["revision"]

    # While the round is open the participant can annotate.
    open_reading_view(page, revision_id)
    expect(page.locator(".document[data-can-annotate]")).to_have_count(1)
    expect(page.locator(".round-banner.is-open")).to_contain_text("Runde Vielfalt")

    # The editor closes the round early on its page.
    editor_page.goto(f"/rounds/{ids['round']}")
    expect(editor_page.get_by_role("heading", level=1)).to_have_text("Runde Vielfalt")
    axe_check(editor_page)
    editor_page.get_by_role("button", name="Runde jetzt schließen").click()
    confirm_in_dialog(editor_page, "Ja, Runde schließen")
    expect(editor_page.locator(".flash-success")).to_have_text("Die Runde ist geschlossen.")
    expect(editor_page.get_by_role("button", name="Runde jetzt schließen")).to_have_count(0)
    axe_check(editor_page)

    # The participant's reading view says so before anyone types, and offers no tools.
    page.reload()
    expect(page.locator(".round-banner")).to_contain_text(ROUND_OVER)
    expect(page.locator(".round-banner.is-open")).to_have_count(0)
    expect(page.locator(".document[data-can-annotate]")).to_have_count(0)
    expect(page.locator("#annotate-toolbar")).to_have_count(0)
    expect(page.locator(".section-body[tabindex]")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Kommentieren oder Änderung"))).to_have_count(
        0
    )
    # Selecting text opens nothing.
    drag_select(page, page.locator(".section-body").first, "begrüßen")
    expect(page.get_by_role("toolbar")).to_have_count(0)
    expect(page.locator("form.annotate-form")).to_have_count(0)
    axe_check(page)
    # And the server refuses feedback sent anyway.
    section_id = api(page, "GET", f"/revisions/{revision_id}")["sections"][0]["section_id"]
    refused = page.request.post(
        f"/api/v1/revisions/{revision_id}/sections/{section_id}/comments",
        data={"body": "Zu spät?", "anchor": None},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert refused.status == 409, refused.text()


def test_replying_inline_by_keyboard_and_without_javascript(
    page: Page,
    live_server: LiveServer,
    editor_page: Page,
    browser: Browser,
    consultation_with_round: Callable[[str, int], dict[str, int]],
) -> None:
    """The thread's "Antworten" link opens the reply form right there (no text area per
    thread in the page); Escape closes it again; the reply shows in its thread. Without
    JavaScript the same link leads to the reply page."""
    log_in(page, live_server, *POLICE)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    revision_id = ids["revision"]
    section_id = api(page, "GET", f"/revisions/{revision_id}")["sections"][0]["section_id"]
    comment = api(
        page,
        "POST",
        f"/revisions/{revision_id}/sections/{section_id}/comments",
        {"body": "Wer ist mit „Vereine“ gemeint?", "anchor": None},
    )

    editor_page.goto(f"/revisions/{revision_id}")
    thread = thread_of(editor_page, comment["id"])
    expect(thread.locator("textarea")).to_have_count(0)
    link = thread.get_by_role("link", name="Antworten")
    link.focus()
    editor_page.keyboard.press("Enter")
    box = thread.get_by_label("Ihre Antwort")
    expect(box).to_be_focused()
    expect(link).to_be_hidden()
    axe_check(editor_page)
    editor_page.keyboard.press("Escape")
    expect(thread.locator("form.reply-form")).to_have_count(0)
    expect(link).to_be_focused()
    link.click()
    thread.get_by_label("Ihre Antwort").fill("Alle eingetragenen Vereine im Kreis.")
    submit(editor_page, thread.get_by_role("button", name="Antwort senden"))
    expect(editor_page.locator(".flash-success")).to_have_text("Ihre Antwort ist gespeichert.")
    expect(thread_of(editor_page, comment["id"]).locator(".reply")).to_contain_text(
        "Alle eingetragenen Vereine im Kreis."
    )

    # The reply page (the no-JS path) passes axe too.
    editor_page.goto(f"/feedback/{comment['id']}/reply?revision_id={revision_id}")
    expect(editor_page.locator(".reply")).to_contain_text("Alle eingetragenen Vereine im Kreis.")
    axe_check(editor_page)

    # Without JavaScript: the link opens the reply page with the thread and the form.
    # (axe needs JavaScript: no check in this profile.)
    ctx = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        plain = ctx.new_page()
        log_in_without_javascript(plain, *POLICE)
        plain.goto(f"/revisions/{revision_id}")
        thread_of(plain, comment["id"]).get_by_role("link", name="Antworten").click()
        expect(plain.get_by_role("heading", level=1)).to_contain_text("Antwort auf den Kommentar")
        plain.get_by_label("Antwort").fill("Danke, dann passt es.")
        submit(plain, plain.get_by_role("button", name="Antwort senden"))
        expect(thread_of(plain, comment["id"]).locator(".reply")).to_have_count(2)
    finally:
        ctx.close()


def test_resolving_and_withdrawing_by_keyboard_and_without_javascript(
    page: Page,
    live_server: LiveServer,
    editor_page: Page,
    browser: Browser,
    consultation_with_round: Callable[[str, int], dict[str, int]],
) -> None:
    """The threads' own buttons: the editor resolves and reopens by keyboard, the author
    withdraws with JavaScript switched off."""
    log_in(page, live_server, *POLICE)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    revision_id = ids["revision"]
    section_id = api(page, "GET", f"/revisions/{revision_id}")["sections"][0]["section_id"]
    url = f"/revisions/{revision_id}/sections/{section_id}/comments"
    first = api(page, "POST", url, {"body": "Bitte Beispiele nennen.", "anchor": None})
    second = api(page, "POST", url, {"body": "Doppelt, bitte streichen.", "anchor": None})

    editor_page.goto(f"/revisions/{revision_id}")
    resolve = thread_of(editor_page, first["id"]).get_by_role(
        "button", name="als erledigt markieren"
    )
    resolve.focus()
    with editor_page.expect_navigation():
        editor_page.keyboard.press("Enter")
    expect(editor_page.locator(".flash-success")).to_have_text("Als erledigt markiert.")
    reopen = thread_of(editor_page, first["id"]).get_by_role("button", name="wieder öffnen")
    expect(reopen).to_be_visible()
    axe_check(editor_page)
    submit(editor_page, reopen)
    expect(editor_page.locator(".flash-success")).to_have_text("Wieder geöffnet.")
    assert api(editor_page, "GET", f"/comments/{first['id']}")["status"] == "open"

    ctx = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        plain = ctx.new_page()
        log_in_without_javascript(plain, *POLICE)
        plain.goto(f"/revisions/{revision_id}")
        withdraw = thread_of(plain, second["id"]).get_by_role("button", name="zurückziehen")
        submit(plain, withdraw, 200)  # without JavaScript a page asks first
        submit(plain, plain.get_by_role("button", name="Ja, zurückziehen"))
        expect(plain.locator(".flash-success")).to_have_text("Ihr Beitrag ist zurückgezogen.")
    finally:
        ctx.close()
    assert api(page, "GET", f"/comments/{second['id']}")["withdrawn"] is True


def double_click(page: Page, button: Locator) -> None:
    """Two clicks 40 ms apart, as a person's double click (a synthetic dblclick is merged
    into one submission). The page must answer slowly (SLOW_COOKIE), so that the second
    click lands while the first submission is on its way."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(40)
    page.mouse.click(x, y)


def test_a_double_click_on_save_stores_one_comment(
    page: Page,
    live_server: LiveServer,
    browser: Browser,
    consultation_with_round: Callable[[str, int], dict[str, int]],
) -> None:
    """A double click sends the form twice; one comment is stored, with and without
    JavaScript (the server recognises the repeat, no script is needed for it)."""
    log_in(page, live_server, *ASSOCIATION)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    revision_id = ids["revision"]
    section_id = api(page, "GET", f"/revisions/{revision_id}")["sections"][0]["section_id"]
    form = f"/revisions/{revision_id}/sections/{section_id}/feedback"

    def stored(text: str) -> int:
        found = api(page, "GET", f"/revisions/{revision_id}/feedback")["comments"]
        return sum(1 for c in found if c["body"] == text)

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    slow = [{"name": SLOW_COOKIE, "value": "400", "url": live_server.url}]
    page.context.add_cookies(slow)
    page.goto(form)
    page.get_by_role("textbox", name="Kommentar", exact=True).fill("Doppelklick mit Skript.")
    double_click(page, page.get_by_role("button", name="Speichern"))
    # (The first navigation is aborted by the second click; wait for the one that lands.)
    expect(page).to_have_url(re.compile(rf"/revisions/{revision_id}(#.*)?$"))
    assert len([u for u in posts if u.endswith(form)]) == 2  # the browser did send it twice
    expect(page.locator(".flash-success").first).to_be_visible()
    assert stored("Doppelklick mit Skript.") == 1

    ctx = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        plain = ctx.new_page()
        log_in_without_javascript(plain, *ASSOCIATION)
        ctx.add_cookies(slow)
        plain.goto(form)
        plain.get_by_role("textbox", name="Kommentar", exact=True).fill("Doppelklick ohne Skript.")
        plain.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        double_click(plain, plain.get_by_role("button", name="Speichern"))
        expect(plain).to_have_url(re.compile(rf"/revisions/{revision_id}(#.*)?$"))
        assert len([u for u in posts if u.endswith(form)]) == 4
        expect(plain.locator(".flash-success").first).to_be_visible()
    finally:
        ctx.close()
    assert stored("Doppelklick ohne Skript.") == 1
