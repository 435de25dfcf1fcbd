"""Issue 11, items 6 and 7, in a real browser: an editor with accepted suggestions opens
the merge preview from the consultation page, edits a section in the same step, updates
the preview, creates the new revision with a note, reads its diff and follows a change to
the suggestion that caused it; axe-core on every page.

The test sets up a consultation of its own (through the services, in the live server's
process), so it does not depend on the demo data or on the order of the tests.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import Membership, Organisation, User
from consult.services import consultations as consultation_service
from consult.services import decisions, drafts, working_groups
from consult.services import feedback as feedback_service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from tests.browser.conftest import LiveServer, axe_check, screenshot, submit

pytestmark = pytest.mark.browser

PASSWORD = "Einarbeitung-im-Browser-2026"
DRAFT = """# 1 Leitbild

Der Kreis versteht Vielfalt als Stärke. Alle sollen teilhaben.

# 2 Bildung

Sprachförderung beginnt in der Kita. Eltern werden früh beteiligt.

# 3 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen.
"""


@dataclass(frozen=True)
class Seeded:
    consultation_id: int
    revision_id: int
    editor_email: str
    accepted_id: int
    modified_id: int


def seed(live_server: LiveServer, *, overlapping: bool = False) -> Seeded:
    """A published revision, an open round, two suggestions by a participant: one
    accepted, one accepted modified (``overlapping``: both on the same words)."""
    app = live_server.app
    assert app is not None
    tag = secrets.token_hex(4)
    with app.app_context(), database(app).session_scope() as db:
        org = Organisation(name=f"Kreis Siegtal {tag}", kind="administration", is_active=True)
        welfare = Organisation(name=f"Caritas Siegtal {tag}", kind="welfare", is_active=True)
        db.add_all([org, welfare])
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

        admin = user("Anton Admin", f"admin-{tag}@example.org", org, admin=True)
        editor = user("Mara Merz", f"merz-{tag}@example.org", org)
        alice = user("Alice Arendt", f"alice-{tag}@example.org", welfare)
        consultation = consultation_service.create_consultation(
            db, actor=admin, title=f"Integrationskonzept (Einarbeitung {tag})"
        )
        db.add(Membership(consultation_id=consultation.id, user_id=editor.id, role="editor"))
        db.flush()
        revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=DRAFT)
        drafts.publish(db, revision.id, actor=editor)
        group = working_groups.create_working_group(
            db, consultation.id, actor=editor, name="AK Bildung"
        )
        consultation_service.set_member(
            db,
            consultation.id,
            alice.id,
            actor=editor,
            role="participant",
            working_group_ids=[group.id],
        )
        now = utcnow()
        round_service.create_round(
            db,
            consultation.id,
            actor=editor,
            revision_id=revision.id,
            title="Erste Runde",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=10),
            working_group_ids=[group.id],
            visibility="round",
            notify=False,
        )
        placements = {p.key: p for p in revision_service.outline(db, revision).placements}

        def suggest(key: str, quote: str, replacement: str) -> int:
            placement = placements[key]
            start = placement.version.body.index(quote)
            made = feedback_service.create_suggestion(
                db,
                revision.id,
                placement.section_id,
                actor=alice,
                anchor={"start": start, "end": start + len(quote), "quote": quote},
                replacement=replacement,
                reason="So ist es genauer.",
            )
            return made.id

        accepted = suggest("2", "Sprachförderung", "Sprachbildung")
        if overlapping:
            modified = suggest("2", "Sprachförderung beginnt", "Sprachbildung startet")
        else:
            modified = suggest("3", "beschleunigen", "deutlich beschleunigen")
        decisions.decide(db, accepted, actor=editor, decision="accept")
        decisions.decide(
            db,
            modified,
            actor=editor,
            decision="accept_modified",
            replacement="zügig anerkennen",
            response="Übernommen, sprachlich geglättet.",
        )
        return Seeded(consultation.id, revision.id, editor.email, accepted, modified)


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Anmelden"))


def test_an_editor_merges_and_follows_a_change_to_its_suggestion(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server)
    log_in(page, seeded.editor_email)

    # The consultation page says that two accepted suggestions wait.
    page.goto(f"/consultations/{seeded.consultation_id}")
    axe_check(page)
    page.get_by_role("link", name="Neue Fassung aus 2 angenommenen Vorschlägen").click()
    expect(page).to_have_url(re.compile(rf"/revisions/{seeded.revision_id}/merge$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Neue Fassung aus den angenommenen Vorschlägen"
    )
    education = page.locator("section.merge-section").filter(has_text="Bildung")
    expect(education.locator("ins").first).to_contain_text("Sprachbildung")
    expect(education.locator(".why-list")).to_contain_text(
        f"Änderungsvorschlag Nr. {seeded.accepted_id} von Alice Arendt"
    )
    axe_check(page)

    # A hover over a change's reference shows its cause (static/js/why.js).
    education.locator(".why-ref a").first.hover()
    expect(page.locator("#why-popover")).to_be_visible()
    expect(page.locator("#why-popover")).to_contain_text("Alice Arendt")
    page.keyboard.press("Escape")
    expect(page.locator("#why-popover")).to_be_hidden()

    # The editor edits an unchanged section in the same step.
    page.locator("details.merge-unchanged summary").click()
    submit(
        page,
        page.get_by_role("button", name=re.compile(r"^Bearbeiten \(Abschnitt 1 Leitbild\)$")),
        status=200,
    )
    text = page.get_by_label("Neuer Text von Abschnitt 1 Leitbild")
    expect(text).to_be_focused()
    axe_check(page)
    text.fill("Der Kreis versteht Vielfalt als Stärke und Chance. Alle sollen teilhaben.")
    leitbild = page.locator("section.merge-section").filter(has=text)
    submit(page, leitbild.get_by_role("button", name="Vorschau aktualisieren"), status=200)
    leitbild = page.locator("section.merge-section").filter(
        has=page.get_by_label("Neuer Text von Abschnitt 1 Leitbild")
    )
    expect(leitbild.locator("ins").first).to_contain_text("und Chance")
    expect(leitbild.locator(".why-list")).to_contain_text("Redaktionelle Änderung von Mara Merz")
    axe_check(page)
    screenshot(page, "merge-preview")

    # Confirm with a note: the new draft's diff.
    page.get_by_label("Anmerkung zur Fassung").fill("Einarbeitung der ersten Runde")
    submit(page, page.get_by_role("button", name="Neue Fassung anlegen"))
    expect(page).to_have_url(re.compile(r"/revisions/\d+/diff\?against=\d+&view=inline$"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Fassung 2 ist als Entwurf angelegt; 2 Vorschläge sind eingearbeitet."
    )
    axe_check(page)
    screenshot(page, "merge-diff-causes")
    # The other two views name the causes too.
    diff_url = page.url
    page.get_by_role("link", name="Synopse").click()
    expect(page.locator(f"td #change-fb-{seeded.accepted_id}")).to_contain_text("Alice Arendt")
    axe_check(page)
    screenshot(page, "merge-diff-synopsis")
    page.get_by_role("link", name="Übersicht").click()
    expect(page.locator(f"#change-fb-{seeded.modified_id}")).to_contain_text("geändert übernommen")
    expect(page.locator(".diff-overview")).to_contain_text("redaktionelle Änderung (Mara Merz)")
    axe_check(page)
    screenshot(page, "merge-diff-overview")
    page.goto(diff_url)

    # Why did "Sprachbildung" come in? Its reference leads to the cause, the cause to the
    # suggestion in the reading view.
    reference = page.locator(f'.why-ref a[href="#change-fb-{seeded.accepted_id}"]')
    reference.click()
    expect(page).to_have_url(re.compile(rf"#change-fb-{seeded.accepted_id}$"))
    cause = page.locator(f"#change-fb-{seeded.accepted_id}")
    expect(cause).to_contain_text("übernommen")
    expect(page.locator(".why-list").filter(has_text="zügig")).to_have_count(0)
    modified = page.locator(f"#change-fb-{seeded.modified_id}")
    expect(modified).to_contain_text("geändert übernommen")
    expect(modified).to_contain_text("Übernommen, sprachlich geglättet.")
    cause.get_by_role("link", name=re.compile("Vorschlag im Text ansehen")).click()
    expect(page).to_have_url(
        re.compile(rf"/revisions/{seeded.revision_id}#fb-{seeded.accepted_id}$")
    )
    item = page.locator(f"#fb-{seeded.accepted_id}")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Alice Arendt")
    expect(item).to_be_in_viewport()
    axe_check(page)


def test_overlapping_suggestions_are_a_warning_that_leads_to_the_items(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server, overlapping=True)
    log_in(page, seeded.editor_email)
    page.goto(f"/revisions/{seeded.revision_id}/merge")
    warning = page.locator("section.merge-blocked")
    expect(warning.get_by_role("heading")).to_have_text("Angenommene Vorschläge überschneiden sich")
    expect(warning).to_contain_text(f"Überschneidet sich mit: Nr. {seeded.modified_id}")
    expect(page.get_by_role("button", name="Neue Fassung anlegen")).to_have_count(0)
    axe_check(page)
    warning.get_by_role(
        "link", name=f"Im Text ansehen und neu entscheiden (Nr. {seeded.modified_id})"
    ).click()
    expect(page).to_have_url(
        re.compile(rf"/revisions/{seeded.revision_id}#fb-{seeded.modified_id}$")
    )
    expect(page.locator(f"#fb-{seeded.modified_id}")).to_be_in_viewport()
