"""Issue 11, items 4 and 9 in a real browser: the editor publishes a finished round's
decisions and its response table from the round's page (each confirmed in a dialog); the
author gets one e-mail; the participant then reads what became of their items on the round
page, opens the response table, leaves out the names and downloads it. Every page passes
axe-core.

The round is set up through the services (its own consultation, so that the test depends
neither on the demo's published round nor on the other tests sharing the live server).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import Placement, User
from consult.services import consultations, decisions, drafts, feedback, rounds, working_groups
from tests.browser.conftest import LiveServer, axe_check, confirm_in_dialog, screenshot, submit

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")
CARITAS = ("caritas@consult.example", "Demo-Caritas-2026")
ROUND = "Runde Abwägung im Browser"
DRAFT = """# 1 Leitbild

Der Kreis begrüßt Vielfalt. Vereine gestalten mit.

# 2 Sprache

Sprachkurse gibt es in jeder Stadt.
"""


def finished_round(live_server: LiveServer) -> int:
    """A closed round with a comment and a suggestion by Caritas, both decided."""
    app = live_server.app
    assert app is not None
    with app.app_context(), database(app).session_scope() as db:
        people = {
            email: db.scalar(select(User).where(User.email == email))
            for email, _password in (EDITOR, CARITAS)
        }
        for (email, password), user in zip((EDITOR, CARITAS), people.values(), strict=True):
            assert user is not None, email
            user.password_hash = generate_password_hash(password)  # another test may change it
            user.is_active = True
        editor, caritas = people[EDITOR[0]], people[CARITAS[0]]
        consultation = consultations.create_consultation(
            db, actor=editor, title="Leitbild Vielfalt (Abwägung)"
        )
        revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=DRAFT)
        drafts.publish(db, revision.id, actor=editor)
        sections = dict(
            db.execute(
                select(Placement.key, Placement.section_id).where(
                    Placement.revision_id == revision.id
                )
            ).all()
        )
        group = working_groups.create_working_group(
            db, consultation.id, actor=editor, name="AK Vielfalt"
        )
        assert caritas is not None
        consultations.set_member(
            db,
            consultation.id,
            caritas.id,
            actor=editor,
            role="participant",
            working_group_ids=[group.id],
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
            working_group_ids=[group.id],
            visibility="round",
            notify=False,
        )
        comment = feedback.create_comment(
            db,
            revision.id,
            sections["1"],
            actor=caritas,
            quote="Vereine gestalten mit.",
            body="Welche Vereine sind gemeint?",
        )
        suggestion = feedback.create_suggestion(
            db,
            revision.id,
            sections["2"],
            actor=caritas,
            quote="in jeder Stadt",
            replacement="in jeder Stadt und Gemeinde",
            reason="Auch die Gemeinden brauchen Kurse.",
        )
        decisions.decide(
            db,
            comment.id,
            actor=editor,
            decision="considered",
            response="Gemeint sind alle Vereine; der Text sagt es jetzt.",
        )
        decisions.decide(db, suggestion.id, actor=editor, decision="accept")
        round_.closed_early_at = utcnow()
        return round_.id


def log_in(page: Page, live_server: LiveServer, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")


def test_the_editor_publishes_and_the_participant_reads(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    round_id = finished_round(live_server)
    log_in(page, live_server, *EDITOR)
    page.goto(f"/rounds/{round_id}")
    outcome = page.locator("section.outcome")
    expect(outcome).to_contain_text("2 von 2 Beiträgen entschieden")
    expect(outcome).to_contain_text("1 Person bekommt dann eine E-Mail")
    axe_check(page)

    outcome.get_by_role("button", name="Abwägung veröffentlichen").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text(
        f"Abwägung der Runde „{ROUND}“ veröffentlichen?"
    )
    expect(dialog).to_contain_text("1 Person bekommt dazu eine E-Mail.")
    axe_check(page)
    confirm_in_dialog(page, "Ja, Abwägung veröffentlichen")
    expect(page.locator(".flash-success")).to_contain_text("Die Abwägung ist veröffentlicht.")
    expect(outcome).to_contain_text(
        re.compile(r"Veröffentlicht am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr von Miriam Redaktion\.")
    )
    expect(outcome.get_by_role("button", name="Abwägung veröffentlichen")).to_have_count(0)
    axe_check(page)

    outcome.get_by_role("button", name="Abwägungstabelle veröffentlichen").click()
    confirm_in_dialog(page, "Ja, Tabelle veröffentlichen")
    expect(page.locator(".flash-success")).to_contain_text(
        "Die Abwägungstabelle ist veröffentlicht"
    )
    expect(outcome.get_by_role("button")).to_have_count(0)
    screenshot(page, "round-outcome-editor")

    # One e-mail for Caritas, naming the decisions.
    mails = [
        m
        for m in live_server.mail_to(CARITAS[0])
        if m["Subject"] == f"Was aus Ihren Beiträgen wurde – {ROUND}"
    ]
    assert len(mails) == 1
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Entscheidung: berücksichtigt" in text and "Entscheidung: übernommen" in text

    # The participant, in a browser of their own.
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    try:
        reader = context.new_page()
        log_in(reader, live_server, *CARITAS)
        reader.goto(f"/rounds/{round_id}")
        mine = reader.locator("ol.own-outcomes > li")
        expect(mine).to_have_count(2)
        expect(mine.first).to_contain_text("berücksichtigt")
        expect(mine.first).to_contain_text("Gemeint sind alle Vereine; der Text sagt es jetzt.")
        expect(reader.get_by_role("button", name="Abwägung veröffentlichen")).to_have_count(0)
        axe_check(reader)

        reader.get_by_role("link", name="Abwägungstabelle der Runde lesen").click()
        expect(reader.get_by_role("heading", level=1)).to_have_text("Abwägungstabelle")
        table = reader.get_by_role("table")
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table).to_contain_text("Jonas Becker")
        expect(table).to_contain_text("in jeder Stadt und Gemeinde")
        axe_check(reader)
        screenshot(reader, "response-table-participant")

        reader.get_by_label("ohne Namen der Verfassenden (die Organisation bleibt)").check()
        reader.get_by_role("button", name="Anzeigen").click()
        expect(reader).to_have_url(re.compile(r"/responses\?names=0$"))
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table).not_to_contain_text("Jonas Becker")
        expect(table).to_contain_text("Caritasverband im Kreis Siegtal")
        axe_check(reader)

        link = reader.get_by_role("link", name="CSV für Excel")
        href = link.get_attribute("href")
        assert href == f"/rounds/{round_id}/responses.csv?names=0"
        download = reader.request.get(href)
        assert download.ok and download.headers["content-type"].startswith("text/csv")
        assert "Jonas Becker" not in download.text()
        assert "Gemeint sind alle Vereine" in download.text()
    finally:
        context.close()
