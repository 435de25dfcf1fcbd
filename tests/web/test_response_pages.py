"""The response table as a page and as files (issue 11, item 9): every item of the round,
numbered, with organisation, author, section, quoted text, feedback, decision and
response; without names or without the feedback's text on request; CSV, XLSX and DOCX
with the same options; each row leads to its item in the reading view and, once merged, to
its change in the new revision's diff. Editors read it at any time, the invited and the
observers once it is published; others not at all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from consult.db import utcnow
from consult.models import Feedback, User
from consult.services import decisions, merge, responses
from tests.web import test_feedback_pages
from tests.web.test_feedback_pages import Site, module_app  # noqa: F401

app = test_feedback_pages.app
site = test_feedback_pages.site

NOT_YET = "Die Abwägungstabelle dieser Runde ist noch nicht veröffentlicht."


@dataclass
class Decided:
    """A round with a comment considered, a suggestion accepted modified, a suggestion
    accepted as is and a comment nobody decided on yet."""

    round_id: int
    considered: Feedback
    modified: Feedback
    accepted: Feedback
    undecided: Feedback

    @property
    def items(self) -> list[Feedback]:
        return [self.considered, self.modified, self.accepted, self.undecided]


def decided_round(site: Site, *, visibility: str = "round", closed: bool = True) -> Decided:
    """The round and its decisions, made through the services; closed after its feedback
    came in (unless ``closed`` is False)."""
    w = site.world
    with site.app.app_context():
        round_ = w.open_round(visibility)
        considered = w.comment(
            w.alice,
            "2",
            "Sprachförderung beginnt in der Kita.",
            body="Bitte „früh“ genauer fassen – ab dem ersten Kita-Jahr?",
        )
        modified = w.suggest(
            w.bob, "3", "Anerkennung", "Schnelle Anerkennung", "Es dauert zu lange."
        )
        accepted = w.suggest(w.alice, "5", "jährlich", "halbjährlich", "Öfter berichten.")
        undecided = w.comment(w.carla, "4", None, body="Insgesamt gut. 👍")
        decisions.decide(
            w.db,
            considered.id,
            actor=w.editor,
            decision="considered",
            response="Wird ergänzt: ab dem ersten Kita-Jahr.",
        )
        decisions.decide(
            w.db,
            modified.id,
            actor=w.editor,
            decision="accept_modified",
            response="Übernommen, aber ohne Wertung.",
            replacement="Zügige Anerkennung",
        )
        decisions.decide(w.db, accepted.id, actor=w.editor, decision="accept")
        if closed:
            round_.closed_early_at = utcnow()
    w.db.commit()
    return Decided(round_.id, considered, modified, accepted, undecided)


def publish_table(site: Site, round_id: int) -> None:
    with site.app.app_context():
        responses.publish_responses(site.world.db, round_id, actor=site.world.editor)
    site.world.db.commit()


def tree(page: str) -> Any:
    return lxml.html.fromstring(page)


def rows(page: str) -> list[Any]:
    return list(tree(page).xpath("//table[contains(@class, 'responses-table')]/tbody/tr"))


def text(element: Any) -> str:
    """The element's text, whitespace collapsed (a line break counts as a space)."""
    for br in element.iter("br"):
        br.tail = " " + (br.tail or "")
    return " ".join(element.text_content().split())


def cells(row: Any) -> list[str]:
    return [text(cell) for cell in row.xpath("./th|./td")]


def links(element: Any) -> list[str]:
    return [str(a.get("href")) for a in element.xpath(".//a")]


# --- the page -------------------------------------------------------------------------


def test_the_editor_sees_every_item_with_its_decision_and_response(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    page = site.get(w.editor, f"/rounds/{d.round_id}/responses")
    doc = tree(page)
    assert text(doc.xpath("//h1")[0]) == "Abwägungstabelle"
    caption = text(doc.xpath("//table/caption")[0])
    assert caption == (
        "Abwägungstabelle der Runde „Beteiligungsrunde“: 4 Beiträge mit Entscheidung und "
        "Begründung der Verwaltung"
    )
    headers = [text(th) for th in doc.xpath("//table/thead//th[@scope='col']")]
    assert headers == [
        "Nr.",
        "Abschnitt",
        "Organisation, verfasst von",
        "Beitrag",
        "Entscheidung",
        "Abwägung (Stellungnahme der Verwaltung)",
    ]
    found = rows(page)
    assert [row.get("id") for row in found] == [f"item-{f.id}" for f in d.items]
    numbers = [text(row.xpath("./th[@scope='row']")[0]) for row in found]
    assert numbers == ["1", "2", "3", "4"]
    considered, modified, accepted, undecided = (cells(row) for row in found)
    assert considered[1] == "2 Bildung"
    assert considered[2] == "Caritas Siegtal Alice Arendt"
    assert "Kommentar" in considered[3]
    assert "Textstelle: „Sprachförderung beginnt in der Kita.“" in considered[3]
    assert "Bitte „früh“ genauer fassen – ab dem ersten Kita-Jahr?" in considered[3]
    assert considered[4] == "berücksichtigt"
    assert considered[5] == "Wird ergänzt: ab dem ersten Kita-Jahr."
    assert (
        "Änderungsvorschlag" in modified[3]
        and "Vorgeschlagen: „Schnelle Anerkennung“" in (modified[3])
    )
    assert "Begründung: Es dauert zu lange." in modified[3]
    assert modified[4] == "geändert übernommen"
    assert modified[5] == "Übernommen als: „Zügige Anerkennung“ Übernommen, aber ohne Wertung."
    assert accepted[4] == "übernommen"
    assert "zum ganzen Abschnitt" in undecided[3] and "Insgesamt gut. 👍" in undecided[3]
    assert undecided[4] == "offen"
    # Each row leads to its item in the reading view (the editors see every item).
    for row, item in zip(found, d.items, strict=True):
        assert f"/revisions/{w.revision.id}#fb-{item.id}" in links(row)
    # What the editors are told: not published yet, how far they are.
    state = text(doc.xpath("//p[contains(@class, 'responses-state')]")[0])
    assert "Noch nicht veröffentlicht: Bisher sieht nur die Redaktion diese Tabelle." in state
    assert "3 von 4 Beiträgen entschieden" in state


def test_options_leave_out_names_or_text_and_the_downloads_keep_them(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    page = site.get(w.editor, f"/rounds/{d.round_id}/responses?names=0")
    first = cells(rows(page)[0])
    assert first[2] == "Caritas Siegtal"
    assert "Alice Arendt" not in page and "Bob Berger" not in page
    assert "Bitte „früh“ genauer fassen" in page
    assert tree(page).xpath("//input[@name='names']")[0].get("checked") is not None
    assert tree(page).xpath("//input[@name='text']")[0].get("checked") is None

    page = site.get(w.editor, f"/rounds/{d.round_id}/responses?text=0")
    assert "Alice Arendt" in page
    assert "Bitte „früh“ genauer fassen" not in page and "Es dauert zu lange." not in page
    assert "Schnelle Anerkennung" not in page  # the proposed text is the feedback, too
    assert "Textstelle: „Sprachförderung beginnt in der Kita.“" in text(rows(page)[0])
    assert "Wird ergänzt: ab dem ersten Kita-Jahr." in page  # the response stays

    page = site.get(w.editor, f"/rounds/{d.round_id}/responses?names=0&text=0")
    downloads = links(tree(page).xpath("//div[contains(@class, 'responses-downloads')]")[0])
    assert downloads == [
        f"/rounds/{d.round_id}/responses.{ext}?names=0&text=0"
        for ext in ("csv", "xlsx", "docx", "pdf")
    ]
    # The options are a form of checkboxes with labels, sent with "Anzeigen".
    form = tree(page).xpath("//form[contains(@class, 'responses-options')]")[0]
    assert form.get("method") == "get"
    assert [text(label) for label in form.xpath(".//label")] == [
        "ohne Namen der Verfassenden (die Organisation bleibt)",
        "ohne den Text der Beiträge (die Textstelle bleibt)",
    ]
    assert text(form.xpath(".//button")[0]) == "Anzeigen"


def test_downloads_in_csv_xlsx_and_docx(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    client = site.browser(w.editor)
    w.db.commit()

    response = client.get(f"/rounds/{d.round_id}/responses.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="abwaegungstabelle-runde-{d.round_id}.csv"'
    )
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:4] == ["Nr.", "Abschnitt", "Organisation", "Verfasst von"]
    assert [row[0] for row in table[1:]] == ["1", "2", "3", "4"]
    assert table[1][3] == "Alice Arendt" and table[1][-2] == "berücksichtigt"

    response = client.get(f"/rounds/{d.round_id}/responses.csv?names=0&text=0")
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert "Verfasst von" not in table[0]
    flat = ";".join(";".join(row) for row in table)
    assert "Alice Arendt" not in flat and "Es dauert zu lange." not in flat
    assert "Wird ergänzt: ab dem ersten Kita-Jahr." in flat

    response = client.get(f"/rounds/{d.round_id}/responses.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet is not None
    assert sheet.max_row == 5 and sheet["A1"].value == "Nr."
    assert sheet.freeze_panes == "A2"
    values = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
    assert "geändert übernommen" in values and "offen" in values

    response = client.get(f"/rounds/{d.round_id}/responses.docx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = Document(io.BytesIO(response.get_data()))
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    [grid] = document.tables
    assert len(grid.rows) == 5
    assert any("Zügige Anerkennung" in cell.text for cell in grid.rows[2].cells)

    assert client.get(f"/rounds/{d.round_id}/responses.pdfx").status_code == 404


# --- who may read it ------------------------------------------------------------------


def test_the_invited_and_the_observers_read_it_once_published(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    for user in (w.alice, w.observer):
        page = site.get(user, f"/rounds/{d.round_id}/responses", status=403)
        assert NOT_YET in page
        site.get(user, f"/rounds/{d.round_id}/responses.csv", status=403)
    publish_table(site, d.round_id)
    for user in (w.alice, w.observer):
        page = site.get(user, f"/rounds/{d.round_id}/responses")
        assert len(rows(page)) == 4
        assert "Alice Arendt" in page and "Wird ergänzt: ab dem ersten Kita-Jahr." in page
        state = text(tree(page).xpath("//p[contains(@class, 'responses-state')]")[0])
        assert re.fullmatch(
            r"Veröffentlicht am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr von Miriam Redaktion: Die "
            r"Eingeladenen der Runde und die Beobachtenden des Verfahrens können diese "
            r"Tabelle lesen\.",
            state,
        ), state
        assert "entschieden" not in state  # the editors' progress is theirs
        response = site.browser(user).get(f"/rounds/{d.round_id}/responses.xlsx")
        assert response.status_code == 200
    # The observer (invited to no round) goes back to the list of rounds, not to the round.
    observer_page = site.get(w.observer, f"/rounds/{d.round_id}/responses")
    assert f"/consultations/{w.consultation.id}/rounds" in links(
        tree(observer_page).xpath("//p[@class='breadcrumbs']")[0]
    )


def test_others_may_not_read_it(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    publish_table(site, d.round_id)
    stranger = w.make_user("Sven Fremd")  # no member of the consultation
    site.get(stranger, f"/rounds/{d.round_id}/responses", status=404)
    site.get(stranger, f"/rounds/{d.round_id}/responses.docx", status=404)
    # A participant of the consultation invited to no round of it: told why.
    page = site.get(w.outsider, f"/rounds/{d.round_id}/responses", status=403)
    assert (
        "Die Abwägungstabelle dieser Runde lesen die Eingeladenen der Runde, die Beobachtenden "
        "des Verfahrens und die Redaktion." in page
    )
    site.get(w.editor, "/rounds/99999999/responses", status=404)
    # Without logging in: to the log-in page first.
    for path in ("responses", "responses.csv"):
        response = site.app.test_client().get(f"/rounds/{d.round_id}/{path}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rows_lead_to_what_the_reader_may_see(site: Site) -> None:
    """With the round's feedback visible to the editors only, a participant's rows lead to
    the section, not to an item they cannot see there; their own items to the item."""
    w = site.world
    d = decided_round(site, visibility="editors")
    publish_table(site, d.round_id)
    found = rows(site.get(w.alice, f"/rounds/{d.round_id}/responses"))
    read = f"/revisions/{w.revision.id}"
    assert f"{read}#fb-{d.considered.id}" in links(found[0])  # her own
    assert f"{read}#s-{d.modified.section_id}" in links(found[1])  # Bob's
    found = rows(site.get(w.observer, f"/rounds/{d.round_id}/responses"))
    assert f"{read}#s-{d.considered.section_id}" in links(found[0])


def test_a_merged_suggestion_leads_to_its_change(site: Site) -> None:
    w = site.world
    d = decided_round(site)
    with site.app.app_context():
        new = merge.merge(w.db, w.revision.id, actor=w.editor, note="Nach der Runde")
    w.db.commit()
    found = rows(site.get(w.editor, f"/rounds/{d.round_id}/responses"))
    diff = f"/revisions/{new.id}/diff?against={w.revision.id}"
    assert f"{diff}#change-fb-{d.modified.id}" in links(found[1])
    assert f"{diff}#change-fb-{d.accepted.id}" in links(found[2])
    assert "eingearbeitet in Fassung 2" in text(found[2])
    # The diff has the anchors (the "why did this change" of consult.web.why).
    page = site.get(w.editor, diff)
    assert f'id="change-fb-{d.modified.id}"' in page and f'id="change-fb-{d.accepted.id}"' in page
    assert not any("/diff" in href for href in links(found[0]) + links(found[3]))
    # The new revision is a draft: the participants cannot open its diff, so no link.
    publish_table(site, d.round_id)
    found = rows(site.get(w.alice, f"/rounds/{d.round_id}/responses"))
    assert not any("/diff" in href for row in found for href in links(row))
    assert "eingearbeitet" not in " ".join(text(row) for row in found)


def test_an_empty_round_says_so(site: Site) -> None:
    w = site.world
    with site.app.app_context():
        round_ = w.open_round()
    w.db.commit()
    page = site.get(w.editor, f"/rounds/{round_.id}/responses")
    assert "In dieser Runde sind keine Beiträge eingegangen: Die Tabelle ist leer." in page
    assert not rows(page) and "responses.csv" not in page


@pytest.mark.parametrize("value", ["²", "٣", "abc", "-1", "99999999999999999999", "", "0"])
def test_odd_options_are_never_a_server_error(site: Site, value: str) -> None:
    w = site.world
    d = decided_round(site)
    client = site.browser(w.editor)
    for path in ("responses", "responses.csv"):
        response = client.get(f"/rounds/{d.round_id}/{path}?names={value}&text={value}")
        assert response.status_code == 200, (path, value)


def test_the_administration_reads_it_as_an_editor(site: Site) -> None:
    """The administration (no member of the consultation) reads every row."""
    w = site.world
    d = decided_round(site)
    admin = w.db.get(User, w.admin.id)
    assert admin is not None
    assert len(rows(site.get(admin, f"/rounds/{d.round_id}/responses"))) == 4
