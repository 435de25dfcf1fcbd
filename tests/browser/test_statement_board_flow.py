"""Issue 12 in a real browser, the editors' side: the editor opens the statements board
from the round's page, records a letter with its scan, sees it counted on the board and
in the chart, reminds the pending municipalities (confirmed in a dialog) and downloads the
annex as DOCX and PDF. Every page passes axe-core.

The round is set up through the services in a consultation of its own, so that the test
depends neither on the demo's rounds nor on the other tests sharing the live server (the
demo's 19 municipalities are all invited, as in any round that asks the municipalities).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import User
from consult.services import consultations, drafts, rounds
from consult.services.rounds import BERLIN
from tests.browser.conftest import LiveServer, axe_check, confirm_in_dialog, screenshot, submit
from tests.services.statement_world import minimal_pdf

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")
MAYORS = ("buergermeister.siegburg@consult.example", "buergermeisterin.much@consult.example")
TITLE = "Leitbild Sport (Stellungnahmen)"
ROUND = "Runde Stellungnahmen im Browser"
DRAFT = """# 1 Leitbild

Der Kreis fördert Sport in allen Kommunen.

# 2 Hallen

Jede Gemeinde erhält eine Sporthalle.
"""


def statement_round(live_server: LiveServer) -> int:
    """An open round of a new consultation that asks the municipalities; the mayors of
    Siegburg and Much are its municipality members."""
    app = live_server.app
    assert app is not None
    with app.app_context(), database(app).session_scope() as db:
        editor = db.scalar(select(User).where(User.email == EDITOR[0]))
        assert editor is not None
        editor.password_hash = generate_password_hash(EDITOR[1])  # another test may change it
        editor.is_active = True
        consultation = consultations.create_consultation(db, actor=editor, title=TITLE)
        revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=DRAFT)
        drafts.publish(db, revision.id, actor=editor)
        for email in MAYORS:
            mayor = db.scalar(select(User).where(User.email == email))
            assert mayor is not None, email
            mayor.is_active = True
            consultations.set_member(
                db, consultation.id, mayor.id, actor=editor, role="municipality"
            )
        now = utcnow()
        round_ = rounds.create_round(
            db,
            consultation.id,
            actor=editor,
            revision_id=revision.id,
            title=ROUND,
            opens_at=now - timedelta(days=2),
            closes_at=now + timedelta(days=5),
            working_group_ids=[],
            municipalities=True,
            visibility="round",
            notify=False,
        )
        return round_.id


def log_in(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(EDITOR[0])
    page.get_by_label("Passwort", exact=True).fill(EDITOR[1])
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")


def test_the_editor_records_a_letter_reminds_and_downloads_the_annex(
    page: Page, live_server: LiveServer
) -> None:
    round_id = statement_round(live_server)
    log_in(page, live_server)
    page.goto(f"/rounds/{round_id}")
    axe_check(page)
    page.get_by_role("link", name="Stellungnahmen der Kommunen (0 von").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stellungnahmen der Kommunen")
    invited = page.locator("table.board-table tbody tr").count()
    assert invited >= 19
    axe_check(page)

    # A letter from Eitorf, received yesterday, with its scan.
    page.get_by_role("link", name="Eingang auf Papier erfassen").click()
    axe_check(page)
    page.get_by_label("Kommune", exact=True).select_option(label="Eitorf")
    page.get_by_label("Eingangsweg").select_option(label="Brief")
    received = (utcnow() - timedelta(days=1)).astimezone(BERLIN)
    page.get_by_label("Eingegangen am").fill(received.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Eingangsnummer").fill("E-2026-4711")
    page.get_by_label("Haltung der Kommune").select_option(label="Ablehnung")
    page.get_by_label("Text der Stellungnahme").fill(
        "Die Gemeinde Eitorf lehnt den Entwurf ab: Die Hallen übersteigen den Haushalt."
    )
    page.get_by_label("Unterzeichnet von").fill("Rainer Viehof")
    page.get_by_label("Funktion", exact=True).fill("Bürgermeister")
    page.get_by_label("Scan des Schreibens (PDF)").set_input_files(
        {"name": "Brief Eitorf.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}
    )
    submit(page, page.get_by_role("button", name="Stellungnahme erfassen"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Die Stellungnahme von Eitorf ist erfasst"
    )
    row = page.locator("table.board-table tbody tr", has_text="Eitorf")
    expect(row).to_contain_text("eingereicht")
    expect(row).to_contain_text("Ablehnung")
    expect(row).to_contain_text("Eingangsnr. E-2026-4711")
    expect(page.get_by_text(f"1 von {invited} Kommunen hat Stellung genommen.")).to_be_visible()
    chart = page.locator("figure.board-chart")
    expect(chart.locator("svg rect.chart-rejection")).to_have_count(1)
    expect(chart.locator("table caption")).to_have_text("Haltungen der Kommunen: Anzahl je Haltung")
    axe_check(page)
    screenshot(page, "statement-board")

    # Remind the pending ones: the dialog names how many get an e-mail.
    page.get_by_role("button", name="Ausstehende Kommunen erinnern").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "2 Kommunen ohne Stellungnahme werden erinnert: Much und Siegburg."
    )
    axe_check(page)
    confirm_in_dialog(page, "Ja, Kommunen erinnern")
    expect(page.locator(".flash-success")).to_contain_text(
        "2 Kommunen erinnert: Much und Siegburg."
    )
    for address in MAYORS:
        bodies = [
            str(m.get_body(preferencelist=("plain",)).get_content())
            for m in live_server.mail_to(address)
        ]  # type: ignore[union-attr]
        assert any(TITLE in body or ROUND in body for body in bodies), address
    expect(page.locator("table.board-table tbody tr", has_text="Siegburg")).not_to_contain_text(
        "nein"
    )
    axe_check(page)

    # The annex for the council, as DOCX and PDF.
    with page.expect_download() as info:
        page.get_by_role("link", name="Word-Datei (DOCX)").click()
    download = info.value
    assert download.suggested_filename == f"anhang-stellungnahmen-runde-{round_id}.docx"
    path = download.path()
    document = Document(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Stellungnahme Eitorf" in text and "übersteigen den Haushalt" in text
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = info.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert pdf.path().read_bytes().startswith(b"%PDF-")
