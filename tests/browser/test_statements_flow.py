"""Issue 12 in a real browser, the municipality's side: the clerk drafts the statement,
the mayor returns it with a reason, the clerk revises it, the mayor releases it; it is
then version 1. axe-core on every page visited.

The test sets up a consultation of its own (through the services, in the live server's
process), so it does not depend on the demo data or on the order of the tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import Membership, Organisation, User
from consult.services import consultations as consultation_service
from consult.services import drafts
from consult.services import rounds as round_service
from tests.browser.conftest import LiveServer, axe_check, screenshot, submit

pytestmark = pytest.mark.browser

PASSWORD = "Stellungnahme-im-Browser-2026"
DRAFT = """# 1 Leitbild

Der Kreis versteht Vielfalt als Stärke.

# 2 Bildung

Sprachförderung beginnt in der Kita.
"""


@dataclass(frozen=True)
class Seeded:
    round_id: int
    town: str
    clerk: str
    mayor: str


def seed(live_server: LiveServer) -> Seeded:
    """A published revision and an open round that asks the municipalities; the town
    has a clerk (drafting staff) and a mayor (signatory)."""
    app = live_server.app
    assert app is not None
    tag = secrets.token_hex(4)
    with app.app_context(), database(app).session_scope() as db:
        county = Organisation(name=f"Kreis Siegtal {tag}", kind="administration", is_active=True)
        town = Organisation(name=f"Stadt Lohmar {tag}", kind="municipality", is_active=True)
        db.add_all([county, town])
        db.flush()

        def user(name: str, email: str, organisation: Organisation, admin: bool = False) -> User:
            found = User(
                email=email,
                email_key=email.lower(),
                name=name,
                organisation=organisation,
                is_admin=admin,
                is_active=True,
                password_hash=generate_password_hash(PASSWORD),
            )
            db.add(found)
            db.flush()
            return found

        admin = user("Anton Admin", f"admin-{tag}@example.org", county, admin=True)
        editor = user("Mara Merz", f"merz-{tag}@example.org", county)
        clerk = user("Sabine Schreiber", f"schreiber-{tag}@example.org", town)
        mayor = user("Lena Lorenz", f"lorenz-{tag}@example.org", town)
        consultation = consultation_service.create_consultation(
            db, actor=admin, title=f"Integrationskonzept (Stellungnahmen {tag})"
        )
        db.add(Membership(consultation_id=consultation.id, user_id=editor.id, role="editor"))
        db.flush()
        for person, signs in ((clerk, False), (mayor, True)):
            consultation_service.set_member(
                db,
                consultation.id,
                person.id,
                actor=editor,
                role="municipality",
                signatory=signs,
                signatory_function="Bürgermeisterin" if signs else None,
            )
        revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=DRAFT)
        drafts.publish(db, revision.id, actor=editor)
        now = utcnow()
        round_ = round_service.create_round(
            db,
            consultation.id,
            actor=editor,
            revision_id=revision.id,
            title="Stufe 2: Kommunen",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=10),
            working_group_ids=[],
            municipalities=True,
            visibility="editors",
            notify=False,
        )
        return Seeded(round_.id, town.name, clerk.email, mayor.email)


def log_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Anmelden"))
    expect(page).to_have_url(live_server.url + "/")


def person(browser: Browser, live_server: LiveServer, email: str) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, live_server, email)
    return page


def open_statement(page: Page, seeded: Seeded) -> None:
    page.goto(f"/rounds/{seeded.round_id}")
    entry = page.locator(".statement-entry")
    expect(entry).to_contain_text("Stellungnahme Ihrer Kommune")
    axe_check(page)
    entry.get_by_role("link", name="Zur Stellungnahme Ihrer Kommune").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Stellungnahme von {seeded.town}")
    expect(page.locator(".statement-deadline")).to_contain_text("bis ")


def test_clerk_drafts_mayor_returns_clerk_revises_mayor_releases(
    browser: Browser, live_server: LiveServer
) -> None:
    seeded = seed(live_server)
    clerk = person(browser, live_server, seeded.clerk)
    mayor = person(browser, live_server, seeded.mayor)
    try:
        # The clerk drafts: no "einreichen" for staff.
        open_statement(clerk, seeded)
        axe_check(clerk)
        form = clerk.locator("#stellungnahme")
        expect(form.get_by_role("button", name="Stellungnahme einreichen")).to_have_count(0)
        form.get_by_label("Einvernehmen mit Anmerkungen").check()
        form.get_by_label("Text der Stellungnahme").fill(
            "Die Stadt begrüßt den Entwurf. Sprachförderung in den Kitas ist uns wichtig."
        )
        form.get_by_label("Abschnitt").first.select_option(label="2 Bildung")
        form.get_by_label("Anmerkung zu diesem Abschnitt").first.fill("Bitte Tagespflege nennen.")
        submit(clerk, form.get_by_role("button", name="Entwurf speichern"))
        expect(clerk.locator(".flash-success")).to_contain_text("Der Entwurf ist gespeichert.")
        axe_check(clerk)

        # The mayor returns it, with a reason (required).
        open_statement(mayor, seeded)
        release = mayor.locator(".statement-release")
        expect(release).to_contain_text("Entwurf prüfen")
        axe_check(mayor)
        submit(mayor, release.get_by_role("button", name="Zurückgeben"), status=422)
        expect(mayor.locator(".error-summary")).to_contain_text("Begründung für die Rückgabe")
        axe_check(mayor)
        mayor.get_by_label("Begründung für die Rückgabe").fill(
            "Bitte die Kosten für die Stadt ergänzen."
        )
        submit(mayor, mayor.locator(".statement-release").get_by_role("button", name="Zurückgeben"))
        expect(mayor.locator(".flash-success")).to_contain_text("zur Überarbeitung zurückgegeben")

        # The clerk sees the reason and revises.
        clerk.goto(f"/rounds/{seeded.round_id}/statement")
        expect(clerk.locator(".statement-returned")).to_contain_text(
            "Bitte die Kosten für die Stadt ergänzen."
        )
        axe_check(clerk)
        form = clerk.locator("#stellungnahme")
        form.get_by_label("Text der Stellungnahme").fill(
            "Die Stadt begrüßt den Entwurf. Die zusätzlichen Kosten trägt der Kreis."
        )
        submit(clerk, form.get_by_role("button", name="Entwurf speichern"))
        expect(clerk.locator(".flash-success")).to_contain_text("freigeben und einreichen")

        # The mayor releases it: version 1.
        mayor.goto(f"/rounds/{seeded.round_id}/statement")
        expect(mayor.get_by_label("Text der Stellungnahme")).to_have_value(
            "Die Stadt begrüßt den Entwurf. Die zusätzlichen Kosten trägt der Kreis."
        )
        submit(mayor, mayor.get_by_role("button", name="Freigeben und einreichen"))
        expect(mayor.locator(".flash-success")).to_contain_text(
            "Ihre Stellungnahme ist eingereicht (Fassung 1)"
        )
        confirmation = mayor.locator("#bestaetigung")
        expect(confirmation).to_contain_text("Eingereicht: Fassung 1")
        expect(confirmation).to_be_focused()
        axe_check(mayor)
        screenshot(mayor, "statement-released")

        versions = mayor.locator("table").filter(has_text="Eingereicht von")
        expect(versions.locator("tbody tr")).to_have_count(1)
        versions.get_by_role("link", name="Fassung 1").click()
        expect(mayor.get_by_role("heading", level=1)).to_contain_text("Fassung 1")
        expect(mayor.locator(".statement-body")).to_contain_text("Die zusätzlichen Kosten")
        expect(mayor.locator("main")).to_contain_text("Lena Lorenz, Bürgermeisterin")
        expect(mayor.locator("main")).to_contain_text("Bitte Tagespflege nennen.")
        axe_check(mayor)
    finally:
        clerk.context.close()
        mayor.context.close()
