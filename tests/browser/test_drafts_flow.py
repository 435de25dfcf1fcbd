"""Issue 3 in a real browser: an editor imports a draft, edits it, publishes it, makes a
second revision and reads the diff in all three views.

The test creates its own consultation, so it does not depend on the demo data or on the
order of the tests that share the live server.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LiveServer,
    axe_check,
    confirm_in_dialog,
    screenshot,
    shown_texts,
    submit,
)

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")

# "Für" is typed decomposed (u + combining diaeresis): the app stores and shows it in NFC.
PREAMBLE = (
    "Der Kreis „Siegtal“ heißt alle willkommen – Fu\u0308r ein gutes Miteinander 🤝. "
    "Arabisch: مرحبا بكم في سيغتال، und Türkisch: Hoş geldiniz."
)
DRAFT = f"""# 1 Präambel

{PREAMBLE}

# 2 Bildung

Sprache ist wichtig für die Teilhabe 📚.

- Sprachkurse für Erwachsene
- Elternabende in mehreren Sprachen

# 3 Arbeit

Abschlüsse werden schneller anerkannt.

## 3.1 Beratung

Eine Anlaufstelle berät Arbeitgeber und Fachkräfte.
"""
WORK_EDITED = "Ausländische Abschlüsse werden schneller anerkannt – binnen drei Monaten."
EDUCATION_EDITED = (
    "Sprache ist entscheidend für die Teilhabe 📚.\n\n"
    "- Sprachkurse für Erwachsene\n"
    "- Elternabende in mehreren Sprachen"
)
HEALTH = "Sprachmittlerinnen begleiten Arztbesuche; die Kosten trägt der Kreis."


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def log_in(page: Page, live_server: LiveServer, email: str, password: str) -> None:
    page.goto("/login")
    axe_check(page)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")
    axe_check(page)


def h1(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def edit_section(
    page: Page, link: str, *, title: str | None = None, body: str, check: bool = True
) -> None:
    """From the draft editor: open a section, change it and save.

    ``check``: run axe-core on the section form (once per test is enough: the same
    page with other text).
    """
    page.locator(".outline-title").get_by_role("link", name=link, exact=True).click()
    expect(h1(page)).to_have_text("Abschnitt bearbeiten")
    if check:
        axe_check(page)
    if title is not None:
        page.get_by_label("Überschrift").fill(title)
    page.get_by_label("Text", exact=True).fill(body)
    submit(page, page.get_by_role("button", name="Speichern"))
    expect(page.locator(".flash-success")).to_have_text("Abschnitt gespeichert.")


def publish(page: Page, number: int) -> int:
    """Publish the draft shown in the editor; returns the revision id (reading view)."""
    submit(page, page.get_by_role("button", name=f"Fassung {number} veröffentlichen"))
    expect(page).to_have_url(re.compile(r"/revisions/\d+$"))
    expect(page.locator(".flash-success")).to_have_text(
        f"Fassung {number} ist veröffentlicht und damit eingefroren."
    )
    expect(page.locator(".doc-meta .badge")).to_have_text("veröffentlicht")
    return int(page.url.rsplit("/", 1)[1])


def section(page: Page, title: str) -> Locator:
    """A section of the reading view by its heading's text (key and title)."""
    return page.locator(".doc-section").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def overview_item(page: Page, title: str) -> Locator:
    return page.locator(".diff-overview > li").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )


def test_import_edit_publish_second_revision_and_diff(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, *EDITOR)

    # A new consultation: Verfahren -> "Neues Verfahren".
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verfahren"
    ).click()
    page.get_by_role("link", name="Neues Verfahren").click()
    expect(h1(page)).to_have_text("Neues Beteiligungsverfahren")
    axe_check(page)
    page.get_by_label("Titel").fill("Integrationskonzept Testkreis 🧪")
    page.get_by_label("Beschreibung").fill("Ein Verfahren aus dem Browsertest.")
    submit(page, page.get_by_role("button", name="Anlegen"))
    expect(page).to_have_url(re.compile(r"/consultations/\d+/import$"))
    consultation_id = int(page.url.split("/")[-2])
    expect(h1(page)).to_have_text("Entwurf importieren")
    expect(page.locator(".flash-success")).to_contain_text("Das Verfahren ist angelegt.")
    axe_check(page)

    # Import Markdown: the preview lists the sections before anything is saved.
    expect(page.get_by_label("Markdown: Überschriften mit #, ## …")).to_be_checked()
    page.get_by_label("Text des Entwurfs").fill(DRAFT)
    page.get_by_label("Notiz zur Fassung").fill("Erster Entwurf")
    expect(page.get_by_role("button", name="Als Entwurf übernehmen")).to_have_count(0)
    submit(page, page.get_by_role("button", name="Vorschau"), status=200)
    preview = page.get_by_role("region", name="Vorschau: 4 Abschnitte gefunden")
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.locator("td:nth-child(1)")).to_have_text(["1", "2", "3", "3.1"])
    expect(rows.locator("td:nth-child(2)")).to_have_text(
        ["Präambel", "Bildung", "Arbeit", "Beratung"]
    )
    expect(rows.locator("td:nth-child(3)")).to_have_text(["1", "1", "1", "2"])
    expect(rows.locator("td:nth-child(5)")).to_have_text(["neu"] * 4)
    # The text survives the preview round trip.
    expect(page.get_by_label("Text des Entwurfs")).to_have_value(re.compile("مرحبا بكم"))
    axe_check(page)
    nothing_yet = page.request.get(f"/api/v1/consultations/{consultation_id}/revisions")
    assert nothing_yet.ok, nothing_yet.text()
    assert nothing_yet.json()["revisions"] == []

    submit(page, page.get_by_role("button", name="Als Entwurf übernehmen"))
    expect(h1(page)).to_have_text("Entwurf bearbeiten: Fassung 1")
    expect(page.locator(".flash-success")).to_have_text(
        "Entwurf (Fassung 1) mit 4 Abschnitten angelegt."
    )
    expect(page.locator(".outline-title a")).to_have_text(
        ["1 Präambel", "2 Bildung", "3 Arbeit", "3.1 Beratung"]
    )
    axe_check(page)

    # Edit a section and publish.
    edit_section(page, "3 Arbeit", body=WORK_EDITED)
    expect(page.locator(".outline-title").filter(has_text="3 Arbeit")).to_contain_text(
        f"{len(WORK_EDITED)} Zeichen"
    )
    first_id = publish(page, 1)
    axe_check(page)
    expect(h1(page)).to_have_text("Integrationskonzept Testkreis 🧪")
    expect(page.locator(".toc-list a")).to_have_text(
        ["1 Präambel", "2 Bildung", "3 Arbeit", "3.1 Beratung"]
    )
    # Umlauts, typographic quotes, emoji and Arabic come back exactly (after NFC).
    expect(section(page, "1 Präambel").locator(".block")).to_have_text(nfc(PREAMBLE))
    assert section(page, "1 Präambel").locator(".block").text_content() == nfc(PREAMBLE)
    expect(section(page, "2 Bildung").locator("li.block")).to_have_text(
        ["Sprachkurse für Erwachsene", "Elternabende in mehreren Sprachen"]
    )
    expect(section(page, "3 Arbeit").locator(".block")).to_have_text(WORK_EDITED)
    api = page.request.get(f"/api/v1/revisions/{first_id}")
    assert api.ok, api.text()
    bodies = {s["key"]: s["body"] for s in api.json()["sections"]}
    assert bodies["1"] == nfc(PREAMBLE)
    assert bodies["3"] == WORK_EDITED
    assert api.json()["status"] == "published"

    # A second revision from the first: edit one section, remove one, add one.
    page.get_by_role("link", name="← Integrationskonzept Testkreis 🧪").click()
    expect(page).to_have_url(f"{live_server.url}/consultations/{consultation_id}")
    axe_check(page)
    submit(page, page.get_by_role("button", name="Neuer Entwurf aus Fassung 1"))
    expect(h1(page)).to_have_text("Entwurf bearbeiten: Fassung 2")
    expect(page.locator(".flash-success")).to_have_text("Neuer Entwurf (Fassung 2) angelegt.")
    edit_section(page, "2 Bildung", title="Bildung und Sprache", body=EDUCATION_EDITED, check=False)
    page.get_by_role("button", name="löschen – Beratung").click()
    confirm_in_dialog(page, "Ja, Abschnitt löschen")
    expect(page.locator(".flash-success")).to_have_text("Abschnitt gelöscht.")
    add = page.get_by_role("region", name="Abschnitt hinzufügen")
    add.get_by_label("Nummer").fill("4")
    add.get_by_label("Überschrift").fill("Gesundheit")
    submit(page, add.get_by_role("button", name="Hinzufügen"))
    expect(h1(page)).to_have_text("Abschnitt bearbeiten")
    page.get_by_label("Text", exact=True).fill(HEALTH)
    submit(page, page.get_by_role("button", name="Speichern"))
    expect(page.locator(".outline-title a")).to_have_text(
        ["1 Präambel", "2 Bildung und Sprache", "3 Arbeit", "4 Gesundheit"]
    )
    axe_check(page)
    second_id = publish(page, 2)

    # Unchanged sections share their versions between the revisions.
    api = page.request.get(f"/api/v1/revisions/{second_id}")
    assert api.ok, api.text()
    first_versions = {
        s["key"]: s["version_id"]
        for s in page.request.get(f"/api/v1/revisions/{first_id}").json()["sections"]
    }
    second_versions = {s["key"]: s["version_id"] for s in api.json()["sections"]}
    assert second_versions["1"] == first_versions["1"]
    assert second_versions["3"] == first_versions["3"]
    assert second_versions["2"] != first_versions["2"]

    # The diff: overview first (the compare form defaults to the base revision).
    expect(page.get_by_label("Vergleichen mit")).to_have_value(str(first_id))
    page.get_by_role("button", name="Vergleich anzeigen").click()
    expect(h1(page)).to_have_text("Vergleich: Fassung 1 → Fassung 2")
    expect(page.get_by_role("link", name="Übersicht")).to_have_attribute("aria-current", "page")
    expect(page.locator(".diff-summary")).to_contain_text(
        "1 geändert, 1 neu, 1 entfernt, 0 verschoben, 2 unverändert."
    )
    expected_badges = {
        "1 Präambel": "unverändert",
        "2 Bildung und Sprache": "geändert",
        "3 Arbeit": "unverändert",
        "3.1 Beratung": "entfernt",
        "4 Gesundheit": "neu",
    }
    for title, badge in expected_badges.items():
        expect(overview_item(page, title).locator(".badge")).to_have_text(badge)
    expect(page.locator(".diff-overview > li")).to_have_count(5)
    axe_check(page)

    # "nur Änderungen" leaves the three changes; with the shortcuts switched on, "n" and
    # "p" move the focus between them.
    page.get_by_label("nur Änderungen").check()
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"only=changes"))
    items = page.locator(".diff-overview > li")
    expect(items).to_have_count(3)
    expect(items.locator(".badge")).to_have_text(["geändert", "entfernt", "neu"])
    page.get_by_role("switch", name="Tastenkürzel").check()
    page.locator("h1").click()  # focus is on the page, not in a form field
    page.keyboard.press("n")
    expect(page.locator("#change-0")).to_be_focused()
    page.keyboard.press("n")
    expect(page.locator("#change-1")).to_be_focused()
    expect(page.locator("#change-1")).to_contain_text("3.1 Beratung")
    expect(page).to_have_url(re.compile(r"#change-1$"))
    page.keyboard.press("p")
    expect(page.locator("#change-0")).to_be_focused()

    # The inline view: word-level <del>/<ins> in the text and in the title.
    page.get_by_role("link", name="Änderungen im Text").click()
    expect(page.get_by_role("link", name="Änderungen im Text")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator(".legend ins")).to_have_text("eingefügt")
    expect(page.locator(".legend del")).to_have_text("gestrichen")
    # (Filtered by "Bildung": the text of the title holds the hidden words around
    # "und Sprache".)
    changed = page.locator(".diff-section").filter(has_text="Bildung")
    assert shown_texts(changed.locator(".section-title ins")) == ["und Sprache"]
    expect(changed.locator(".section-title .badge")).to_have_text("geändert")
    assert shown_texts(changed.locator(".diff-body del")) == ["wichtig"]
    assert shown_texts(changed.locator(".diff-body ins")) == ["entscheidend"]
    # For screen readers, hidden words say where each change starts and ends.
    expect(changed.locator(".diff-body ins")).to_have_text(
        "eingefügt: entscheidend (Ende der Einfügung)"
    )
    removed = page.locator(".diff-section").filter(has_text="Beratung")
    assert shown_texts(removed.locator(".diff-body del")) == [
        "Eine Anlaufstelle berät Arbeitgeber und Fachkräfte."
    ]
    expect(removed.locator(".diff-body ins")).to_have_count(0)
    added = page.locator(".diff-section").filter(has_text="Gesundheit")
    assert shown_texts(added.locator(".diff-body ins")) == [HEALTH]
    expect(added.locator(".section-title .badge")).to_have_text("neu")
    # Only changes are listed: the unchanged preamble is not.
    expect(page.locator(".diff-section")).to_have_count(3)
    axe_check(page)
    page.keyboard.press("n")
    expect(page.locator("#change-0")).to_be_focused()
    screenshot(page, "drafts-diff-inline")

    # The synopsis: old text with <del> on the left, new text with <ins> on the right.
    page.get_by_role("link", name="Synopse").click()
    expect(page.get_by_role("link", name="Synopse")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table", name="Synopse: links Fassung 1, rechts Fassung 2")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Fassung 1 (bisher)", "Fassung 2 (neu)"]
    )
    row = table.locator("tbody tr").filter(has_text="Bildung")
    old, new = row.locator("td").nth(0), row.locator("td").nth(1)
    assert shown_texts(old.locator(".diff-body del")) == ["wichtig"]
    expect(old.locator("ins")).to_have_count(0)
    assert shown_texts(old.locator(".syn-title")) == ["2 Bildung"]
    assert shown_texts(new.locator(".diff-body ins")) == ["entscheidend"]
    expect(new.locator(".diff-body del")).to_have_count(0)
    expect(new.locator(".badge")).to_have_text("geändert")
    removed_row = table.locator("tbody tr").filter(has_text="Beratung")
    expect(removed_row.locator("td").nth(1)).to_have_text("(entfernt)")
    added_row = table.locator("tbody tr").filter(has_text="Gesundheit")
    expect(added_row.locator("td").nth(0)).to_have_text("(nicht vorhanden)")
    expect(added_row.locator("td").nth(1).locator(".badge")).to_have_text("neu")
    axe_check(page)
    page.keyboard.press("n")
    expect(page.locator("#change-0")).to_be_focused()
    screenshot(page, "drafts-diff-synopsis")

    # Without the filter the synopsis also shows the unchanged sections.
    page.get_by_label("nur Änderungen").uncheck()
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("link", name="Synopse")).to_have_attribute("aria-current", "page")
    expect(table.locator("tbody tr")).to_have_count(5)
