"""The start page in a real browser (issue 10, item 6): a participant, a mayor and an
editor of the demo see what is expected of them and by when; the counters and buttons
lead to what they count; the page passes axe-core in German and English and fits a
phone's width.

The tests read the demo's round "2. Stufe: Arbeitskreise und Kommunen" (open, Fassung 2)
and "1. Stufe: Arbeitskreise" (closed), and find them by their headings: other tests
that share the live server add consultations of their own.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult.db import database
from consult.models import User
from tests.browser.conftest import LiveServer, axe_check, screenshot, submit

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")
CARITAS = ("caritas@consult.example", "Demo-Caritas-2026")
SIEGBURG = ("buergermeister.siegburg@consult.example", "Demo-Siegburg-2026")
OPEN_ROUND = "2. Stufe: Arbeitskreise und Kommunen"
CLOSED_ROUND = "1. Stufe: Arbeitskreise"
#: "1 Kommentar, 0 Änderungsvorschläge" and the like: what a counter link says.
COUNTS = re.compile(
    r"^(\d+) (?:Kommentare?|comments?), (\d+) (?:Änderungsvorschläge?|suggested changes?)"
    r"(?:, (\d+) (?:Anmerkungen? aus (?:einer )?Stellungnahmen?|remarks? from statements?))?$"
)


def log_in(page: Page, live_server: LiveServer, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")


def task(page: Page, title: str) -> Locator:
    """The card of a round (or draft) on the start page, by its heading."""
    return page.locator("li.task").filter(
        has=page.get_by_role("heading", level=3, name=title, exact=True)
    )


def section_headings(page: Page) -> list[str]:
    return [h.strip() for h in page.locator("main h2").all_inner_texts()]


def own_count_link(card: Locator) -> tuple[Locator, int]:
    """The link of the person's own feedback in a round's card, and the number it counts."""
    counter = card.locator(".task-own a")
    found = COUNTS.match(" ".join(counter.inner_text().split()))
    assert found, counter.inner_text()
    return counter, sum(int(n) for n in found.groups() if n)


def shown_in_reading_view(page: Page) -> int:
    """How many contributions the reading view's filter says it shows."""
    legend = page.locator(".feedback-filters legend .meta").inner_text()
    found = re.search(r"\((\d+)", legend)
    assert found, legend
    return int(found.group(1))


def demo_password(live_server: LiveServer, email: str, password: str) -> None:
    """Give the demo account its printed password again (another test may have changed
    it)."""
    assert live_server.app is not None
    with live_server.app.app_context(), database(live_server.app).session_scope() as session:
        user = session.scalar(select(User).where(User.email_key == email))
        assert user is not None
        user.password_hash = generate_password_hash(password)


def switch_language(page: Page, to: str) -> None:
    submit(page, page.get_by_role("button", name=to))


def fits_the_width(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_participant_start_page(page: Page, live_server: LiveServer, browser: Browser) -> None:
    log_in(page, live_server, *CARITAS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Beteiligungsverfahren")
    headings = section_headings(page)
    # What is due now first, then what has ended, then the overview.
    assert headings.index("Was jetzt ansteht") < headings.index("Kürzlich beendet")
    assert headings[-1] == "Ihre Verfahren"
    current = task(page, OPEN_ROUND)
    expect(current.locator(".task-deadline")).to_contain_text(
        re.compile(
            r"Kommentieren (bis \w\w\., \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr|heute bis \d\d:\d\d Uhr)"
            r" – noch \d+ (Tage?|Stunden?|Minuten?)"
        )
    )
    expect(current).not_to_contain_text("Ihre Kommune")
    axe_check(page)
    screenshot(page, "start-page-participant")

    # The counter leads to the reading view of their own contributions, as many as it says.
    counter, counted = own_count_link(current)
    counter.click()
    expect(page).to_have_url(re.compile(r"/revisions/2\?mine=1&round=2$"))
    expect(page.get_by_label("nur meine")).to_be_checked()
    assert shown_in_reading_view(page) == counted
    axe_check(page)

    # The button opens the revision to comment on.
    page.goto("/")
    current.get_by_role("link", name="Fassung 2 lesen und kommentieren").click()
    expect(page).to_have_url(re.compile(r"/revisions/2$"))
    expect(page.locator(".round-banner.is-open")).to_contain_text(OPEN_ROUND)

    # What came of the closed round: Fassung 2 next to Fassung 1.
    page.goto("/")
    closed = task(page, CLOSED_ROUND)
    expect(closed).to_contain_text("Beendet am")
    closed.get_by_role("link", name="Fassung 2 im Vergleich mit Fassung 1").click()
    expect(page).to_have_url(re.compile(r"/revisions/2/diff\?against=1$"))
    axe_check(page)

    # In English.
    page.goto("/")
    switch_language(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "What needs doing now" in section_headings(page)
    expect(task(page, OPEN_ROUND).locator(".task-deadline")).to_contain_text(
        re.compile(r"Comment by .* left")
    )
    expect(task(page, OPEN_ROUND).locator(".task-own")).to_contain_text(
        "Your contributions in this round:"
    )
    axe_check(page)
    screenshot(page, "start-page-participant-en")
    switch_language(page, "Deutsch")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    # On a phone: everything in one column, nothing wider than the screen.
    phone = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        small = phone.new_page()
        log_in(small, live_server, *CARITAS)
        expect(task(small, OPEN_ROUND)).to_be_visible()
        fits_the_width(small)
        axe_check(small)
        screenshot(small, "start-page-participant-phone")
    finally:
        phone.close()


def test_mayor_start_page(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, *SIEGBURG)
    current = task(page, OPEN_ROUND)
    expect(current.locator(".task-deadline")).to_contain_text(
        re.compile(r"Ihre Kommune ist eingeladen, (bis|heute bis) .* Stellung zu nehmen – noch ")
    )
    # The formal statement has a page of its own.
    expect(current.get_by_role("link", name="Zur Stellungnahme Ihrer Kommune")).to_be_visible()
    expect(current).not_to_contain_text("Kommentieren bis")
    # The working groups' closed round was not theirs.
    expect(task(page, CLOSED_ROUND)).to_have_count(0)
    axe_check(page)
    screenshot(page, "start-page-mayor")

    counter, counted = own_count_link(current)
    assert counted >= 1  # the demo's comment of the town of Siegburg
    counter.click()
    expect(page).to_have_url(re.compile(r"/revisions/2\?mine=1&round=2$"))
    assert shown_in_reading_view(page) == counted
    expect(page.locator("aside.rail").first).to_contain_text("Stefan Roth")

    page.goto("/")
    current.get_by_role("link", name="Mehr zur Runde").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OPEN_ROUND)
    axe_check(page)

    page.goto("/")
    switch_language(page, "English")
    current = task(page, OPEN_ROUND)
    expect(current.locator(".task-deadline")).to_contain_text(
        "Your municipality is invited to give its view by"
    )
    expect(current.locator('a[href$="/statement"]')).to_have_count(1)
    axe_check(page)
    screenshot(page, "start-page-mayor-en")
    switch_language(page, "Deutsch")


def test_editor_start_page(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, *EDITOR)
    headings = section_headings(page)
    assert headings.index("Was jetzt ansteht") < headings.index("Entwürfe in Arbeit")
    assert headings.index("Entwürfe in Arbeit") < headings.index("Kürzlich beendet")
    current = task(page, OPEN_ROUND)
    facts = current.locator("dl.facts")
    expect(facts).to_contain_text("Frist")
    expect(facts).to_contain_text("Eingegangen")
    expect(facts).to_contain_text("Neu in den letzten 7 Tagen")
    expect(facts).to_contain_text("Noch offen")
    expect(facts).to_contain_text("per E-Mail an die Frist erinnert")
    expect(task(page, "Entwurf für Fassung 3")).to_contain_text("Überarbeitung nach der 2. Stufe")
    axe_check(page)
    screenshot(page, "start-page-editor")

    # "Eingegangen: n Beiträge" leads to the round, which counts the same.
    received = facts.locator("dd").nth(1).get_by_role("link")
    total = int(received.inner_text().split()[0])
    assert total >= 4  # the demo's feedback in the round
    received.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OPEN_ROUND)
    sentence = page.locator("main").inner_text().split("Bisher", 1)[1].split(".", 1)[0]
    numbers = re.findall(r"\d+", sentence)
    assert sum(int(n) for n in numbers[:3]) == total
    axe_check(page)

    # "Noch offen" leads to the reading view of the open ones.
    page.goto("/")
    still_open = task(page, OPEN_ROUND).locator("dl.facts dd").nth(3).get_by_role("link")
    still_open.click()
    expect(page).to_have_url(re.compile(r"/revisions/2\?status=open&round=2$"))
    expect(page.locator('select[name="status"]')).to_have_value("open")

    # The draft in progress opens in the editor.
    page.goto("/")
    task(page, "Entwurf für Fassung 3").get_by_role("link", name="Entwurf bearbeiten").click()
    expect(page).to_have_url(re.compile(r"/revisions/\d+/edit$"))
    axe_check(page)

    page.goto("/")
    switch_language(page, "English")
    current = task(page, OPEN_ROUND)
    expect(current.locator("dl.facts")).to_contain_text("Received")
    expect(current.locator("dl.facts")).to_contain_text("Still open")
    assert "Drafts in progress" in section_headings(page)
    axe_check(page)
    screenshot(page, "start-page-editor-en")
    switch_language(page, "Deutsch")


@pytest.mark.parametrize(
    ("login", "section", "shot"),
    [
        (("fraktion@consult.example", "Demo-Fraktion-2026"), "Zum Lesen", "start-page-observer"),
        (("admin@consult.example", "Demo-Admin-2026"), "Administration", "start-page-admin"),
    ],
)
def test_observer_and_admin_start_pages(
    page: Page, live_server: LiveServer, login: tuple[str, str], section: str, shot: str
) -> None:
    demo_password(live_server, *login)  # test_auth_flows resets the observer's
    log_in(page, live_server, *login)
    assert section in section_headings(page)
    assert "Was jetzt ansteht" not in section_headings(page)
    expect(page.get_by_role("heading", name=OPEN_ROUND)).to_have_count(0)
    axe_check(page)
    screenshot(page, shot)
