"""The merge page (issue 11, item 6): "Neue Fassung aus den angenommenen Vorschlägen".

The editor sees the would-be revision as a diff against its base, each change with the
suggestion (or their own edit) that made it; edits sections in the same step; confirms
with a note. Overlapping or outdated accepted suggestions are a warning without the
confirm button; a stale base, a decision changed meanwhile and bad input are refused with
nothing written.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from flask import Flask

from consult.models import ChangeProvenance, Feedback, Revision
from consult.services import decisions
from consult.services import revisions as revision_service
from tests import support
from tests.services.test_feedback import World
from tests.web import test_feedback_pages
from tests.web.test_feedback_pages import Site, module_app  # noqa: F401

app = test_feedback_pages.app
site = test_feedback_pages.site

CONFIRM = "Neue Fassung anlegen"


def url(w: World, revision: Revision | None = None) -> str:
    return f"/revisions/{(revision or w.revision).id}/merge"


def accept(site: Site, feedback: Feedback, **kwargs: str) -> None:
    decision = "accept_modified" if "replacement" in kwargs else "accept"
    with site.app.app_context():
        decisions.decide(
            site.world.db, feedback.id, actor=site.world.editor, decision=decision, **kwargs
        )
    site.world.db.commit()


def suggestions(site: Site) -> tuple[Feedback, Feedback, Feedback]:
    """Alice's suggestion accepted, Bob's accepted modified, Anna's rejected."""
    w = site.world
    with site.app.app_context():
        w.open_round()
        first = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung", "Das ist weiter.")
        second = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
        rejected = w.suggest(w.anna, "2", "Kita", "Krippe")
        decisions.decide(w.db, rejected.id, actor=w.editor, decision="reject", response="Nein.")
    w.db.commit()
    accept(site, first)
    accept(site, second, replacement="Zügige Anerkennung", response="Übernommen, ohne Wertung.")
    return first, second, rejected


def tree(page: str) -> Any:
    return lxml.html.fromstring(page)


def text_of(element: Any) -> str:
    return " ".join(str(element.text_content()).split())


def section(page: str, w: World, key: str) -> Any:
    sid = w.placements()[key].section_id
    found = tree(page).xpath(f"//section[@id='s-{sid}']")
    assert found, f"no section {key} on the page"
    return found[0]


def form_values(page: str) -> dict[str, str]:
    """The merge form's fields as the page has them (hidden fields, text areas)."""
    form = tree(page).xpath("//form[contains(@class, 'merge-form')]")[0]
    values = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input[@name]")}
    for area in form.xpath(".//textarea"):
        # (a browser drops the line break that follows <textarea>, as HTML says)
        values[area.get("name")] = (area.text or "").removeprefix("\n")
    return values


def counts(site: Site) -> tuple[int, int]:
    return site.count(Revision), site.count(ChangeProvenance)


def test_the_preview_attributes_each_change_to_its_suggestion(site: Site) -> None:
    w = site.world
    first, _second, rejected = suggestions(site)
    before = counts(site)
    page = site.get(w.editor, url(w))
    assert "Neue Fassung aus den angenommenen Vorschlägen" in page
    two = section(page, w, "2")
    inserted = [text_of(i) for i in two.xpath(".//ins")]
    assert any("Sprachbildung" in t for t in inserted)
    # The change names its cause and links to it; the cause links to the item.
    ref = two.xpath(".//sup[@class='why-ref']/a")[0]
    assert ref.get("href") == f"#change-fb-{first.id}"
    assert f"change-fb-{first.id}" in two.xpath(".//ins")[0].get("aria-describedby")
    cause = text_of(two.xpath(f".//li[@id='change-fb-{first.id}']")[0])
    assert f"Änderungsvorschlag Nr. {first.id}" in cause
    assert "Alice Arendt (Caritas Siegtal)" in cause
    assert "übernommen" in cause and "geändert" not in cause
    links = two.xpath(f".//li[@id='change-fb-{first.id}']//a/@href")
    assert f"/revisions/{w.revision.id}#fb-{first.id}" in links
    three = text_of(section(page, w, "3"))
    assert "geändert übernommen" in three and "Übernommen, ohne Wertung." in three
    assert "Bob Berger (Jobcenter Siegtal)" in three
    # The rejected suggestion changes nothing: "Kita" stays.
    assert "Krippe" not in text_of(two)
    assert f"Nr. {rejected.id}" not in page
    # Unchanged sections are summed up, each can be opened.
    details = tree(page).xpath("//details[contains(@class, 'merge-unchanged')]")[0]
    assert "4 Abschnitte bleiben unverändert" in text_of(details)
    assert "2 angenommene Vorschläge werden eingearbeitet." in page
    assert CONFIRM in page
    assert counts(site) == before


def test_an_edit_in_the_same_step_is_the_editors(site: Site) -> None:
    w = site.world
    suggestions(site)
    one = w.placements()["1"]
    before = counts(site)
    opened = site.post(w.editor, url(w), {"open": str(one.section_id), "note": "Entwurf"})
    assert opened.status_code == 200
    page = support.page(opened)
    values = form_values(page)
    field = f"body-{one.section_id}"
    assert values[field] == one.version.body  # prefilled with the section's text
    assert values["note"] == "Entwurf"
    tag = re.search(rf'<textarea[^>]*\bid="{field}"[^>]*>', page)
    assert tag and "autofocus" in tag.group(0)
    values[field] = "Vorweg: " + values[field]
    values["action"] = "preview"
    updated = support.page(site.post(w.editor, url(w), values))
    part = section(updated, w, "1")
    assert any("Vorweg:" in text_of(i) for i in part.xpath(".//ins"))
    cause = text_of(part.xpath(".//ol[@class='why-list']")[0])
    assert "Redaktionelle Änderung von Miriam Redaktion" in cause
    # The text area keeps the edit; the suggestions' sections stay attributed.
    assert form_values(updated)[field].startswith("Vorweg: ")
    assert "Änderungsvorschlag Nr." in text_of(section(updated, w, "2"))
    assert counts(site) == before


def test_confirming_creates_one_draft_and_shows_its_diff(site: Site) -> None:
    w = site.world
    first, second, _rejected = suggestions(site)
    one = w.placements()["1"]
    page = support.page(site.post(w.editor, url(w), {"open": str(one.section_id)}))
    values = form_values(page)
    values[f"body-{one.section_id}"] = "Vorweg: " + one.version.body
    values["action"] = "preview"
    page = support.page(site.post(w.editor, url(w), values))
    values = {**form_values(page), "action": "merge", "note": "Einarbeitung der Runde 1"}
    before = site.count(Revision)
    answer = site.post(w.editor, url(w), values)
    assert answer.status_code == 302, support.page(answer)[:2000]
    w.db.expire_all()
    new = revision_service.latest_revision(w.db, w.consultation.id)
    assert new is not None and new.is_draft and new.base_revision_id == w.revision.id
    assert site.count(Revision) == before + 1
    assert new.note == "Einarbeitung der Runde 1"
    location = re.sub(r"^https?://[^/]+", "", answer.headers["Location"])
    assert location == f"/revisions/{new.id}/diff?against={w.revision.id}&view=inline"
    assert (w.db.get(Feedback, first.id).status, w.db.get(Feedback, second.id).status) == (
        "applied",
        "applied",
    )
    assert w.body("1", new) == "Vorweg: " + one.version.body
    assert "Sprachbildung" in w.body("2", new) and "Zügige Anerkennung" in w.body("3", new)
    # The same form sent again (a double click) makes no second revision.
    again = site.post(w.editor, url(w), values)
    assert again.status_code in (302, 303)
    assert site.count(Revision) == before + 1
    diff = site.get(w.editor, location)
    assert "Fassung 2 ist als Entwurf angelegt; 2 Vorschläge sind eingearbeitet." in diff
    assert f'id="change-fb-{first.id}"' in diff
    assert "Redaktionelle Änderung von Miriam Redaktion" in text_of(tree(diff))


def test_a_note_is_required(site: Site) -> None:
    w = site.world
    suggestions(site)
    page = site.get(w.editor, url(w))
    before = counts(site)
    answer = site.post(w.editor, url(w), {**form_values(page), "action": "merge", "note": " "})
    assert answer.status_code == 422
    assert "Bitte angeben." in support.field_error(support.page(answer), "note")
    assert counts(site) == before


def test_overlapping_suggestions_are_a_warning_without_confirm(site: Site) -> None:
    w = site.world
    with site.app.app_context():
        w.open_round()
        one = w.suggest(w.alice, "2", "Sprachförderung beginnt", "Bildung beginnt")
        two = w.suggest(w.bob, "2", "beginnt in der Kita", "startet in der Krippe")
    w.db.commit()
    accept(site, one)
    accept(site, two)
    page = site.get(w.editor, url(w))
    warning = tree(page).xpath("//section[contains(@class, 'merge-blocked')]")[0]
    said = text_of(warning)
    assert "Angenommene Vorschläge überschneiden sich" in said
    assert f"Änderungsvorschlag Nr. {one.id}" in said
    assert f"Überschneidet sich mit: Nr. {two.id}" in said
    hrefs = warning.xpath(".//a/@href")
    assert f"/revisions/{w.revision.id}#fb-{one.id}" in hrefs
    assert f"/revisions/{w.revision.id}#fb-{two.id}" in hrefs
    assert CONFIRM not in page.replace("<legend>Neue Fassung anlegen</legend>", "")
    assert not tree(page).xpath("//button[@value='merge']")
    before = counts(site)
    answer = site.post(
        w.editor, url(w), {"action": "merge", "note": "Trotzdem", "fingerprint": "x"}
    )
    assert answer.status_code == 409
    assert "überschneiden sich" in support.page(answer)
    assert counts(site) == before


def test_an_outdated_accepted_suggestion_is_a_warning(site: Site) -> None:
    w = site.world
    with site.app.app_context():
        w.open_round()
        suggestion = w.suggest(w.alice, "3", "in mehreren Sprachen", "auf Arabisch")
    w.db.commit()
    accept(site, suggestion)
    with site.app.app_context():
        newer = w.new_revision()  # section 3 rewritten
    w.db.commit()
    page = site.get(w.editor, url(w, newer))
    warning = text_of(tree(page).xpath("//section[contains(@class, 'merge-blocked')]")[0])
    assert "passen nicht mehr zum Text" in warning and f"Nr. {suggestion.id}" in warning
    assert not tree(page).xpath("//button[@value='merge']")


def test_a_stale_base_is_refused_and_nothing_is_written(site: Site) -> None:
    w = site.world
    suggestions(site)
    page = site.get(w.editor, url(w))
    values = {**form_values(page), "action": "merge", "note": "Einarbeitung"}
    with site.app.app_context():
        w.new_revision(changes={}, removed=())  # a colleague published a newer revision
    w.db.commit()
    before = counts(site)
    answer = site.post(w.editor, url(w), values)
    assert answer.status_code == 409
    said = " ".join(support.page(answer).split())
    assert "Es gibt inzwischen eine neuere Fassung (Fassung 2)." in said
    assert "Es wurde nichts gespeichert." in said
    assert "Einarbeiten lässt sich nur in die neueste Fassung." in said
    assert counts(site) == before
    # The page itself says so before anyone confirms.
    again = site.get(w.editor, url(w))
    assert "Fassung 1 ist nicht mehr die neueste." in again
    assert not tree(again).xpath("//button[@value='merge']")


def test_a_draft_stops_the_merge_with_a_message(site: Site) -> None:
    w = site.world
    suggestions(site)
    with site.app.app_context():
        draft = w.new_revision(changes={}, removed=(), publish=False)
    w.db.commit()
    page = " ".join(site.get(w.editor, url(w, draft)).split())
    assert "Es gibt schon einen Entwurf (Fassung 2)." in page
    assert f"/revisions/{draft.id}/edit" in page
    assert not tree(page).xpath("//button[@value='merge']")


def test_a_decision_changed_after_the_preview_is_not_merged_unseen(site: Site) -> None:
    w = site.world
    first, _second, _rejected = suggestions(site)
    page = site.get(w.editor, url(w))
    values = {**form_values(page), "action": "merge", "note": "Einarbeitung"}
    with site.app.app_context():
        decisions.decide(w.db, first.id, actor=w.editor, decision="reject", response="Doch nicht.")
    w.db.commit()
    before = counts(site)
    answer = site.post(w.editor, url(w), values)
    assert answer.status_code == 409
    said = support.page(answer)
    assert "Die Vorschau ist nicht mehr aktuell" in said
    assert "1 angenommener Vorschlag wird eingearbeitet." in " ".join(said.split())
    assert counts(site) == before


def test_participants_and_observers_may_not_merge(site: Site) -> None:
    w = site.world
    suggestions(site)
    before = counts(site)
    for user in (w.alice, w.observer):
        site.get(user, url(w), status=403)
        answer = site.post(user, url(w), {"action": "merge", "note": "Ich auch"})
        assert answer.status_code == 403
    assert counts(site) == before


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"open": "abc"}, 400),
        ({"open": "٣"}, 400),
        ({"close": "-1"}, 400),
        ({"body-abc": "Text"}, 400),
        ({"body-99999999": "Text"}, 422),
        ({"note": "Notiz\x00"}, 422),
        ({"body-SECTION": "Text\x1b[31m"}, 422),
    ],
    ids=["open-letters", "open-arabic", "close-negative", "field-name", "unknown", "note", "body"],
)
def test_bad_input_is_refused_and_writes_nothing(
    site: Site, app: Flask, change: dict[str, str], status: int
) -> None:
    w = site.world
    suggestions(site)
    sid = w.placements()["1"].section_id
    page = site.get(w.editor, url(w))
    values = {**form_values(page), "action": "merge", "note": "Einarbeitung"}
    values.update({k.replace("SECTION", str(sid)): v for k, v in change.items()})
    w.db.commit()
    before = support.snapshot(w.db)
    w.db.rollback()
    answer = site.post(w.editor, url(w), values)
    assert answer.status_code == status, support.page(answer)[:1500]
    assert support.snapshot(w.db) == before
    if "note" in change:
        assert "U+0000" in support.field_error(support.page(answer), "note")
    if "body-SECTION" in change:
        assert "U+001B" in support.field_error(support.page(answer), f"body-{sid}")


def test_the_consultation_page_and_the_reading_view_lead_to_the_merge(site: Site) -> None:
    w = site.world
    suggestions(site)
    target = f'href="/revisions/{w.revision.id}/merge"'
    overview = site.get(w.editor, f"/consultations/{w.consultation.id}")
    assert target in overview and "Neue Fassung aus 2 angenommenen Vorschlägen" in overview
    reading = site.read(w.editor)
    assert target in reading
    for user in (w.alice, w.observer):
        assert target not in site.get(user, f"/consultations/{w.consultation.id}")
        assert target not in site.read(user)
