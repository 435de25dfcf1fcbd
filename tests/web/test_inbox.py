"""The overview of a round's feedback (Eingangsliste, issue 11, items 1, 3, 5): the table
with its links, filters and order as query parameters, counts and the progress bar, the
way to the first undecided item, overlapping accepted suggestions flagged, deciding and
assigning several items at once (all or nothing), and the response snippets' page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from consult.models import FeedbackDecision, FeedbackReview, ResponseSnippet
from consult.services import decisions, snippets
from tests import support
from tests.web.test_decision_pages import Site, location, site  # noqa: F401  (the fixture)

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


def inbox_url(site: Site, query: str = "") -> str:  # noqa: F811
    return f"/rounds/{site.world.rounds[-1].id}/feedback" + (f"?{query}" if query else "")


def rows(page: str) -> list[Any]:
    return lxml.html.fromstring(page).xpath("//table[contains(@class, 'inbox-table')]/tbody/tr")


def numbers(page: str) -> list[str]:
    return [" ".join(row.xpath("./th")[0].text_content().split()) for row in rows(page)]


def row_ids(page: str) -> list[int]:
    return [int(row.get("id").removeprefix("item-")) for row in rows(page)]


def test_the_table_lists_every_item_with_links_and_counts(site: Site) -> None:  # noqa: F811
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte die Eltern früher beteiligen.")
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung", "Zu langsam.")
    whole = w.comment(w.anna, "1", None, body="Zum ganzen Abschnitt.")
    decisions.decide(w.db, comment.id, actor=w.editor, decision="considered", response="Ja.")
    page = site.get(w.editor, inbox_url(site))
    assert numbers(page) == ["Nr. 1", "Nr. 2", "Nr. 3"]
    tree = lxml.html.fromstring(page)
    [progress] = tree.xpath("//progress")
    assert (progress.get("value"), progress.get("max")) == ("1", "3")
    label = tree.xpath(f"//label[@for='{progress.get('id')}']")[0].text_content()
    assert label == "1 von 3 Beiträgen entschieden"
    assert "2 Beiträge sind noch offen." in page
    assert tree.xpath("//table/caption")[0].text_content().startswith("Beiträge der Runde")
    assert [th.get("scope") for th in tree.xpath("//table/thead//th")] == ["col"] * 10
    first, second, third = rows(page)
    text = " ".join(first.text_content().split())
    for expected in ("2 Bildung", "Caritas Siegtal", "Alice Arendt", "Kommentar", "„in der Kita“"):
        assert expected in text
    assert "berücksichtigt" in text and "Entscheidung ändern" in text
    links = {a.text_content().split()[0]: a.get("href") for a in first.xpath(".//a")}
    assert links["Im"] == f"/revisions/{w.revision.id}#fb-{comment.id}"
    assert links["Entscheidung"].startswith(f"/feedback/{comment.id}/decision?back=")
    assert "vorgeschlagen: „Schnelle Anerkennung“" in " ".join(second.text_content().split())
    assert "zum ganzen Abschnitt" in third.text_content()
    assert [r.xpath(".//input[@type='checkbox']/@value") for r in rows(page)] == [
        [str(comment.id)],
        [str(suggestion.id)],
        [str(whole.id)],
    ]
    # The first undecided item, from the top.
    [first_open] = tree.xpath("//a[starts-with(., 'Nächster offener Beitrag')]")
    assert first_open.get("href").startswith(f"/feedback/{suggestion.id}/decision")


def test_the_rounds_page_links_editors_to_the_overview(site: Site) -> None:  # noqa: F811
    w = site.world
    page = site.get(w.editor, f"/consultations/{w.consultation.id}/rounds")
    assert f'href="{inbox_url(site)}"' in page
    page = site.get(w.alice, f"/consultations/{w.consultation.id}/rounds")
    assert inbox_url(site) not in page


def test_filters_and_sorting_as_query_parameters(site: Site) -> None:  # noqa: F811
    w = site.world
    a = w.comment(w.alice, "3", "Anerkennung", "a")
    b = w.suggest(w.bob, "2", "Kita", "Krippe")
    c = w.comment(w.anna, "2", None, body="c")
    decisions.decide(w.db, a.id, actor=w.editor, decision="noted", response="Ok.")
    decisions.assign(w.db, [c.id], actor=w.editor, assignee_id=w.editor.id)
    cases = {
        "": [a.id, b.id, c.id],
        "undecided=1": [b.id, c.id],
        "kind=suggestion": [b.id],
        "kind=comment&undecided=1": [c.id],
        f"org={w.alice.organisation_id}": [a.id],
        f"group={w.groups['b'].id}": [b.id],
        f"section={w.section_id('2')}": [b.id, c.id],
        "assignee=me": [c.id],
        "assignee=none": [a.id, b.id],
        f"assignee={w.editor.id}": [c.id],
        "outdated=1": [],
        "sort=section": [c.id, b.id, a.id],
        "sort=organisation": [a.id, c.id, b.id],
        "sort=status&undecided=1": [b.id, c.id],
    }
    for query, expected in cases.items():
        page = site.get(w.editor, inbox_url(site, query))
        assert row_ids(page) == expected, query
    page = site.get(w.editor, inbox_url(site, "kind=suggestion&sort=section"))
    tree = lxml.html.fromstring(page)
    assert tree.xpath("//select[@name='kind']/option[@selected]/@value") == ["suggestion"]
    assert tree.xpath("//th[@aria-sort='ascending']")[0].text_content() == "Abschnitt"
    assert "1 von 3 Beiträgen angezeigt" in page
    # The filters go along to the decision page and back.
    [decide] = rows(page)[0].xpath(".//a[contains(@href, '/decision')]")
    back = dict(parse_qsl(urlsplit(decide.get("href")).query))["back"]
    assert dict(parse_qsl(urlsplit(back).query)) == {"kind": "suggestion", "sort": "section"}
    # What is not understood is ignored.
    for query in ("org=abc", "section=²", "assignee=-1", "sort=x", "kind=x", "group=99999999999"):
        site.get(w.editor, inbox_url(site, query))
    assert "Kein Beitrag passt zu diesen Filtern." in site.get(w.editor, inbox_url(site, "org=1"))


def test_overlapping_accepted_suggestions_are_flagged(site: Site) -> None:  # noqa: F811
    w = site.world
    one = w.suggest(w.alice, "2", "Sprachförderung beginnt", "Bildung beginnt")
    two = w.suggest(w.bob, "2", "beginnt in der Kita", "startet in der Krippe")
    for item in (one, two):
        decisions.decide(w.db, item.id, actor=w.editor, decision="accept")
    page = site.get(w.editor, inbox_url(site))
    tree = lxml.html.fromstring(page)
    [notice] = tree.xpath("//section[@id='overlaps']")
    assert "Angenommene Vorschläge überschneiden sich" in notice.text_content()
    assert " ".join(notice.xpath(".//li")[0].text_content().split()) == "Nr. 1 und Nr. 2"
    flags = [" ".join(r.text_content().split()) for r in rows(page)]
    assert "überschneidet sich mit Nr. 2" in flags[0]
    assert "überschneidet sich mit Nr. 1" in flags[1]
    page = site.get(w.editor, f"/feedback/{one.id}/decision")
    assert "Dieser angenommene Vorschlag überschneidet sich mit einem anderen:" in page
    # Resolved by rejecting one of them.
    site.post(
        w.editor, f"/feedback/{two.id}/decision", {"decision": "reject", "response": "Doppelt."}
    )
    page = site.get(w.editor, inbox_url(site))
    assert "überschneiden sich" not in page and "überschneidet" not in page


def test_deciding_several_items_at_once(site: Site) -> None:  # noqa: F811
    w = site.world
    a = w.comment(w.alice, "2", "in der Kita", "a")
    b = w.comment(w.bob, "3", None, body="b")
    untouched = w.comment(w.anna, "1", None, body="c")
    response = site.post(
        w.editor,
        inbox_url(site, "undecided=1"),
        {
            "ids": [str(a.id), str(b.id)],
            "decision": "noted",
            "response": "Danke für den Hinweis.",
            "action": "decide",
        },
    )
    assert location(response) == inbox_url(site, "undecided=1")
    page = site.get(w.editor, inbox_url(site, "undecided=1"))
    assert "Die Entscheidung ist für 2 Beiträge gespeichert." in page
    assert row_ids(page) == [untouched.id]
    for item in (a, b):
        review = site.review(item.id)
        assert review is not None
        assert (review.decision, review.response) == ("noted", "Danke für den Hinweis.")
    assert site.count(FeedbackDecision) == 2


def test_several_at_once_are_all_or_nothing_and_name_the_item(site: Site) -> None:  # noqa: F811
    w = site.world
    a = w.comment(w.alice, "2", "in der Kita", "a")
    s = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    data = {
        "ids": [str(a.id), str(s.id)],
        "decision": "noted",
        "response": "Ok.",
        "action": "decide",
    }
    response = site.post(w.editor, inbox_url(site), data)
    assert response.status_code == 422
    page = support.page(response)
    assert support.field_error(page, "decision") == (
        "Nr. 2: Bitte eine der möglichen Entscheidungen wählen."
    )
    assert site.count(FeedbackDecision) == 0
    assert site.count(FeedbackReview) == 0
    # The selection and the text stay for another try.
    tree = lxml.html.fromstring(page)
    assert sorted(tree.xpath("//input[@name='ids'][@checked]/@value")) == sorted(
        [str(a.id), str(s.id)]
    )
    response = site.post(w.editor, inbox_url(site), {**data, "ids": [str(a.id)], "response": ""})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "response") == "Nr. 1: Bitte begründen."
    response = site.post(w.editor, inbox_url(site), {**data, "ids": []})
    assert response.status_code == 422
    assert "Bitte wählen Sie mindestens einen Beitrag aus." in support.page(response)
    response = site.post(w.editor, inbox_url(site), {**data, "decision": ""})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "decision") == (
        "Bitte wählen Sie eine Entscheidung."
    )
    response = site.post(w.editor, inbox_url(site), {**data, "ids": ["abc"]})
    assert response.status_code == 422
    assert site.count(FeedbackDecision) == 0


def test_assigning_several_items_at_once(site: Site) -> None:  # noqa: F811
    w = site.world
    a = w.comment(w.alice, "2", "in der Kita", "a")
    b = w.comment(w.bob, "3", None, body="b")
    response = site.post(
        w.editor,
        inbox_url(site),
        {"ids": [str(a.id), str(b.id)], "assignee_id": str(w.editor.id), "action": "assign"},
    )
    location(response)
    page = site.get(w.editor, inbox_url(site, "assignee=me"))
    assert "Die Zuständigkeit ist für 2 Beiträge gespeichert." in page
    assert row_ids(page) == [a.id, b.id]
    assert all(w.editor.name in r.text_content() for r in rows(page))
    response = site.post(
        w.editor,
        inbox_url(site),
        {"ids": [str(a.id)], "assignee_id": str(w.alice.id), "action": "assign"},
    )
    assert response.status_code == 422
    assert support.field_error(support.page(response), "assignee_id")


def test_a_snippet_goes_into_the_bulk_response_without_javascript(site: Site) -> None:  # noqa: F811
    w = site.world
    a = w.comment(w.alice, "2", "in der Kita", "a")
    snippet = snippets.create_snippet(
        w.db, w.consultation.id, actor=w.editor, title="Dank", body="Vielen Dank für Ihren Beitrag."
    )
    response = site.post(
        w.editor,
        inbox_url(site),
        {"ids": [str(a.id)], "snippet": str(snippet.id), "response": "", "action": "snippet"},
    )
    assert response.status_code == 200
    tree = lxml.html.fromstring(support.page(response))
    assert (
        "Vielen Dank für Ihren Beitrag."
        in tree.xpath("//textarea[@id='response']")[0].text_content()
    )
    assert tree.xpath("//input[@name='ids'][@checked]/@value") == [str(a.id)]
    response = site.post(
        w.editor,
        inbox_url(site),
        {
            "ids": [str(a.id)],
            "decision": "noted",
            "response": "Vielen Dank für Ihren Beitrag.",
            "snippet_id": str(snippet.id),
            "action": "decide",
        },
    )
    location(response)
    w.db.expire_all()
    assert w.db.get(ResponseSnippet, snippet.id).uses == 1  # type: ignore[union-attr]


def test_the_snippets_page(site: Site) -> None:  # noqa: F811
    w = site.world
    page_url = f"/consultations/{w.consultation.id}/snippets"
    assert "Noch keine Textbausteine." in site.get(w.editor, page_url)
    response = site.post(w.editor, page_url, {"title": "", "body": "Text"})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "title")
    response = site.post(
        w.editor, page_url, {"title": "Zuständigkeit Land", "body": "Dafür ist das Land zuständig."}
    )
    location(response)
    page = site.get(w.editor, page_url)
    assert "Der Textbaustein „Zuständigkeit Land“ ist angelegt." in page
    assert "Zuständigkeit Land" in page and "0-mal" in page
    snippet = w.db.scalar(
        select(ResponseSnippet.id).where(ResponseSnippet.consultation_id == w.consultation.id)
    )
    assert snippet is not None
    delete = f"/consultations/{w.consultation.id}/snippets/{snippet}/delete"
    # Without JavaScript the page asks first; nothing is deleted yet.
    asked = site.post(w.editor, delete, {})
    assert asked.status_code == 200 and "Textbaustein löschen?" in support.page(asked)
    assert site.count(ResponseSnippet) == 1
    location(site.post(w.editor, delete, {"confirmed": "1"}))
    assert site.count(ResponseSnippet) == 0
    assert "Der Textbaustein ist gelöscht." in site.get(w.editor, page_url)
