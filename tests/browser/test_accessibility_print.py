"""Issue 10, items 8 and 9 in a real browser: accessibility beyond what axe-core finds, and
printing.

- The diff views' single-letter shortcuts (n/p) are off until switched on ("Tastenkürzel",
  kept in localStorage); Alt+N/Alt+P always work (WCAG 2.1.4).
- Insertions and deletions carry hidden words for screen readers; in the reading view
  they are left out of the offset count, so a comment selected after a suggestion still
  gets the right offsets (TEXT.md 1).
- The live diff of the suggestion form is announced once typing pauses, not per key.
- Working groups are chosen with checkboxes under a legend.
- Reading view, diff and round page print without navigation, buttons, forms and
  "Antworten" links, under a header with the title, the revision's number and date.

One consultation is set up through the JSON API for the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, axe_check, screenshot, shown_texts
from tests.browser.test_feedback_flow import (
    ASSOCIATION,
    EDITOR,
    api,
    drag_select,
    log_in,
    section_by_title,
    toolbar,
)

pytestmark = pytest.mark.browser

TITLE = "Integrationsbericht Siegtal 2027"
REPORTS = "Die Verwaltung berichtet jährlich dem Ausschuss über den Stand der Maßnahmen."
FIRST = f"""# 1 Berichte

{REPORTS}

# 2 Beratung

Eine Anlaufstelle berät Familien.

# 3 Sprache

Kurse für Erwachsene beginnen im Herbst.
"""
#: What Fassung 2 changes in sections 2 and 3 (section 1 stays as it is).
SECOND = {
    "2": "Eine Anlaufstelle berät Familien und Fachkräfte.",
    "3": "Kurse für Erwachsene beginnen im Frühjahr.",
}
GROUP = "AK Berichte"
DAY = re.compile(r"\d{2}\.\d{2}\.\d{4}")


@dataclass
class World:
    consultation: int
    first: int
    second: int
    round: int
    reports_section: int
    suggestion: int


def _context(browser: Browser, live_server: LiveServer) -> BrowserContext:
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    ctx.set_default_timeout(10_000)
    return ctx


@pytest.fixture(scope="module")
def world(browser: Browser, live_server: LiveServer) -> Iterator[World]:
    """Two published revisions, an open round on the second for a working group with the
    association's member, a suggestion of theirs ("jährlich" → "halbjährlich") and a
    comment (so that threads show "Antworten")."""
    participant_ctx = _context(browser, live_server)
    participant = participant_ctx.new_page()
    log_in(participant, live_server, *ASSOCIATION)
    participant_id = api(participant, "GET", "/me")["id"]

    editor_ctx = _context(browser, live_server)
    editor = editor_ctx.new_page()
    log_in(editor, live_server, *EDITOR)
    cid = api(editor, "POST", "/consultations", {"title": TITLE})["id"]
    first = api(editor, "POST", f"/consultations/{cid}/revisions", {"markdown": FIRST})
    api(editor, "POST", f"/revisions/{first['id']}/publish")
    sections = [
        {
            "section_id": s["section_id"],
            "key": s["key"],
            "title": s["title"],
            "body": SECOND.get(s["key"], s["body"]),
        }
        for s in first["sections"]
    ]
    second = api(
        editor,
        "POST",
        f"/consultations/{cid}/revisions",
        {"base_revision_id": first["id"], "sections": sections},
    )
    api(editor, "POST", f"/revisions/{second['id']}/publish")
    group = api(editor, "POST", f"/consultations/{cid}/working-groups", {"name": GROUP})
    api(
        editor,
        "PUT",
        f"/consultations/{cid}/members/{participant_id}",
        {"role": "participant", "working_group_ids": [group["id"]]},
    )
    now = datetime.now(UTC)
    round_ = api(
        editor,
        "POST",
        f"/consultations/{cid}/rounds",
        {
            "revision_id": second["id"],
            "title": "Runde Berichte",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "working_group_ids": [group["id"]],
            "visibility": "round",
        },
    )
    by_key = {s["key"]: s["section_id"] for s in second["sections"]}
    start = REPORTS.index("jährlich")
    suggestion = api(
        participant,
        "POST",
        f"/revisions/{second['id']}/sections/{by_key['1']}/suggestions",
        {
            "anchor": {"start": start, "end": start + len("jährlich"), "quote": "jährlich"},
            "replacement": "halbjährlich",
            "reason": "Einmal im Jahr ist zu selten.",
        },
    )
    body = SECOND["2"]
    at = body.index("Anlaufstelle")
    api(
        participant,
        "POST",
        f"/revisions/{second['id']}/sections/{by_key['2']}/comments",
        {
            "body": "Wo ist die Anlaufstelle?",
            "anchor": {"start": at, "end": at + len("Anlaufstelle"), "quote": "Anlaufstelle"},
        },
    )
    editor_ctx.close()
    participant_ctx.close()
    yield World(
        consultation=cid,
        first=first["id"],
        second=second["id"],
        round=round_["id"],
        reports_section=by_key["1"],
        suggestion=suggestion["id"],
    )


# --- 2.1.4: the diff's single-letter shortcuts ------------------------------------------


def test_shortcut_letters_are_off_until_switched_on_and_alt_always_works(
    page: Page, live_server: LiveServer, world: World
) -> None:
    log_in(page, live_server, *EDITOR)
    page.goto(f"/revisions/{world.second}/diff?against={world.first}&view=inline&only=changes")
    first, second = page.locator("#change-0"), page.locator("#change-1")
    expect(page.locator("[data-change]")).to_have_count(2)
    switch = page.get_by_role("switch", name="Tastenkürzel")
    expect(switch).to_be_visible()
    expect(switch).not_to_be_checked()
    # Each change says where it starts and ends, for screen readers.
    expect(second.locator(".diff-body del")).to_match_aria_snapshot(
        '- deletion: "gestrichen: Herbst (Ende der Streichung)"'
    )
    expect(second.locator(".diff-body ins")).to_match_aria_snapshot(
        '- insertion: "eingefügt: Frühjahr (Ende der Einfügung)"'
    )
    axe_check(page)

    # Off (the default): "n" does nothing; Alt+N and Alt+P move between the changes.
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(first).not_to_be_focused()
    assert "#change" not in page.url
    page.keyboard.press("Alt+n")
    expect(first).to_be_focused()
    page.keyboard.press("Alt+n")
    expect(second).to_be_focused()
    page.keyboard.press("Alt+p")
    expect(first).to_be_focused()
    page.keyboard.press("p")  # off: stays
    expect(first).to_be_focused()

    # Switched on: the letters work too, and the choice is kept for the next page.
    switch.check()
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(second).to_be_focused()
    page.keyboard.press("p")
    expect(first).to_be_focused()
    assert page.evaluate("() => localStorage.getItem('consult.diff-shortcuts')") == "on"
    page.goto(f"/revisions/{world.second}/diff?against={world.first}&view=synopsis&only=changes")
    expect(page.get_by_role("switch", name="Tastenkürzel")).to_be_checked()
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("#change-0")).to_be_focused()
    axe_check(page)

    # Switched off again: "n" does nothing, Alt+N still works.
    page.get_by_role("switch", name="Tastenkürzel").uncheck()
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("#change-1")).not_to_be_focused()
    page.keyboard.press("Alt+n")
    expect(page.locator("#change-1")).to_be_focused()
    # The counts are said once with the page, not as a status message.
    assert page.locator(".diff-summary").get_attribute("role") is None


# --- hidden words for screen readers, and the anchors -----------------------------------

_ANCHOR_FROM_A_LABEL = """async ([word]) => {
  const { rangeToAnchor } = await import("/static/js/offsets.js");
  const del = document.querySelector("del.sg-del");
  const label = del.querySelector(".change-label");
  const walker = document.createTreeWalker(del.closest(".block"), NodeFilter.SHOW_TEXT);
  let end = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = n.data.indexOf(word);
    if (at >= 0 && !n.parentElement.closest(".change-label")) {
      end = [n, at + word.length];
    }
  }
  const range = document.createRange();
  range.setStart(label.firstChild, 3);  // inside the hidden words before "jährlich"
  range.setEnd(...end);
  return rangeToAnchor(del.closest(".section-body"), range);
}"""


def test_changes_say_where_they_start_and_end_without_shifting_anchors(
    page: Page, live_server: LiveServer, world: World
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    page.goto(f"/revisions/{world.second}")
    reports = section_by_title(page, "1 Berichte")
    deleted = reports.locator(f'del.sg-del[data-fb~="{world.suggestion}"]')
    inserted = reports.locator(f'ins.sg-ins[data-fb="{world.suggestion}"]')
    assert shown_texts(deleted) == ["jährlich"]
    assert shown_texts(inserted) == ["halbjährlich"]
    # Screen readers get the words (the accessibility tree has them); on screen they take
    # no room.
    expect(deleted).to_match_aria_snapshot(
        '- deletion: "vorgeschlagene Streichung: jährlich (Ende der Streichung)"'
    )
    expect(inserted).to_match_aria_snapshot(
        '- insertion: "vorgeschlagene Einfügung: halbjährlich (Ende der Einfügung)"'
    )
    labels = reports.locator(".section-body .change-label")
    expect(labels).to_have_count(4)
    for n in range(4):
        label = labels.nth(n)
        assert label.get_attribute("data-skip") == "1"
        box = label.bounding_box()
        assert box is not None and box["width"] <= 1 and box["height"] <= 1
    # The rail's word diff too (no offsets there).
    thread = page.locator(f"aside.rail #fb-{world.suggestion}")
    expect(thread.locator(".sg-preview del")).to_match_aria_snapshot(
        '- deletion: "gestrichen: jährlich (Ende der Streichung)"'
    )
    axe_check(page)

    # A range that starts inside the hidden words counts from the deletion's start.
    anchor = page.evaluate(_ANCHOR_FROM_A_LABEL, ["Ausschuss"])
    start, end = REPORTS.index("jährlich"), REPORTS.index("Ausschuss") + len("Ausschuss")
    assert anchor == {"start": start, "end": end, "quote": REPORTS[start:end]}

    # A comment selected by mouse after the suggestion gets the offsets of the body.
    body = reports.locator(".section-body")
    drag_select(page, body, "Maßnahmen")
    toolbar(page).get_by_role("button", name="Kommentieren").click()
    form = page.locator("form.annotate-form")
    form.get_by_label("Kommentar").fill("Welche Maßnahmen genau?")
    form.get_by_role("button", name="Speichern").click()
    expect(page).to_have_url(re.compile(r"#fb-\d+$"))
    match = re.search(r"#fb-(\d+)$", page.url)
    assert match
    comment_id = int(match.group(1))
    data = api(page, "GET", f"/revisions/{world.second}/feedback")
    [item] = [c for c in data["comments"] if c["id"] == comment_id]
    at = REPORTS.index("Maßnahmen")
    assert item["origin_anchor"]["start"] == at
    assert item["origin_anchor"]["end"] == at + len("Maßnahmen")
    assert item["origin_anchor"]["quote"] == "Maßnahmen"
    expect(page.locator(f'mark.fb-mark[data-fb~="{comment_id}"]')).to_have_text("Maßnahmen")
    # The banner of the open round is there once, not as a status message.
    assert page.locator(".round-banner").first.get_attribute("role") is None


def test_the_live_diff_is_announced_once_typing_pauses(
    page: Page, live_server: LiveServer, world: World
) -> None:
    log_in(page, live_server, *ASSOCIATION)
    page.goto(f"/revisions/{world.second}")
    beratung = section_by_title(page, "2 Beratung")
    drag_select(page, beratung.locator(".section-body"), "Familien")
    toolbar(page).get_by_role("button", name="Änderung vorschlagen").click()
    form = page.locator("form.annotate-form")
    replacement = form.get_by_label("Neuer Text")
    expect(replacement).to_be_focused()
    status = form.locator("[data-live-diff-status]")
    live = form.locator(".live-diff")
    assert live.get_attribute("aria-live") is None  # the preview itself is not announced
    assert status.get_attribute("aria-live") == "polite"
    page.keyboard.press("End")
    replacement.press_sequentially(" und Eltern", delay=40)
    expect(live.locator("ins")).to_have_count(1)  # the preview follows the typing
    assert shown_texts(live.locator("ins")) == ["und Eltern"]
    expect(status).to_have_text("")  # but nothing is said while typing goes on
    expect(status).to_have_text("eingefügt: und Eltern (Ende der Einfügung)", timeout=5000)
    axe_check(page)
    form.get_by_role("button", name="Abbrechen").click()


# --- checkboxes for working groups --------------------------------------------------------


def test_invited_working_groups_are_checkboxes_under_a_legend(
    page: Page, live_server: LiveServer, world: World
) -> None:
    log_in(page, live_server, *EDITOR)
    page.goto(f"/consultations/{world.consultation}/rounds")
    groups = page.get_by_role("group", name="Eingeladene Arbeitskreise")
    box = groups.get_by_role("checkbox", name=GROUP)
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    box.focus()  # by keyboard: Space ticks it
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    assert page.locator("select[multiple]").count() == 0
    axe_check(page)

    # The members of a working group, likewise.
    page.goto(f"/consultations/{world.consultation}/working-groups")
    members = page.get_by_role("group", name="Mitglieder")
    expect(members.get_by_role("checkbox", name=re.compile("Yılmaz"))).not_to_be_checked()
    assert page.locator("select[multiple]").count() == 0
    axe_check(page)


# --- print ------------------------------------------------------------------------------

_VISIBLE_CONTROLS = """() => {
  const shown = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const found = [];
  const controls = "nav, form, button, input:not([type=hidden]), select, textarea, [role=button],"
    + " [role=switch], [role=toolbar], .button, .breadcrumbs, .site-header, .site-footer";
  for (const el of document.querySelectorAll(controls)) {
    if (shown(el)) found.push(el.outerHTML.slice(0, 100));
  }
  for (const a of document.querySelectorAll("a")) {
    if (shown(a) && /^(Antworten|bearbeiten|zurückziehen)$/.test(a.textContent.trim())) {
      found.push(a.outerHTML.slice(0, 100));
    }
  }
  return found;
}"""


def assert_prints_plainly(page: Page, name: str, *meta: str | re.Pattern[str]) -> None:
    """On paper: no navigation, buttons, forms or "Antworten" links; a header with the
    consultation's title and the revision's number and date (``meta``)."""
    header = page.locator(".print-header")
    expect(header).to_be_hidden()  # on screen the page's own heading says it
    assert page.evaluate(_VISIBLE_CONTROLS), (
        "nothing to hide on screen: the test would prove nothing"
    )
    page.emulate_media(media="print")
    try:
        expect(header).to_be_visible()
        expect(header.locator(".print-title")).to_have_text(TITLE)
        for text in meta:
            expect(header.locator(".print-meta")).to_contain_text(text)
        assert page.evaluate(_VISIBLE_CONTROLS) == []
        screenshot(page, f"print-{name}")
        pdf = page.pdf(path=str(ARTIFACTS / f"print-{name}.pdf"), format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        page.emulate_media(media="screen")


def test_reading_view_diff_and_round_page_print_without_controls(
    page: Page, live_server: LiveServer, world: World
) -> None:
    log_in(page, live_server, *EDITOR)
    second = re.compile(rf"Fassung 2 vom {DAY.pattern}")

    page.goto(f"/revisions/{world.second}")
    expect(page.get_by_role("link", name="Antworten").first).to_be_visible()
    axe_check(page)
    assert_prints_plainly(page, "reading-view", second)

    page.goto(f"/revisions/{world.second}/diff?against={world.first}&view=inline")
    axe_check(page)
    assert_prints_plainly(
        page, "diff", re.compile(rf"Fassung 1 vom {DAY.pattern} → Fassung 2 vom {DAY.pattern}")
    )

    page.goto(f"/rounds/{world.round}")
    expect(page.get_by_role("button", name=re.compile("Verlängern"))).to_be_visible()
    axe_check(page)
    assert_prints_plainly(page, "round", second)
    # The round's state is part of the page, not a status message.
    assert page.locator(".round-status").get_attribute("role") is None
