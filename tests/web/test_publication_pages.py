"""Publishing a round's decisions and its response table from the round's page (issue 11,
item 4): buttons for the editors only, each confirmed first (a dialog, or a page without
JavaScript); the authors get exactly one e-mail each, however often the form is sent; the
page shows what is published when and by whom; afterwards the authors see the decisions on
their items and the invited and the observers find the table.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from consult.db import utcnow
from consult.models import RoundPublication
from tests import support
from tests.web import test_feedback_pages
from tests.web.test_confirmations import question_page, send_confirmed
from tests.web.test_feedback_pages import Site, module_app, redirect_path  # noqa: F401
from tests.web.test_response_pages import Decided, decided_round, text, tree

app = test_feedback_pages.app
site = test_feedback_pages.site

PUBLISH_DECISIONS = "Abwägung veröffentlichen"
PUBLISH_TABLE = "Abwägungstabelle veröffentlichen"
#: What the page says once something is published: "Veröffentlicht am …, … Uhr von …."
PUBLISHED = re.compile(
    r"Veröffentlicht am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr von Miriam Redaktion\."
)


def round_url(d: Decided) -> str:
    return f"/rounds/{d.round_id}"


def outcome(page: str) -> Any:
    """The round page's section on what became of the feedback (None: there is none)."""
    found = tree(page).xpath("//section[contains(@class, 'outcome')]")
    return found[0] if found else None


def form_of(page: str, action: str) -> Any:
    found = tree(page).xpath(f"//form[@action='{action}']")
    return found[0] if found else None


def publications(site: Site, kind: str) -> int:
    db = site.world.db
    db.expire_all()
    return (
        db.scalar(
            select(func.count()).select_from(RoundPublication).where(RoundPublication.kind == kind)
        )
        or 0
    )


def decisions_mails(site: Site) -> list[dict[str, str]]:
    return [m for m in support.mails(site.app) if m["subject"].startswith("Was aus Ihren")]


def publish_form(site: Site, d: Decided, what: str) -> tuple[str, dict[str, str]]:
    """The round page's publish form as the dialog sends it (confirmed=1): action, data."""
    action = f"{round_url(d)}/{what}/publish"
    form = form_of(site.get(site.world.editor, round_url(d)), action)
    data = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
    return action, {**data, "confirmed": "1"}


def publish(site: Site, d: Decided, what: str) -> Any:
    return site.post(site.world.editor, *publish_form(site, d, what))


def test_the_editors_see_the_progress_and_both_buttons(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    page = site.get(w.editor, round_url(d))
    section = outcome(page)
    shown = text(section)
    assert "3 von 4 Beiträgen entschieden" in shown
    assert section.xpath(".//progress[@max='4'][@value='3']")
    assert "Über 1 Beitrag ist noch nicht entschieden." in shown
    assert "Noch nicht veröffentlicht: Bisher sieht nur die Redaktion die Entscheidungen." in shown
    assert "2 Personen bekommen dann je eine E-Mail" in shown  # Alice and Bob, not Carla
    hrefs = [a.get("href") for a in section.xpath(".//a")]
    assert f"/rounds/{d.round_id}/responses" in hrefs
    assert f"/rounds/{d.round_id}/feedback" in hrefs  # the Eingangsliste
    decisions_form = form_of(page, f"{round_url(d)}/decisions/publish")
    assert text(decisions_form.xpath(".//button")[0]) == PUBLISH_DECISIONS
    assert decisions_form.get("data-confirm-title") == (
        "Abwägung der Runde „Beteiligungsrunde“ veröffentlichen?"
    )
    consequence = decisions_form.get("data-confirm")
    assert "2 Personen bekommen dazu je eine E-Mail." in consequence
    assert "Über 1 Beitrag ist noch nicht entschieden" in consequence
    assert decisions_form.get("data-confirm-yes") == "Ja, Abwägung veröffentlichen"
    assert decisions_form.xpath(".//input[@name='_once']")
    table_form = form_of(page, f"{round_url(d)}/responses/publish")
    assert text(table_form.xpath(".//button")[0]) == PUBLISH_TABLE
    assert "Namen der Verfassenden" in table_form.get("data-confirm")
    # The invited see neither the buttons nor the editors' counts.
    for user in (w.alice, w.carla):
        page = site.get(user, round_url(d))
        assert PUBLISH_DECISIONS not in page and PUBLISH_TABLE not in page
        assert "von 4 Beiträgen" not in page and "/publish" not in page


def test_the_participants_may_not_publish(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    stranger = w.make_user("Sven Fremd")
    w.db.commit()
    before = support.snapshot(w.db)
    for what in ("decisions", "responses"):
        response = site.post(w.alice, f"{round_url(d)}/{what}/publish", {"confirmed": "1"})
        assert response.status_code == 403
    response = site.post(stranger, f"{round_url(d)}/decisions/publish", {"confirmed": "1"})
    assert response.status_code == 404
    assert support.snapshot(w.db) == before


def test_publishing_decisions_asks_first_without_javascript(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    response = site.post(w.editor, f"{round_url(d)}/decisions/publish", {})
    page = question_page(response)
    assert text(page.xpath("//h1")[0]) == "Abwägung der Runde „Beteiligungsrunde“ veröffentlichen?"
    assert "2 Personen bekommen dazu je eine E-Mail." in text(page.xpath("//main")[0])
    assert publications(site, "decisions") == 0 and not decisions_mails(site)
    assert redirect_path(send_confirmed(site, w.editor, page)) == round_url(d)
    assert publications(site, "decisions") == 1


def test_each_author_gets_one_email_however_often_it_is_sent(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    action, data = publish_form(site, d, "decisions")
    response = site.post(w.editor, action, data)
    assert redirect_path(response) == round_url(d)
    page = site.get(w.editor, round_url(d))
    assert (
        "Die Abwägung ist veröffentlicht. 2 Personen bekommen je eine E-Mail mit den "
        "Entscheidungen zu ihren Beiträgen." in page
    )
    mails = decisions_mails(site)
    assert sorted(m["to"] for m in mails) == sorted([w.alice.email, w.bob.email])
    to_alice = next(m for m in mails if m["to"] == w.alice.email)
    assert to_alice["subject"] == "Was aus Ihren Beiträgen wurde – Beteiligungsrunde"
    body = to_alice["body"]
    assert "die Redaktion hat über Ihre 2 Beiträge zur Runde „Beteiligungsrunde“ entschieden:" in (
        body
    )
    assert "Entscheidung: berücksichtigt" in body and "Entscheidung: übernommen" in body
    assert "Begründung: Wird ergänzt: ab dem ersten Kita-Jahr." in body
    assert f"http://consult.test/revisions/{w.revision.id}#fb-{d.considered.id}" in body
    to_bob = next(m for m in mails if m["to"] == w.bob.email)
    assert "Übernommen als: „Zügige Anerkennung“" in to_bob["body"]
    assert "Insgesamt gut" not in body + to_bob["body"]  # Carla's, undecided: no e-mail

    # The same form again (a double click): answered as the first time.
    again = site.post(w.editor, action, data)
    assert redirect_path(again) == round_url(d)
    assert "Die Abwägung ist veröffentlicht." in site.get(w.editor, round_url(d))
    # A second editor's tab, or the confirmation page sent once more: said so.
    response = site.post(w.editor, f"{round_url(d)}/decisions/publish", {"confirmed": "1"})
    assert redirect_path(response) == round_url(d)
    page = site.get(w.editor, round_url(d))
    assert "Die Abwägung dieser Runde ist schon veröffentlicht." in page
    assert len(decisions_mails(site)) == 2
    assert publications(site, "decisions") == 1


def test_the_page_shows_what_is_published_and_the_authors_see_their_decisions(
    site: Site,
) -> None:
    w = site.world
    d = decided_round(site)
    # Before: the authors learn nothing of the decisions, even after the round.
    page = site.get(w.alice, round_url(d))
    assert "Wird ergänzt" not in page and "berücksichtigt" not in page
    assert (
        "Die Redaktion wertet die Beiträge aus. Sobald sie die Abwägung veröffentlicht, sehen "
        "Sie bei Ihren Beiträgen, was aus ihnen wurde, und bekommen eine E-Mail."
    ) in text(outcome(page))
    assert "Wird ergänzt" not in site.read(w.alice)  # nor in the reading view

    publish(site, d, "decisions")
    assert "Wird ergänzt: ab dem ersten Kita-Jahr." in site.read(w.alice)
    editor_page = text(outcome(site.get(w.editor, round_url(d))))
    assert PUBLISHED.search(editor_page), editor_page
    assert PUBLISH_DECISIONS not in editor_page and PUBLISH_TABLE in editor_page

    section = outcome(site.get(w.alice, round_url(d)))
    shown = text(section)
    assert re.search(
        r"Die Redaktion hat die Abwägung am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr veröffentlicht\. "
        r"Entscheidung und Begründung stehen auch bei Ihren Beiträgen im Text\.",
        shown,
    ), shown
    items = [text(li) for li in section.xpath(".//ol[@class='own-outcomes']/li")]
    assert items == [
        "Kommentar zu „Sprachförderung beginnt in der Kita.“: berücksichtigt "
        "Wird ergänzt: ab dem ersten Kita-Jahr.",
        "Änderungsvorschlag zu „jährlich“: übernommen",
    ]
    hrefs = section.xpath(".//ol[@class='own-outcomes']//a/@href")
    assert hrefs[0] == f"/revisions/{w.revision.id}#fb-{d.considered.id}"
    # Carla's item is undecided: said so; the table is not hers to read yet.
    carla = text(outcome(site.get(w.carla, round_url(d))))
    assert "Kommentar: noch nicht entschieden" in carla
    assert "Abwägungstabelle der Runde lesen" not in carla


def test_publishing_the_table_lets_the_invited_and_the_observers_find_it(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    table = f"/rounds/{d.round_id}/responses"
    rounds_list = f"/consultations/{w.consultation.id}/rounds"
    assert "Veröffentlichte Abwägungstabellen" not in site.get(w.observer, rounds_list)
    assert table not in outcome(site.get(w.bob, round_url(d))).xpath(".//a/@href")

    response = site.post(w.editor, f"{round_url(d)}/responses/publish", {})
    page = question_page(response)
    assert publications(site, "responses") == 0
    send_confirmed(site, w.editor, page)
    assert publications(site, "responses") == 1
    editor_page = site.get(w.editor, round_url(d))
    assert (
        "Die Abwägungstabelle ist veröffentlicht: Die Eingeladenen der Runde und die "
        "Beobachtenden können sie jetzt lesen." in editor_page
    )
    assert PUBLISHED.search(text(outcome(editor_page)))
    assert PUBLISH_TABLE not in text(outcome(editor_page))

    bob = outcome(site.get(w.bob, round_url(d)))
    assert table in bob.xpath(".//a/@href")
    assert "Abwägungstabelle der Runde lesen" in text(bob)
    listing = tree(site.get(w.observer, rounds_list))
    assert listing.xpath("//h2[@id='tables-h']")
    assert listing.xpath(f"//a[@href='{table}']/text()") == ["Abwägungstabelle: Beteiligungsrunde"]
    site.get(w.observer, table)

    # Sent once more: nothing changes, and the editor is told.
    response = site.post(w.editor, f"{round_url(d)}/responses/publish", {"confirmed": "1"})
    redirect_path(response)
    assert "Die Abwägungstabelle dieser Runde ist schon veröffentlicht." in site.get(
        w.editor, round_url(d)
    )
    assert publications(site, "responses") == 1
    assert not decisions_mails(site)  # the table sends no e-mail


def test_while_the_round_runs_nothing_is_offered_for_publishing(site: Site) -> None:
    w = site.world
    d = decided_round(site, closed=False)
    shown = text(outcome(site.get(w.editor, round_url(d))))
    assert "3 von 4 Beiträgen entschieden" in shown
    assert (
        shown.count("Die Runde läuft noch. Veröffentlichen können Sie, sobald sie beendet ist.")
        == 2
    )
    assert PUBLISH_DECISIONS not in shown and PUBLISH_TABLE not in shown
    # The invited hear nothing of it yet.
    assert outcome(site.get(w.alice, round_url(d))) is None


def test_nothing_to_publish_yet(site: Site) -> None:
    w = site.world
    with site.app.app_context():
        round_ = w.open_round()
        w.comment(w.alice, "2", None, body="Noch offen.")
        round_.closed_early_at = utcnow()
    w.db.commit()
    section = outcome(site.get(w.editor, f"/rounds/{round_.id}"))
    shown = text(section)
    assert "0 von 1 Beitrag entschieden" in shown
    assert "Veröffentlichen können Sie, sobald Sie über Beiträge entschieden haben." in shown
    assert PUBLISH_DECISIONS not in shown and PUBLISH_TABLE in shown
    with site.app.app_context():
        empty = w.open_round(title="Leere Runde")
        empty.closed_early_at = utcnow()
    w.db.commit()
    shown = text(outcome(site.get(w.editor, f"/rounds/{empty.id}")))
    assert "In dieser Runde ist noch kein Beitrag eingegangen." in shown
    assert PUBLISH_DECISIONS not in shown and PUBLISH_TABLE not in shown
