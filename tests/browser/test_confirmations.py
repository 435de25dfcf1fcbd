"""Issue 10, items 3 and 4 in a real browser: destructive actions are confirmed (a dialog
with JavaScript, a page without), a round closed by mistake is reopened with a reason,
a withdrawal and a removal are undone; the inline comment form keeps its selection,
shows errors in place and, once saved, leaves the focus on the new thread.

Each test sets up its own consultation through the API (tests/browser/test_feedback_flow.py's
fixtures), so the tests do not depend on each other although they share one live server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import LiveServer, axe_check, confirm_in_dialog, submit
from tests.browser.test_feedback_flow import (  # noqa: F401  (fixtures)
    ASSOCIATION,
    EMOJI_DRAFT,
    POLICE,
    SAVED,
    api,
    consultation_with_round,
    drag_select,
    editor_page,
    feedback_id_from_url,
    log_in,
    log_in_without_javascript,
    open_reading_view,
    section_by_title,
    thread_of,
    toolbar,
)

pytestmark = pytest.mark.browser

CLOSE = "Runde jetzt schließen"
YES_CLOSE = "Ja, Runde schließen"


def round_status(page: Page, round_id: int) -> str:
    status: str = api(page, "GET", f"/rounds/{round_id}")["status"]
    return status


def dialog(page: Page) -> Locator:
    return page.get_by_role("dialog")


def in_a_week() -> str:
    """A datetime-local value a week from now (Europe/Berlin is close enough here)."""
    return (datetime.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")


# --- closing a round: confirmed, cancelled, reopened -----------------------------------------


def test_closing_a_round_is_confirmed_and_a_closed_round_reopens_with_a_reason(
    page: Page,
    live_server: LiveServer,
    editor_page: Page,  # noqa: F811
    consultation_with_round: Callable[[str, int], dict[str, int]],  # noqa: F811
) -> None:
    log_in(page, live_server, *POLICE)
    participant = api(page, "GET", "/me")
    ids = consultation_with_round(EMOJI_DRAFT, participant["id"])
    editor = editor_page
    editor.goto(f"/rounds/{ids['round']}")
    close = editor.get_by_role("button", name=CLOSE)

    # The dialog names the consequence; the focus is in it, on "Abbrechen".
    close.click()
    expect(dialog(editor)).to_be_visible()
    expect(dialog(editor).get_by_role("heading")).to_have_text(
        "Runde „Runde Vielfalt“ jetzt schließen?"
    )
    expect(dialog(editor)).to_contain_text("keine Kommentare, Änderungsvorschläge und Antworten")
    expect(dialog(editor).get_by_role("button", name="Abbrechen")).to_be_focused()
    axe_check(editor)
    # Escape cancels: nothing sent, the focus is back on the button, the round still open.
    editor.keyboard.press("Escape")
    expect(dialog(editor)).to_have_count(0)
    expect(close).to_be_focused()
    # "Abbrechen" cancels as well.
    editor.keyboard.press("Enter")
    expect(dialog(editor)).to_be_visible()
    dialog(editor).get_by_role("button", name="Abbrechen").click()
    expect(dialog(editor)).to_have_count(0)
    expect(close).to_be_focused()
    assert round_status(editor, ids["round"]) == "open"

    # "Ja, Runde schließen" closes it.
    close.click()
    confirm_in_dialog(editor, YES_CLOSE)
    expect(editor.locator(".flash-success")).to_have_text("Die Runde ist geschlossen.")
    assert round_status(editor, ids["round"]) == "closed"
    expect(editor.get_by_role("button", name=CLOSE)).to_have_count(0)

    # Closed by mistake: reopened on the same page, with a reason (required).
    reopen = editor.get_by_role("form", name="Runde wieder öffnen")
    expect(reopen).to_be_visible()
    axe_check(editor)
    reopen.get_by_label("Neue Frist").fill(in_a_week())
    submit(editor, reopen.get_by_role("button", name="Wieder öffnen"), 422)
    expect(editor.locator("#reason-error")).to_be_visible()
    assert round_status(editor, ids["round"]) == "closed"
    axe_check(editor)
    reopen = editor.get_by_role("form", name="Runde wieder öffnen")
    reopen.get_by_label("Neue Frist").fill(in_a_week())
    reopen.get_by_label("Begründung").fill("Versehentlich zu früh geschlossen.")
    submit(editor, reopen.get_by_role("button", name="Wieder öffnen"))
    expect(editor.locator(".flash-success")).to_contain_text("Die Runde ist wieder geöffnet")
    assert round_status(editor, ids["round"]) == "open"
    history = editor.locator("ol.extensions > li")
    expect(history).to_have_count(1)
    expect(history).to_have_text(
        re.compile(r"wieder geöffnet am .+ bis .+:\s+Versehentlich zu früh geschlossen\.")
    )
    expect(editor.get_by_role("button", name=CLOSE)).to_be_visible()
    axe_check(editor)
    # The invited hear of it.
    reopened = [
        m
        for m in live_server.mail_to(participant["email"])
        if str(m["Subject"]).startswith("Wieder geöffnet: Runde Vielfalt")
    ]
    assert len(reopened) == 1
    # And may comment again.
    section_id = api(page, "GET", f"/revisions/{ids['revision']}")["sections"][0]["section_id"]
    api(
        page,
        "POST",
        f"/revisions/{ids['revision']}/sections/{section_id}/comments",
        {"body": "Gut, dass es weitergeht.", "anchor": None},
    )


def test_without_javascript_a_page_asks_before_the_round_closes(
    page: Page,
    live_server: LiveServer,
    browser: Browser,
    editor_page: Page,  # noqa: F811
    consultation_with_round: Callable[[str, int], dict[str, int]],  # noqa: F811
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    url = f"/rounds/{ids['round']}"

    # The confirmation page passes axe (sent here without the dialog, as without JavaScript).
    editor_page.goto(url)
    with editor_page.expect_navigation():
        editor_page.locator(f"form[action='{url}/close']").evaluate(
            "(form) => HTMLFormElement.prototype.submit.call(form)"
        )
    expect(editor_page.get_by_role("heading", level=1)).to_have_text(
        "Runde „Runde Vielfalt“ jetzt schließen?"
    )
    axe_check(editor_page)
    assert round_status(editor_page, ids["round"]) == "open"

    ctx = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        plain = ctx.new_page()
        log_in_without_javascript(plain, "redaktion@consult.example", "Demo-Redaktion-2026")
        plain.goto(url)
        # Asked first; "Abbrechen" goes back, and the round stays open.
        submit(plain, plain.get_by_role("button", name=CLOSE), 200)
        expect(plain.get_by_role("heading", level=1)).to_have_text(
            "Runde „Runde Vielfalt“ jetzt schließen?"
        )
        expect(plain.locator("main")).to_contain_text("mit einer Begründung wieder öffnen")
        plain.get_by_role("link", name="Abbrechen").click()
        expect(plain).to_have_url(live_server.url + url)
        assert round_status(editor_page, ids["round"]) == "open"
        # "Ja, Runde schließen" closes it.
        submit(plain, plain.get_by_role("button", name=CLOSE), 200)
        submit(plain, plain.get_by_role("button", name=YES_CLOSE))
        expect(plain.locator(".flash-success")).to_have_text("Die Runde ist geschlossen.")
        assert round_status(editor_page, ids["round"]) == "closed"
    finally:
        ctx.close()


# --- undoing a removal -----------------------------------------------------------------------


def test_a_removed_member_is_added_again_with_rueckgaengig(
    page: Page,
    live_server: LiveServer,
    editor_page: Page,  # noqa: F811
    consultation_with_round: Callable[[str, int], dict[str, int]],  # noqa: F811
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    me = api(page, "GET", "/me")
    ids = consultation_with_round(EMOJI_DRAFT, me["id"])
    editor = editor_page
    editor.goto(f"/consultations/{ids['consultation']}/members")
    axe_check(editor)
    row = editor.locator("tbody tr").filter(has_text=me["name"])
    row.get_by_role("button", name=re.compile("^Entfernen")).click()
    expect(dialog(editor).get_by_role("heading")).to_contain_text("aus dem Verfahren entfernen?")
    axe_check(editor)
    confirm_in_dialog(editor, "Ja, entfernen")
    expect(editor.locator(".flash-success")).to_have_text("Die Person ist nicht mehr beteiligt.")
    expect(editor.locator("tbody tr").filter(has_text=me["name"])).to_have_count(0)
    axe_check(editor)
    submit(editor, editor.locator(".flashes").get_by_role("button", name="Rückgängig"))
    row = editor.locator("tbody tr").filter(has_text=me["name"])
    expect(row).to_contain_text("Teilnehmende")
    # Still in the round's working group: the round's text opens again.
    open_reading_view(page, ids["revision"])


# --- the inline comment form -----------------------------------------------------------------

_HIGHLIGHTED = """() => {
  const highlight = CSS.highlights.get("annotate-selection");
  return highlight ? Array.from(highlight).map((range) => range.toString()) : [];
}"""


def test_the_inline_form_keeps_its_selection_shows_errors_in_place_and_focuses_the_thread(
    page: Page,
    live_server: LiveServer,
    consultation_with_round: Callable[[str, int], dict[str, int]],  # noqa: F811
) -> None:
    log_in(page, live_server, *POLICE)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    revision_id = ids["revision"]
    open_reading_view(page, revision_id)
    # With JavaScript the hint is about selecting; the one for pages without it is hidden.
    banner = page.locator(".round-banner.is-open")
    expect(banner.locator("[data-annotate-hint='select']")).to_be_visible()
    expect(banner.locator("[data-annotate-hint='plain']")).to_be_hidden()

    body = section_by_title(page, "1 Leitbild").locator(".section-body")
    drag_select(page, body, "Vielfalt")
    toolbar(page).get_by_role("button", name="Kommentieren").click()
    form = page.locator("form.annotate-form")
    expect(form.get_by_role("heading")).to_have_text("Kommentar zu „Vielfalt“")
    expect(form).to_have_accessible_name("Kommentar zu „Vielfalt“")
    text = form.get_by_label("Kommentar")
    expect(text).to_be_focused()
    # What one types is not bold (the label is).
    assert text.evaluate("(el) => getComputedStyle(el).fontWeight") == "400"
    # The passage stays marked while the form is open (the text itself is untouched).
    assert page.evaluate(_HIGHLIGHTED) == ["Vielfalt"]
    anchor = {name: form.locator(f"input[name={name}]").input_value() for name in ("start", "end")}

    # An empty comment: the error at the field, nothing sent, the form and selection stay.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    form.get_by_role("button", name="Speichern").click()
    error = form.locator("#annotate-body-error")
    expect(error).to_have_text("Bitte schreiben Sie Ihren Kommentar.")
    expect(text).to_be_focused()
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_have_attribute("aria-describedby", "annotate-body-error")
    assert posts == []
    expect(page).to_have_url(live_server.url + f"/revisions/{revision_id}")
    assert page.evaluate(_HIGHLIGHTED) == ["Vielfalt"]
    axe_check(page)

    # What only the server refuses (a control character): its answer, in the same place.
    text.fill("Probe\x1bText")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        form.get_by_role("button", name="Speichern").click()
    assert info.value.status == 422
    expect(error).to_contain_text("Steuerzeichen")
    expect(page).to_have_url(live_server.url + f"/revisions/{revision_id}")
    assert page.evaluate(_HIGHLIGHTED) == ["Vielfalt"]
    assert {
        name: form.locator(f"input[name={name}]").input_value() for name in ("start", "end")
    } == anchor

    # Saved: the page comes back at the new thread, its heading has the focus, and the
    # polite live region says it was saved.
    text.fill("Wer ist mit Vielfalt gemeint?")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        form.get_by_role("button", name="Speichern").click()
    assert info.value.status == 201  # (its body is gone with the page that asked)
    expect(page).to_have_url(re.compile(rf"/revisions/{revision_id}#fb-\d+$"))
    feedback_id = feedback_id_from_url(page)
    expect(thread_of(page, feedback_id)).to_contain_text("Wer ist mit Vielfalt gemeint?")
    expect(page.locator(f"#fbh-{feedback_id}")).to_be_focused()
    live = page.locator("#reading-status")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_text(SAVED)
    assert page.evaluate(_HIGHLIGHTED) == []
    axe_check(page)

    # Withdrawing it is confirmed, and "Rückgängig" brings it back.
    thread_of(page, feedback_id).get_by_role("button", name="zurückziehen").click()
    expect(dialog(page).get_by_role("heading")).to_have_text("Kommentar zurückziehen?")
    confirm_in_dialog(page, "Ja, zurückziehen")
    expect(page.locator(".flash-success")).to_have_text("Ihr Beitrag ist zurückgezogen.")
    expect(thread_of(page, feedback_id)).to_have_class(re.compile(r"\bwithdrawn\b"))
    axe_check(page)
    submit(page, page.locator(".flashes").get_by_role("button", name="Rückgängig"))
    expect(page.locator(".flash-success")).to_have_text("Ihr Beitrag ist wiederhergestellt.")
    expect(thread_of(page, feedback_id)).not_to_have_class(re.compile(r"\bwithdrawn\b"))


def test_without_javascript_the_banner_points_to_the_link(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    consultation_with_round: Callable[[str, int], dict[str, int]],  # noqa: F811
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    ids = consultation_with_round(EMOJI_DRAFT, api(page, "GET", "/me")["id"])
    ctx = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        plain = ctx.new_page()
        log_in_without_javascript(plain, *ASSOCIATION)
        plain.goto(f"/revisions/{ids['revision']}")
        banner = plain.locator(".round-banner.is-open")
        expect(banner.locator(".hint:visible")).to_have_count(1)
        hint = banner.locator(".hint:visible")
        expect(hint).to_contain_text("Kommentieren oder Änderung vorschlagen")
        expect(hint).not_to_contain_text("Maus")
    finally:
        ctx.close()
