"""Issue 14 in a real browser: notification settings, search from the header
(highlighted hits, a filter, a hit followed into the reading view, what a participant
may not see), the consultation's audit log (German entries, a filter, the CSV, closed
to participants) and data protection (the public privacy page, the data download,
erasing one's own account); axe-core on every page.

Notification settings: a participant chooses per kind on the profile; a mail's one-click
unsubscribe link works without logging in.

The test sets up a consultation of its own (through the services, in the live server's
process), so it does not depend on the demo data or on the order of the tests.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from consult.db import database, utcnow
from consult.models import Membership, NotificationKind, NotificationMode, Organisation, User
from consult.services import consultations as consultation_service
from consult.services import decisions, drafts, notification_settings, working_groups
from consult.services import feedback as feedback_service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from tests.browser.conftest import (
    LiveServer,
    axe_check,
    confirm_in_dialog,
    screenshot,
    submit,
)

pytestmark = pytest.mark.browser

PASSWORD = "Suche-und-Protokoll-im-Browser-2026"
DRAFT = """# 1 Leitbild

Der Kreis versteht Vielfalt als Stärke. Alle sollen teilhaben.

# 2 Bildung

Die Schulsozialarbeit an allen Schulen wird ausgebaut. Eltern werden früh beteiligt.

# 3 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen.
"""
#: A word only the hidden comment holds.
HIDDEN_WORD = "Hausaufgabenbetreuung"


@dataclass(frozen=True)
class Seeded:
    tag: str
    consultation_id: int
    title: str
    revision_id: int
    education_section_id: int
    editor_email: str
    participant_email: str
    author_email: str
    hidden_comment_id: int


def seed(live_server: LiveServer) -> Seeded:
    """A published revision and an open round whose feedback only the editors (and each
    author) see; Alice's comment on "Bildung" is decided by the editor; Bert, in another
    working group of the round, may not read it."""
    app = live_server.app
    assert app is not None
    tag = secrets.token_hex(4)
    with app.app_context(), database(app).session_scope() as db:
        org = Organisation(name=f"Kreis Auental {tag}", kind="administration", is_active=True)
        welfare = Organisation(name=f"Diakonie Auental {tag}", kind="welfare", is_active=True)
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
        alice = user(f"Alice Arendt {tag}", f"alice-{tag}@example.org", welfare)
        bert = user(f"Bert Brandt {tag}", f"bert-{tag}@example.org", welfare)
        title = f"Bildungskonzept Auental {tag}"
        consultation = consultation_service.create_consultation(db, actor=admin, title=title)
        db.add(Membership(consultation_id=consultation.id, user_id=editor.id, role="editor"))
        db.flush()
        revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=DRAFT)
        drafts.publish(db, revision.id, actor=editor)
        education_group = working_groups.create_working_group(
            db, consultation.id, actor=editor, name="AK Bildung"
        )
        work_group = working_groups.create_working_group(
            db, consultation.id, actor=editor, name="AK Arbeit"
        )
        for person, group in ((alice, education_group), (bert, work_group)):
            consultation_service.set_member(
                db,
                consultation.id,
                person.id,
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
            working_group_ids=[education_group.id, work_group.id],
            visibility="editors",
            notify=False,
        )
        placements = {p.key: p for p in revision_service.outline(db, revision).placements}
        education = placements["2"]
        comment = feedback_service.create_comment(
            db,
            revision.id,
            education.section_id,
            actor=alice,
            body=f"Die {HIDDEN_WORD} an den Schulen fehlt noch.",
        )
        decisions.decide(
            db,
            comment.id,
            actor=editor,
            decision="noted",
            response="Zur Kenntnis genommen.",
        )
        return Seeded(
            tag=tag,
            consultation_id=consultation.id,
            title=title,
            revision_id=revision.id,
            education_section_id=education.section_id,
            editor_email=editor.email,
            participant_email=bert.email,
            author_email=alice.email,
            hidden_comment_id=comment.id,
        )


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def search_from_header(page: Page, words: str) -> None:
    """Type into the header's search field and press Enter."""
    field = page.get_by_role("search", name="Suche", exact=True).get_by_role("searchbox")
    field.fill(words)
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))


def test_search_finds_what_each_person_may_see(page: Page, live_server: LiveServer) -> None:
    seeded = seed(live_server)
    log_in(page, seeded.participant_email)

    # The participant searches "Schule" from the header: the section with "Schulen" and
    # "Schulsozialarbeit" (German stems), the word marked in its context.
    page.goto("/")
    search_from_header(page, "Schule")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suche")
    expect(page.get_by_label("Suchbegriff")).to_have_value("Schule")
    hits = page.locator("ol.search-results > li.search-hit")
    expect(hits.first).to_be_visible()
    axe_check(page)

    # Only this consultation, only sections (filters of the form).
    consultations = page.get_by_role("combobox", name="Verfahren")
    expect(consultations.locator("option", has_text=seeded.title)).to_have_text(
        f"{seeded.title} (1)"
    )
    consultations.select_option(str(seeded.consultation_id))
    page.get_by_role("combobox", name="Art").select_option("section")
    form = page.get_by_role("search", name="Suche und Filter")
    form.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(rf"consultation_id={seeded.consultation_id}"))
    expect(page).to_have_url(re.compile(r"type=section"))
    expect(page.locator("#results-h")).to_contain_text("1 Treffer")
    hit = hits.filter(has_text="Bildung")
    expect(hit).to_have_count(1)
    expect(hit.locator(".badge")).to_have_text("Abschnitt")
    marks = hit.locator(".search-snippet mark")
    expect(marks.first).to_be_visible()
    assert {m.strip().lower() for m in marks.all_inner_texts()} <= {
        "schulsozialarbeit",
        "schulen",
    }, marks.all_inner_texts()
    expect(hit.locator(".search-snippet")).to_contain_text("Eltern werden früh beteiligt")
    axe_check(page)
    screenshot(page, "search-results")

    # The hit leads to its section in the reading view.
    hit.get_by_role("link").click()
    expect(page).to_have_url(
        re.compile(rf"/revisions/{seeded.revision_id}#s-{seeded.education_section_id}$")
    )
    section = page.locator(f"#s-{seeded.education_section_id}")
    expect(section).to_contain_text("Schulsozialarbeit")
    expect(section).to_be_in_viewport()

    # Alice's comment is for the editors only: the participant does not find it ...
    search_from_header(page, HIDDEN_WORD)
    expect(page.locator("#results-h")).to_contain_text("0 Treffer")
    expect(page.locator("ol.search-results")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(HIDDEN_WORD.lower(), ignore_case=True)
    axe_check(page)

    # ... the editor does, marked, with its author, and follows it to the text.
    log_out(page)
    log_in(page, seeded.editor_email)
    page.goto("/")
    search_from_header(page, HIDDEN_WORD)
    expect(page.locator("#results-h")).to_contain_text("1 Treffer")
    hit = page.locator("ol.search-results > li.search-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".badge")).to_have_text("Kommentar")
    expect(hit).to_contain_text(f"Alice Arendt {seeded.tag}")
    expect(hit.locator(".search-snippet mark")).to_have_text(HIDDEN_WORD)
    axe_check(page)
    hit.get_by_role("link", name=f"Kommentar Nr. {seeded.hidden_comment_id}").click()
    expect(page).to_have_url(
        re.compile(rf"/revisions/{seeded.revision_id}#fb-{seeded.hidden_comment_id}$")
    )
    item = page.locator(f"#fb-{seeded.hidden_comment_id}")
    expect(item).to_contain_text(HIDDEN_WORD)
    expect(item).to_be_in_viewport()


def test_the_editor_reads_filters_and_downloads_the_audit_log(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server)
    log_in(page, seeded.editor_email)
    page.goto(f"/consultations/{seeded.consultation_id}")
    nav = page.get_by_role("navigation", name="Verfahren")
    nav.get_by_role("link", name="Protokoll").click()
    expect(page).to_have_url(re.compile(rf"/consultations/{seeded.consultation_id}/audit$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protokoll")
    log = page.locator("table.audit-log tbody")
    expect(log.locator("tr").filter(has_text="Runde eröffnet")).to_have_count(1)
    expect(log.locator("tr").filter(has_text="Fassung veröffentlicht")).to_have_count(1)
    decided = log.locator("tr").filter(has_text="Abwägung getroffen")
    expect(decided).to_have_count(1)
    expect(decided).to_contain_text("Mara Merz")
    axe_check(page)
    screenshot(page, "audit-log")

    # Only the decisions.
    page.get_by_role("combobox", name="Aktion").select_option("decision.made")
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"action=decision\.made"))
    expect(log.locator("tr")).to_have_count(1)
    expect(log).to_contain_text("Abwägung getroffen")
    expect(page.get_by_text("1 Eintrag", exact=True)).to_be_visible()
    axe_check(page)

    # The CSV (of the filtered log): German Excel's UTF-8 with BOM, a header row.
    with page.expect_download() as info:
        page.get_by_role("link", name="Als CSV herunterladen").click()
    download = info.value
    assert download.suggested_filename == f"protokoll-verfahren-{seeded.consultation_id}.csv"
    path = download.path()
    assert path is not None
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["Nr.", "Zeitpunkt", "Person", "Aktion"], lines[0]
    assert len(lines) == 2, lines
    assert "Abwägung getroffen" in lines[1]
    assert "Mara Merz" in lines[1]

    # A participant gets no link and no log.
    log_out(page)
    log_in(page, seeded.participant_email)
    page.goto(f"/consultations/{seeded.consultation_id}")
    expect(page.get_by_role("navigation", name="Verfahren")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Verfahren").get_by_role("link", name="Protokoll")
    ).to_have_count(0)
    axe_check(page)
    response = page.goto(f"/consultations/{seeded.consultation_id}/audit")
    assert response is not None
    assert response.status in (403, 404), response.status
    expect(page.locator("table.audit-log")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Abwägung getroffen")
    axe_check(page)
    response = page.goto(f"/consultations/{seeded.consultation_id}/audit.csv")
    assert response is not None
    assert response.status in (403, 404), response.status


def test_privacy_page_data_download_and_erasure(page: Page, live_server: LiveServer) -> None:
    seeded = seed(live_server)

    # The privacy page, from the footer, without logging in.
    page.goto("/login")
    page.get_by_role("contentinfo").get_by_role("link", name="Datenschutz").click()
    expect(page).to_have_url(re.compile(r"/datenschutz$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Datenschutz: Was wir über Sie speichern"
    )
    expect(page.get_by_role("heading", name="Was beim Löschen passiert")).to_be_visible()
    axe_check(page)

    # Alice downloads her data from the profile.
    log_in(page, seeded.author_email)
    page.goto("/profile")
    your_data = page.locator("#your-data")
    expect(your_data.get_by_role("heading", name="Ihre Daten")).to_be_visible()
    axe_check(page)
    with page.expect_download() as info:
        your_data.get_by_role("link", name="Meine Daten herunterladen (JSON)").click()
    download = info.value
    assert download.suggested_filename.endswith(".json")
    path = download.path()
    assert path is not None
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["account"]["name"] == f"Alice Arendt {seeded.tag}"
    assert document["account"]["email"] == seeded.author_email
    assert HIDDEN_WORD in text  # her comment

    # She erases her account, confirming with her password: logged out.
    page.get_by_label("Ihr Passwort").fill(PASSWORD)
    your_data.get_by_role("button", name="Konto löschen …").click()
    confirm_in_dialog(page, "Ja, Konto löschen")
    expect(page).to_have_url(re.compile(r"/datenschutz$"))
    expect(page.locator(".flash-success")).to_contain_text("Ihr Konto ist gelöscht")
    axe_check(page)
    page.goto("/profile")
    expect(page).to_have_url(re.compile(r"/login"))

    # Her comment stays, signed for her organisation; her name is gone.
    log_in(page, seeded.editor_email)
    page.goto(f"/revisions/{seeded.revision_id}#fb-{seeded.hidden_comment_id}")
    item = page.locator(f"#fb-{seeded.hidden_comment_id}")
    expect(item).to_contain_text(HIDDEN_WORD)
    expect(item).not_to_contain_text(f"Alice Arendt {seeded.tag}")
    expect(item).to_contain_text(f"Diakonie Auental {seeded.tag}")
    log_out(page)
    page.goto("/login")

    # She cannot log in again.
    page.get_by_label("E-Mail-Adresse").fill(seeded.author_email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Anmelden"), status=401)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("main")).to_contain_text("E-Mail-Adresse oder Passwort ist falsch.")
    axe_check(page)


def _modes(live_server: LiveServer, email: str) -> dict[NotificationKind, NotificationMode]:
    app = live_server.app
    assert app is not None
    with app.app_context(), database(app).session_scope() as db:
        user = db.query(User).filter_by(email=email).one()
        return notification_settings.get_all(db, user)


def test_notification_settings_and_the_one_click_unsubscribe(
    page: Page, live_server: LiveServer
) -> None:
    seeded = seed(live_server)
    log_in(page, seeded.participant_email)
    page.goto("/profile")
    section = page.locator("#notifications")
    expect(section.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
    replies = section.get_by_role("group", name="Antworten auf Ihre Beiträge")
    expect(replies.get_by_label("Sofort")).to_be_checked()
    axe_check(page)

    # Replies once a day, new revisions not at all; chosen with the keyboard as well.
    replies.get_by_label("Einmal täglich gesammelt").check()
    revisions = section.get_by_role("group", name="Neue Fassungen eines Entwurfs")
    revisions.get_by_label("Aus").focus()
    page.keyboard.press("Space")
    submit(page, section.get_by_role("button", name="Benachrichtigungen speichern"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Ihre Benachrichtigungen sind gespeichert."
    )
    expect(replies.get_by_label("Einmal täglich gesammelt")).to_be_checked()
    expect(revisions.get_by_label("Aus")).to_be_checked()
    axe_check(page)
    modes = _modes(live_server, seeded.participant_email)
    assert modes[NotificationKind.REPLY] is NotificationMode.DIGEST
    assert modes[NotificationKind.REVISION] is NotificationMode.OFF
    assert modes[NotificationKind.INVITATION] is NotificationMode.IMMEDIATELY

    # The link at the end of an invitation, opened logged out: it asks first.
    app = live_server.app
    assert app is not None
    with app.app_context(), database(app).session_scope() as db:
        bert = db.query(User).filter_by(email=seeded.participant_email).one()
        link = notification_settings.unsubscribe_url(bert, [NotificationKind.INVITATION])
    log_out(page)
    page.goto(link.partition("://")[2].partition("/")[2].join(["/", ""]))
    expect(page.locator("main")).to_contain_text(
        f"Keine E-Mails mehr zu „Einladungen zu Beteiligungsrunden“ an {seeded.participant_email}"
    )
    axe_check(page)
    assert _modes(live_server, seeded.participant_email)[NotificationKind.INVITATION] is (
        NotificationMode.IMMEDIATELY
    )
    submit(page, page.get_by_role("button", name="Abbestellen"), status=200)
    expect(page.get_by_role("status")).to_contain_text("gehen keine E-Mails mehr")
    axe_check(page)
    after = _modes(live_server, seeded.participant_email)
    assert after[NotificationKind.INVITATION] is NotificationMode.OFF
    assert after[NotificationKind.REPLY] is NotificationMode.DIGEST  # the others stay
