"""Log-in, log-out, invitation, password reset and the language switch, in a real browser.

Each test uses its own demo account (or a newly invited one), so the tests do not depend
on their order although they share one live server.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, axe_check, screenshot, submit

pytestmark = pytest.mark.browser

WRONG_LOGIN = "E-Mail-Adresse oder Passwort ist falsch."
SESSION_COOKIE = "consult_session"
REMEMBER_COOKIE = "remember_token"
INVALID_LINK = "Dieser Link ist ungültig oder abgelaufen."


def open_login(page: Page) -> None:
    page.goto("/login")
    expect(page).to_have_title(re.compile(r"^Anmelden"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    axe_check(page)


def log_in(page: Page, email: str, password: str, status: int = 302) -> None:
    """Log in through the form; ``status`` is the expected answer (401: wrong password)."""
    open_login(page)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"), status)


def expect_start_page(page: Page, live_server: LiveServer, name: str) -> None:
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beteiligungsverfahren")
    expect(page.locator(".signed-in")).to_contain_text(name)
    axe_check(page)


def log_out(page: Page, live_server: LiveServer) -> None:
    submit(page, page.get_by_role("button", name="Abmelden"))
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator(".flashes")).to_contain_text("Sie haben sich abgemeldet.")
    expect(page.locator(".signed-in")).to_have_count(0)
    axe_check(page)


def test_login_shows_start_page_with_name(page: Page, live_server: LiveServer) -> None:
    open_login(page)
    screenshot(page, "login-page")
    page.get_by_label("E-Mail-Adresse").fill("caritas@consult.example")
    page.get_by_label("Passwort", exact=True).fill("Demo-Caritas-2026")
    submit(page, page.get_by_role("button", name="Anmelden"))

    expect_start_page(page, live_server, "Jonas Becker (Caritasverband im Kreis Siegtal)")
    expect(page.locator(".flashes")).to_contain_text("Willkommen, Jonas Becker.")
    expect(page.get_by_role("heading", name="Integrationskonzept 2027")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    # A participant sees no administration links.
    expect(page.get_by_role("link", name="Personen")).to_have_count(0)
    screenshot(page, "start-page")


def test_logout_ends_the_session(page: Page, live_server: LiveServer) -> None:
    log_in(page, "polizei@consult.example", "Demo-Polizei-2026")
    expect_start_page(page, live_server, "Sabine Krüger")

    log_out(page, live_server)

    # The start page now sends the browser back to the log-in page.
    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/login\?next=(/|%2F)$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.locator(".signed-in")).to_have_count(0)
    axe_check(page)


def test_logout_after_remember_me_is_final(
    browser: Browser, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    """With "Angemeldet bleiben", the logout deletes the "remember me" cookie, and the
    cookies of before the logout, put back or copied to another browser, log nobody in."""
    open_login(page)
    page.get_by_label("E-Mail-Adresse").fill("buergermeisterin.much@consult.example")
    page.get_by_label("Passwort", exact=True).fill("Demo-Much-2026")
    page.get_by_label("Angemeldet bleiben").check()
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect_start_page(page, live_server, "Petra Lenz")
    kept = [c for c in context.cookies() if c["name"] in (SESSION_COOKIE, REMEMBER_COOKIE)]
    assert {c["name"] for c in kept} == {SESSION_COOKIE, REMEMBER_COOKIE}

    log_out(page, live_server)
    expect(page.locator(".flashes")).to_contain_text("auf anderen Geräten sind beendet")
    assert REMEMBER_COOKIE not in {c["name"] for c in context.cookies()}
    at_login = re.compile(re.escape(live_server.url) + r"/login\?next=(/|%2F)$")
    page.goto("/")
    expect(page).to_have_url(at_login)

    context.add_cookies(kept)  # type: ignore[arg-type]
    page.goto("/")
    expect(page).to_have_url(at_login)
    expect(page.locator(".signed-in")).to_have_count(0)
    elsewhere = browser.new_context(base_url=live_server.url, locale="de-DE")
    try:
        elsewhere.add_cookies(kept)  # type: ignore[arg-type]
        copy = elsewhere.new_page()
        copy.goto("/")
        expect(copy).to_have_url(at_login)
    finally:
        elsewhere.close()


def test_wrong_password_shows_german_error(page: Page, live_server: LiveServer) -> None:
    log_in(page, "caritas@consult.example", "Falsches-Passwort-1", status=401)

    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator(".flash-error")).to_have_text(WRONG_LOGIN)
    expect(page.locator(".signed-in")).to_have_count(0)
    # The address stays filled in; the password does not.
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("caritas@consult.example")
    expect(page.get_by_label("Passwort", exact=True)).to_have_value("")
    axe_check(page)


def test_invitation_sets_password_and_logs_in(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    log_in(page, "admin@consult.example", "Demo-Admin-2026")
    expect_start_page(page, live_server, "Ada Admin")

    # (the start page of an admin without memberships links "Personen verwalten" as well)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Personen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personen")
    axe_check(page)
    page.get_by_role("link", name="Person einladen").click()
    expect(page).to_have_url(live_server.url + "/admin/users/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Person einladen")
    axe_check(page)

    address = "neue.kollegin@consult.example"
    page.get_by_label("Name").fill("Nele Neumann")
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Organisation").select_option(label="Diakonisches Werk Siegtal")
    submit(page, page.get_by_role("button", name="Einladen"))

    expect(page).to_have_url(live_server.url + "/admin/users")
    expect(page.locator(".flash-success")).to_have_text(f"Einladung an {address} verschickt.")
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_contain_text("eingeladen")
    axe_check(page)

    message = live_server.mail_to(address)[-1]
    assert message["Subject"] == "Einladung zu consult"
    link = live_server.link_in_last_mail_to(address)

    # The invited person opens the link in their own browser.
    invitee = browser.new_context(base_url=live_server.url, locale="de-DE")
    try:
        new_page = invitee.new_page()
        new_page.goto(link)
        expect(new_page.get_by_role("heading", level=1)).to_have_text("Willkommen bei consult")
        expect(new_page.locator("main")).to_contain_text("Sie wurden als Nele Neumann eingeladen")
        axe_check(new_page)

        new_page.get_by_label("Neues Passwort").fill("Nele-Startet-2026")
        new_page.get_by_label("Passwort wiederholen").fill("Nele-Startet-2026")
        submit(new_page, new_page.get_by_role("button", name="Passwort speichern"))

        expect_start_page(new_page, live_server, "Nele Neumann (Diakonisches Werk Siegtal)")
        expect(new_page.locator(".flash-success")).to_have_text(
            "Ihr Passwort ist gespeichert. Sie sind angemeldet."
        )
    finally:
        invitee.close()

    # The admin's list now shows the person as active.
    page.reload()
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("aktiv")
    axe_check(page)


def test_password_reset_link_works_once(page: Page, live_server: LiveServer) -> None:
    address = "fraktion@consult.example"
    open_login(page)
    page.get_by_role("link", name="Passwort vergessen?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort vergessen")
    axe_check(page)
    page.get_by_label("E-Mail-Adresse").fill(address)
    submit(page, page.get_by_role("button", name="Link anfordern"))

    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator(".flash-info")).to_contain_text("Link zum Zurücksetzen geschickt")
    axe_check(page)

    message = live_server.mail_to(address)[-1]
    assert message["Subject"] == "Passwort zurücksetzen"
    link = live_server.link_in_last_mail_to(address)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Neues Passwort festlegen")
    axe_check(page)
    new_password = "Kreistag-Sitzung-2027"
    page.get_by_label("Neues Passwort").fill(new_password)
    page.get_by_label("Passwort wiederholen").fill(new_password)
    submit(page, page.get_by_role("button", name="Passwort speichern"))
    expect_start_page(page, live_server, "Klaus Weber")

    log_out(page, live_server)
    # The old password no longer works, the new one does.
    log_in(page, address, "Demo-Fraktion-2026", status=401)
    expect(page.locator(".flash-error")).to_have_text(WRONG_LOGIN)
    axe_check(page)
    log_in(page, address, new_password)
    expect_start_page(page, live_server, "Klaus Weber")
    log_out(page, live_server)

    # A second use of the link is refused with a German page.
    response = page.goto(link)
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text(INVALID_LINK)
    expect(page.get_by_label("Neues Passwort")).to_have_count(0)
    axe_check(page)


def _focused(page: Page) -> str:
    """A short description of the focused element, e.g. ``input#email``."""
    description: str = page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
        " + (e.className ? '.' + String(e.className).split(' ').join('.') : ''); }"
    )
    return description


def _focus_ring(page: Page) -> dict[str, str]:
    ring: dict[str, str] = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor,"
        " shadow: s.boxShadow}; }"
    )
    return ring


def _assert_visible_focus(page: Page) -> None:
    ring = _focus_ring(page)
    width = float(ring["width"].removesuffix("px") or 0)
    assert (ring["style"] not in ("none", "hidden") and width >= 2) or ring["shadow"] != "none", (
        f"no visible focus indicator on {_focused(page)}: {ring}"
    )


def test_keyboard_only_login_with_visible_focus(page: Page, live_server: LiveServer) -> None:
    open_login(page)
    # The address field has the focus on arrival.
    assert _focused(page) == "input#email"
    page.keyboard.type("redaktion@consult.example")
    page.keyboard.press("Tab")
    assert _focused(page) == "input#password"
    _assert_visible_focus(page)
    page.keyboard.type("Demo-Redaktion-2026")
    page.keyboard.press("Tab")
    assert _focused(page) == "input#remember"
    _assert_visible_focus(page)
    page.keyboard.press("Tab")
    assert _focused(page) == "button.button.primary"
    _assert_visible_focus(page)
    # The ring is the style sheet's (a solid outline of at least 3px), not Chromium's thin
    # default ("auto"), which is hard to see on the dark blue button.
    ring = _focus_ring(page)
    assert ring["style"] == "solid" and float(ring["width"].removesuffix("px")) >= 3, ring
    page.keyboard.press("Enter")

    expect_start_page(page, live_server, "Miriam Redaktion")

    # The first Tab stop of the new page is the skip link: it appears and leads to the content.
    page.keyboard.press("Tab")
    assert _focused(page) == "a.skip-link", _focused(page)
    skip = page.locator(".skip-link")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box
    _assert_visible_focus(page)
    page.keyboard.press("Enter")
    assert _focused(page).startswith("main#main"), _focused(page)


def test_language_switch_to_english(page: Page, live_server: LiveServer) -> None:
    open_login(page)
    submit(page, page.get_by_role("button", name="English"))

    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Deutsch")).to_be_visible()
    # The page itself is translated, not only the switch.
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Anmelden")
    expect(page.locator("main")).not_to_contain_text("Passwort vergessen?")
    axe_check(page)

    # The choice is remembered on the next page, and logging in keeps it.
    page.locator("#email").fill("polizei@consult.example")
    page.locator("#password").fill("Demo-Polizei-2026")
    submit(page, page.locator("form:has(#password) button[type=submit]"))
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Beteiligungsverfahren")
    axe_check(page)

    submit(page, page.get_by_role("button", name="Deutsch"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beteiligungsverfahren")
    axe_check(page)
