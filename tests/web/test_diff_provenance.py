"""Why did this change? (issue 11, item 7): the diff views of a merged revision name the
cause of every change: the suggestion (number, author, organisation, decision, response,
a link to the item) or "Redaktionelle Änderung" with the editor's name. Pairs of revisions
with no merge on the way show no causes; what a reader learns of a suggestion follows
what they may see of it.
"""

from __future__ import annotations

from typing import Any

import lxml.html
from sqlalchemy import event

from consult.models import Feedback, Revision
from consult.services import change_causes, decisions, diffs, draft_sections, drafts, merge
from tests.web import test_feedback_pages
from tests.web.test_feedback_pages import Site, module_app  # noqa: F401

app = test_feedback_pages.app
site = test_feedback_pages.site

LONG_RESPONSE = "Wir übernehmen den Vorschlag in geänderter Form. " * 10


def tree(page: str) -> Any:
    return lxml.html.fromstring(page)


def text_of(element: Any) -> str:
    return " ".join(str(element.text_content()).split())


def diff(site: Site, user: Any, new: Revision, old: Revision, view: str) -> Any:
    return tree(site.get(user, f"/revisions/{new.id}/diff?against={old.id}&view={view}"))


def merged(
    site: Site, *, visibility: str = "round", publish: bool = True
) -> tuple[Revision, Feedback, Feedback]:
    """Alice's suggestion accepted (section 2), Bob's accepted modified (section 3), and
    the editor's own edit of section 1, merged into revision 2 (published)."""
    w = site.world
    with site.app.app_context():
        w.open_round(visibility)
        first = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
        second = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
        decisions.decide(w.db, first.id, actor=w.editor, decision="accept")
        decisions.decide(
            w.db,
            second.id,
            actor=w.editor,
            decision="accept_modified",
            replacement="Zügige Anerkennung",
            response=LONG_RESPONSE,
        )
        one = w.placements()["1"]
        new = merge.merge(
            w.db,
            w.revision.id,
            actor=w.editor,
            note="Einarbeitung",
            edits={one.section_id: "Vorweg: " + one.version.body},
        )
        if publish:
            drafts.publish(w.db, new.id, actor=w.editor)
    w.db.commit()
    return new, first, second


def section_of(page: Any, site: Site, key: str, view: str) -> Any:
    sid = site.world.placements()[key].section_id
    if view == "inline":
        return page.xpath(f"//section[@aria-labelledby='d-{sid}']")[0]
    if view == "synopsis":
        return page.xpath(f"//tr[.//*[@id='why-title-{sid}']]")[0]
    return page.xpath(f"//ol[@class='diff-overview']/li[a[contains(@href, '#d-{sid}')]]")[0]


def test_the_inline_view_names_the_cause_of_each_change(site: Site) -> None:
    w = site.world
    new, first, _second = merged(site)
    page = diff(site, w.editor, new, w.revision, "inline")
    two = section_of(page, site, "2", "inline")
    ins = two.xpath(".//ins")[0]
    assert "Sprachbildung" in text_of(ins)
    assert ins.get("aria-describedby") == f"change-fb-{first.id}"
    assert two.xpath(".//sup[@class='why-ref']/a/@href") == [f"#change-fb-{first.id}"]
    cause = text_of(two.xpath(f".//li[@id='change-fb-{first.id}']")[0])
    assert f"Änderungsvorschlag Nr. {first.id} von Alice Arendt (Caritas Siegtal)" in cause
    assert "übernommen" in cause
    item = f"/revisions/{w.revision.id}#fb-{first.id}"
    assert item in two.xpath(f".//li[@id='change-fb-{first.id}']//a/@href")
    three = text_of(section_of(page, site, "3", "inline"))
    assert "Bob Berger (Jobcenter Siegtal) · geändert übernommen" in three
    # The response, shortened.
    assert "Stellungnahme der Verwaltung: „Wir übernehmen den Vorschlag" in three
    assert LONG_RESPONSE.strip() not in three and "…“" in three
    one = text_of(section_of(page, site, "1", "inline"))
    assert "Redaktionelle Änderung von Miriam Redaktion" in one
    # Unchanged sections have no causes.
    assert not section_of(page, site, "4", "inline").xpath(".//*[@class='why']")


def test_the_overview_lists_the_causes_per_section(site: Site) -> None:
    w = site.world
    new, first, _second = merged(site)
    page = diff(site, w.editor, new, w.revision, "overview")
    two = section_of(page, site, "2", "overview")
    assert f"Vorschlag Nr. {first.id} (Alice Arendt, Caritas Siegtal; übernommen)" in text_of(two)
    assert two.xpath(f".//li[@id='change-fb-{first.id}']/a/@href") == [
        f"/revisions/{w.revision.id}#fb-{first.id}"
    ]
    assert "redaktionelle Änderung (Miriam Redaktion)" in text_of(
        section_of(page, site, "1", "overview")
    )
    assert not section_of(page, site, "4", "overview").xpath(".//ul[@class='why-inline']")


def test_the_synopsis_marks_both_columns(site: Site) -> None:
    w = site.world
    new, first, _second = merged(site)
    page = diff(site, w.editor, new, w.revision, "synopsis")
    row = section_of(page, site, "2", "synopsis")
    old_cell, new_cell = row.xpath("./td")
    assert old_cell.xpath(".//del/@aria-describedby") == [f"change-fb-{first.id}"]
    assert old_cell.xpath(".//sup[@class='why-ref']/a/@href") == [f"#change-fb-{first.id}"]
    assert new_cell.xpath(".//sup[@class='why-ref']/a/@href") == [f"#change-fb-{first.id}"]
    assert new_cell.xpath(f".//li[@id='change-fb-{first.id}']")
    # Every id the references name is on the page, once.
    ids = page.xpath("//@id")
    for href in page.xpath("//sup[@class='why-ref']/a/@href"):
        assert ids.count(href[1:]) == 1


def test_pairs_without_a_merge_on_the_way_show_no_causes(site: Site) -> None:
    w = site.world
    new, _first, _second = merged(site)
    with site.app.app_context():
        later = w.new_revision(changes={"4": "Vielfalt ist Alltag."}, removed=())
    w.db.commit()
    for older, newer in ((new, later), (later, new), (new, w.revision)):
        for view in ("overview", "inline", "synopsis"):
            page = diff(site, w.editor, newer, older, view)
            assert not page.xpath("//sup[@class='why-ref']"), (older.number, newer.number, view)
            assert not page.xpath("//*[@class='why' or @class='why-inline']")


def test_causes_are_carried_through_later_revisions(site: Site) -> None:
    w = site.world
    new, first, _second = merged(site)
    with site.app.app_context():
        later = w.new_revision(
            changes={
                "2": w.body("2", new).replace("früh", "sehr früh"),
                "4": "Vielfalt ist Alltag.",
            },
            removed=(),
        )
    w.db.commit()
    page = diff(site, w.editor, later, w.revision, "inline")
    two = section_of(page, site, "2", "inline")
    refs = {
        text_of(ins): ins.get("aria-describedby") for ins in two.xpath(".//ins[@aria-describedby]")
    }
    assert refs["eingefügt: Sprachbildung (Ende der Einfügung)"] == f"change-fb-{first.id}"
    said = text_of(two.xpath(".//ol[@class='why-list']")[0])
    assert f"Änderungsvorschlag Nr. {first.id}" in said
    assert "Redaktionelle Änderung von Miriam Redaktion" in said
    four = text_of(section_of(page, site, "4", "inline"))
    assert "Redaktionelle Änderung von Miriam Redaktion" in four


def test_a_draft_edited_after_the_merge_keeps_its_causes(site: Site) -> None:
    w = site.world
    new, first, _second = merged(site, publish=False)
    colleague = w.make_user("Rita Redaktion", organisation=w.editor.organisation)
    w.add_member(w.consultation.id, colleague, "editor")
    placement = w.placements(new)["2"]
    with site.app.app_context():
        draft_sections.update_section(
            w.db,
            new.id,
            placement.section_id,
            actor=colleague,
            base_version_id=placement.version_id,
            body=placement.version.body + " Dazu kommt ein Elterncafé.",
        )
    w.db.commit()
    page = diff(site, w.editor, new, w.revision, "inline")
    said = text_of(section_of(page, site, "2", "inline").xpath(".//ol[@class='why-list']")[0])
    assert f"Änderungsvorschlag Nr. {first.id}" in said
    assert "Redaktionelle Änderung von Rita Redaktion" in said


def test_what_a_participant_learns_follows_what_they_may_see(site: Site) -> None:
    w = site.world
    new, first, second = merged(site, visibility="editors")
    with site.app.app_context():
        w.open_round(revision=new, title="Zweite Runde")  # so that Alice may read it
    w.db.commit()
    # Alice sees her own suggestion, but not its decision before it is published.
    page = diff(site, w.alice, new, w.revision, "inline")
    mine = text_of(page.xpath(f"//li[@id='change-fb-{first.id}']")[0])
    assert "Alice Arendt" in mine and "übernommen" not in mine
    # Bob's suggestion is not for her eyes: a suggestion, nothing more.
    three = text_of(section_of(page, site, "3", "inline"))
    assert "Änderungsvorschlag aus der Beteiligung" in three
    assert "Bob Berger" not in three and LONG_RESPONSE[:20] not in three
    assert f"#fb-{second.id}" not in "".join(page.xpath("//a/@href"))
    with site.app.app_context():
        decisions.publish_decisions(w.db, w.rounds[0].id, actor=w.editor)
    w.db.commit()
    page = diff(site, w.alice, new, w.revision, "inline")
    assert "übernommen" in text_of(page.xpath(f"//li[@id='change-fb-{first.id}']")[0])
    assert "Bob Berger" not in text_of(page)
    # The observer is invited to no round: every suggestion stays anonymous.
    page = diff(site, w.observer, new, w.revision, "overview")
    assert "Alice Arendt" not in text_of(page)
    assert "Änderungsvorschlag aus der Beteiligung" in text_of(page)


def statements(site: Site, new: Revision, old: Revision) -> tuple[int, int]:
    """(SQL statements, sections with causes) of the causes of one comparison."""
    w = site.world
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    with site.app.app_context():
        comparison = diffs.compare(w.db, new, old)
        connection = w.db.connection()
        event.listen(connection, "before_cursor_execute", count)
        try:
            found = change_causes.for_comparison(w.db, comparison, actor=w.editor)
        finally:
            event.remove(connection, "before_cursor_execute", count)
    return len(counted), len(found)


def test_the_causes_cost_a_few_queries_whatever_their_number(site: Site) -> None:
    w = site.world
    new, _first, _second = merged(site)
    with site.app.app_context():
        later = w.new_revision(changes={"4": "Vielfalt ist Alltag."}, removed=())
        w.db.expire_all()
    w.db.commit()
    # No merge on the way: two statements (the revisions' bases, any provenance).
    assert statements(site, later, new) == (2, 0)
    merged_pair, sections = statements(site, new, w.revision)
    assert sections == 3 and merged_pair <= 8
    # Three merged sections cost as much as one.
    more = statements(site, later, w.revision)
    assert more[1] == 4 and more[0] <= merged_pair + 1
