"""Issue 11 in a real browser: an editor works through a round's feedback in the
overview (Eingangsliste): filters it, decides an item from it, decides another from its
card in the reading view with a response snippet, sees the warning about two
overlapping accepted suggestions and resolves it, and decides two comments in one step.
axe-core checks every page on the way.

The test sets up its own consultation through the JSON API (a participant's feedback,
the editor's round), so it does not depend on the demo's state or other tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, axe_check, screenshot, submit
from tests.browser.test_feedback_flow import CARITAS, EDITOR, _new_context, api, log_in

pytestmark = pytest.mark.browser

DRAFT = """# 1 Ziele

Der Kreis fördert die Sprachbildung in allen Kitas. Eltern werden früh beteiligt.

# 2 Arbeit

Die Anerkennung ausländischer Abschlüsse wird beschleunigt. Das Jobcenter berät mehrsprachig.
"""
SNIPPET_TITLE = "Zuständigkeit Land"
SNIPPET = "Dafür ist das Land zuständig; der Kreis setzt sich dort dafür ein."


def anchor(body: str, phrase: str) -> dict[str, Any]:
    start = body.index(phrase)
    return {"start": start, "end": start + len(phrase), "quote": phrase}


def set_up(editor: Page, participant: Page) -> dict[str, Any]:
    """A consultation with an open round, and the participant's feedback in it: four
    comments and two suggestions whose ranges overlap."""
    editor.goto("/")
    cid = api(editor, "POST", "/consultations", {"title": "Abwägung im Browser"})["id"]
    revision = api(editor, "POST", f"/consultations/{cid}/revisions", {"markdown": DRAFT})
    rid = revision["id"]
    api(editor, "POST", f"/revisions/{rid}/publish")
    group = api(editor, "POST", f"/consultations/{cid}/working-groups", {"name": "AK Abwägung"})
    participant.goto("/")
    me = api(participant, "GET", "/me")
    api(
        editor,
        "PUT",
        f"/consultations/{cid}/members/{me['id']}",
        {"role": "participant", "working_group_ids": [group["id"]]},
    )
    now = datetime.now(UTC)
    round_ = api(
        editor,
        "POST",
        f"/consultations/{cid}/rounds",
        {
            "revision_id": rid,
            "title": "Runde Abwägung",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "working_group_ids": [group["id"]],
            "visibility": "round",
        },
    )
    sections = {s["key"]: s for s in api(editor, "GET", f"/revisions/{rid}")["sections"]}
    goals, work = sections["1"], sections["2"]

    def comment(section: dict[str, Any], phrase: str, text: str) -> int:
        path = f"/revisions/{rid}/sections/{section['section_id']}/comments"
        return int(
            api(
                participant, "POST", path, {"body": text, "anchor": anchor(section["body"], phrase)}
            )["id"]
        )

    def suggest(section: dict[str, Any], phrase: str, replacement: str) -> int:
        path = f"/revisions/{rid}/sections/{section['section_id']}/suggestions"
        data = {"anchor": anchor(section["body"], phrase), "replacement": replacement}
        return int(api(participant, "POST", path, data)["id"])

    return {
        "consultation": cid,
        "revision": rid,
        "round": round_["id"],
        "comments": [
            comment(goals, "Eltern", "Welche Eltern sind gemeint?"),
            comment(work, "Anerkennung", "Wer bezahlt die Anerkennung?"),
            comment(work, "Jobcenter", "Auch abends?"),
            comment(goals, "Kreis", "Der Kreis allein?"),
        ],
        "suggestions": [
            suggest(goals, "Sprachbildung in allen Kitas", "Sprachförderung in allen Kitas"),
            suggest(goals, "allen Kitas", "allen Kindertagesstätten"),
        ],
    }


def progress_text(page: Page) -> str:
    return " ".join((page.locator("label[for='decided-progress']").text_content() or "").split())


def decide_on_page(page: Page, decision: str, response: str = "", status: int = 303) -> None:
    page.get_by_label(decision, exact=True).check()
    if response:
        page.get_by_label("Begründung (Stellungnahme der Verwaltung)").fill(response)
    submit(page, page.get_by_role("button", name="Speichern", exact=True), status)


def test_an_editor_works_through_the_feedback_of_a_round(
    browser: Browser, live_server: LiveServer
) -> None:
    contexts = [_new_context(browser, live_server) for _ in range(2)]
    try:
        page, participant = (ctx.new_page() for ctx in contexts)
        log_in(page, live_server, *EDITOR)
        log_in(participant, live_server, *CARITAS)
        ids = set_up(page, participant)
        first, second, third, fourth = ids["comments"]
        one, two = ids["suggestions"]
        overview = f"/rounds/{ids['round']}/feedback"

        # A response snippet, made on its page.
        page.goto(f"/consultations/{ids['consultation']}/snippets")
        axe_check(page)
        page.get_by_label("Titel", exact=True).fill(SNIPPET_TITLE)
        page.get_by_label("Text", exact=True).fill(SNIPPET)
        submit(page, page.get_by_role("button", name="Textbaustein anlegen"), 303)
        expect(page.get_by_role("row", name=re.compile(SNIPPET_TITLE))).to_contain_text("0-mal")

        # The overview, reached from the rounds page; filtered to the open comments.
        page.goto(f"/consultations/{ids['consultation']}/rounds")
        page.get_by_role("link", name=re.compile("^Eingangsliste: Beiträge entscheiden")).click()
        expect(page).to_have_url(re.compile(re.escape(overview) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Eingangsliste: Runde Abwägung")
        assert progress_text(page) == "0 von 6 Beiträgen entschieden"
        axe_check(page)
        page.get_by_label("nur offene").check()
        page.locator("select[name=kind]").select_option("comment")
        page.get_by_role("button", name="Anwenden").click()
        expect(page).to_have_url(re.compile(r"undecided=1.*kind=comment|kind=comment.*undecided=1"))
        expect(page.locator("tr.inbox-row")).to_have_count(4)
        axe_check(page)

        # (1) Decided from the overview: back to the filtered list, where it is gone.
        page.get_by_role("link", name="Entscheiden zu Nr. 1").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Entscheidung über Nr. 1")
        axe_check(page)
        decide_on_page(page, "berücksichtigt", "Wir nennen die Eltern ausdrücklich.")
        expect(page).to_have_url(re.compile(r"/feedback\?"))
        expect(page.locator(".flash-success")).to_have_text("Die Entscheidung ist gespeichert.")
        expect(page.locator("tr.inbox-row")).to_have_count(3)
        expect(page.locator(f"#item-{first}")).to_have_count(0)

        # (2) Decided from its card in the reading view, with the snippet (one click).
        page.goto(f"/revisions/{ids['revision']}")
        card = page.locator(f"#fb-{second}")
        card.get_by_role("link", name="Entscheiden").click()
        expect(page.get_by_role("link", name=re.compile("Zurück zum Text"))).to_be_visible()
        axe_check(page)
        page.get_by_label("nicht berücksichtigt", exact=True).check()
        page.get_by_role("button", name=SNIPPET_TITLE).click()
        response = page.get_by_label("Begründung (Stellungnahme der Verwaltung)")
        expect(response).to_have_value(SNIPPET)
        expect(response).to_be_focused()
        submit(page, page.get_by_role("button", name="Speichern", exact=True), 303)
        expect(page).to_have_url(re.compile(rf"/revisions/{ids['revision']}#fb-{second}$"))
        decision = page.locator(f"#fb-{second} .thread-decision")
        expect(decision).to_contain_text("Abwägung: nicht berücksichtigt")
        expect(decision).to_contain_text("noch nicht veröffentlicht")
        expect(decision).to_contain_text(SNIPPET)
        axe_check(page)
        snippets = api(page, "GET", f"/consultations/{ids['consultation']}/snippets")
        assert [(s["title"], s["uses"]) for s in snippets["snippets"]] == [(SNIPPET_TITLE, 1)]
        # The participant sees nothing of it yet.
        participant.goto(f"/revisions/{ids['revision']}")
        expect(participant.locator(f"#fb-{second}")).to_be_visible()
        expect(participant.locator(f"#fb-{second} .thread-decision")).to_have_count(0)

        # (3) Both suggestions accepted: the overview warns that they overlap.
        for suggestion in (one, two):
            page.goto(f"/feedback/{suggestion}/decision?back={overview}")
            decide_on_page(page, "annehmen")
        page.goto(overview)
        warning = page.locator("#overlaps")
        expect(warning).to_contain_text("Angenommene Vorschläge überschneiden sich")
        expect(warning.get_by_role("listitem")).to_have_text("Nr. 5 und Nr. 6")
        expect(page.locator(f"#item-{one}")).to_contain_text("überschneidet sich mit Nr. 6")
        axe_check(page)
        screenshot(page, "decisions-overview-overlap")

        # Resolved: the second one, tried as "geändert annehmen" (live diff), then
        # rejected.
        warning.get_by_role("link", name="Nr. 6").click()
        expect(page.locator("#overlap-notice")).to_contain_text("Nr. 5")
        page.get_by_label("geändert annehmen", exact=True).check()
        own = page.get_by_label("Neuer Text für die Textstelle")
        expect(own).to_be_visible()
        own.fill("allen Kitas und Horten")
        expect(page.locator("[data-replacement-part] .live-diff ins")).to_contain_text("Horten")
        axe_check(page)
        screenshot(page, "decisions-decision-page")
        decide_on_page(page, "ablehnen", "Die Sprachförderung geht vor; der Rest bleibt.")
        expect(page.locator("#overlaps")).to_have_count(0)
        expect(page.locator(f"#item-{one}")).not_to_contain_text("überschneidet")
        assert progress_text(page) == "4 von 6 Beiträgen entschieden"

        # (4) The two comments left, decided in one step.
        page.get_by_label("Nr. 3 auswählen").check()
        page.get_by_label("Nr. 4 auswählen").check()
        page.get_by_label("Entscheidung", exact=True).select_option(label="zur Kenntnis genommen")
        page.get_by_label("Begründung (Stellungnahme der Verwaltung)").fill(
            "Danke für den Hinweis."
        )
        submit(page, page.get_by_role("button", name="Entscheidung speichern"), 303)
        expect(page.locator(".flash-success")).to_have_text(
            "Die Entscheidung ist für 2 Beiträge gespeichert."
        )
        assert progress_text(page) == "6 von 6 Beiträgen entschieden"
        for item in (third, fourth):
            expect(page.locator(f"#item-{item}")).to_contain_text("zur Kenntnis genommen")
        expect(
            page.get_by_role("link", name=re.compile("^Nächster offener Beitrag"))
        ).to_have_count(0)
        axe_check(page)
    finally:
        for ctx in contexts:
            ctx.close()
