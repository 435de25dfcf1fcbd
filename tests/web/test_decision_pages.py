"""The decision page of one item (issue 11, item 2): deciding each kind, the response
required but for "annehmen", outdated suggestions refused unmodified and offered to be
accepted modified, withdrawing a decision, the history, snippets without JavaScript,
assigning; participants get 403; and in the reading view the decision shows on the card
for editors at once and for everyone else only once published."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import lxml.html
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Feedback,
    FeedbackDecision,
    FeedbackReview,
    Membership,
    Organisation,
    ResponseSnippet,
    User,
)
from consult.services import decisions, snippets
from tests import support
from tests.conftest import CSRFClient
from tests.services.test_feedback import World, build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class Site:
    """The world with an open round, and a logged-in browser per person."""

    def __init__(self, world: World, app: Flask) -> None:
        self.world = world
        self.app = app
        self._clients: dict[int, CSRFClient] = {}

    def browser(self, user: User) -> CSRFClient:
        if user.id not in self._clients:
            self.world.db.commit()
            client: CSRFClient = self.app.test_client()  # type: ignore[assignment]
            self._clients[user.id] = support.sign_in(client, self.world.db, user)
        return self._clients[user.id]

    def get(self, user: User, url: str, status: int = 200) -> str:
        self.world.db.commit()
        response = self.browser(user).get(url)
        assert response.status_code == status, response.get_data(as_text=True)[:1500]
        return support.page(response)

    def post(self, user: User, url: str, data: dict[str, Any]) -> Any:
        self.world.db.commit()
        return self.browser(user).post(url, data=data)

    def review(self, feedback_id: int) -> FeedbackReview | None:
        self.world.db.expire_all()
        return self.world.db.get(FeedbackReview, feedback_id)

    def count(self, model: type) -> int:
        self.world.db.expire_all()
        return self.world.db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def site(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Site:
    world = build_world(db, admin, make_user, make_org, add_member)
    world.open_round()
    db.commit()
    return Site(world, app)


def url(item: Feedback, back: str | None = None) -> str:
    return f"/feedback/{item.id}/decision" + (f"?back={quote(back, safe='')}" if back else "")


def textarea(tree: Any, field_id: str) -> str:
    """A text area's value as a browser reads it (without the newline after the tag)."""
    text: str = tree.xpath(f"//textarea[@id='{field_id}']")[0].text_content()
    return text.removeprefix("\n")


def address(href: str) -> tuple[str, dict[str, str]]:
    """A local address as its path and its decoded query parameters."""
    parts = urlsplit(href)
    return parts.path, dict(parse_qsl(parts.query))


def location(response: Any) -> str:
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:1500]
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def test_a_comment_is_decided_with_a_response(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    page = site.get(w.editor, url(comment))
    assert "Entscheidung über Nr. 1" in page
    for label in ("berücksichtigt", "teilweise berücksichtigt", "nicht berücksichtigt"):
        assert f">{label}</label>" in page
    assert ">zur Kenntnis genommen</label>" in page and ">annehmen</label>" not in page
    tree = lxml.html.fromstring(page)
    assert tree.xpath("//fieldset[@id='decision']/legend")[0].text_content() == "Entscheidung"
    response = site.post(
        w.editor,
        url(comment),
        {"decision": "partly_considered", "response": "Teilweise aufgenommen.", "then": "back"},
    )
    assert location(response) == f"/rounds/{w.rounds[-1].id}/feedback"
    review = site.review(comment.id)
    assert review is not None
    assert (review.decision, review.response) == ("partly_considered", "Teilweise aufgenommen.")
    page = site.get(w.editor, url(comment))
    assert "teilweise berücksichtigt" in page and "noch nicht veröffentlicht" in page


def test_the_response_is_required_but_for_accept(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    response = site.post(w.editor, url(comment), {"decision": "noted", "response": "  "})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "response") == "Bitte begründen."
    response = site.post(w.editor, url(suggestion), {"decision": "reject", "response": ""})
    assert response.status_code == 422
    assert site.count(FeedbackDecision) == 0
    response = site.post(w.editor, url(suggestion), {"decision": "accept", "response": ""})
    location(response)
    review = site.review(suggestion.id)
    assert review is not None and review.decision == "accept"
    w.db.expire_all()
    assert w.db.get(Feedback, suggestion.id).status == "accepted"  # type: ignore[union-attr]
    # No decision chosen, or one that does not fit: said at the radio group.
    response = site.post(w.editor, url(comment), {"response": "Text."})
    assert response.status_code == 422
    assert "Bitte wählen Sie eine Entscheidung." in support.page(response)
    response = site.post(w.editor, url(comment), {"decision": "accept", "response": "Text."})
    assert response.status_code == 422
    assert site.count(FeedbackDecision) == 1


def test_a_suggestion_accepted_modified_with_the_live_diff_base(site: Site) -> None:
    w = site.world
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung", "Schneller.")
    page = site.get(w.editor, url(suggestion))
    for label in ("annehmen", "ablehnen", "geändert annehmen"):
        assert f">{label}</label>" in page
    tree = lxml.html.fromstring(page)
    assert textarea(tree, "replacement") == "Schnelle Anerkennung"
    [live] = tree.xpath("//p[@class='live-diff']")
    assert live.get("data-quote") == "Anerkennung"
    assert live.xpath(".//ins")  # without JavaScript: the diff as rendered
    response = site.post(
        w.editor,
        url(suggestion),
        {"decision": "accept_modified", "replacement": "Zügige Anerkennung", "response": ""},
    )
    assert response.status_code == 422
    assert support.field_error(support.page(response), "response") == "Bitte begründen."
    response = site.post(
        w.editor,
        url(suggestion),
        {
            "decision": "accept_modified",
            "replacement": "Zügige Anerkennung",
            "response": "Etwas anders.",
        },
    )
    location(response)
    review = site.review(suggestion.id)
    assert review is not None
    assert (review.decision, review.replacement) == ("accept_modified", "Zügige Anerkennung")


def test_an_outdated_suggestion_is_refused_unmodified_and_offered_modified(site: Site) -> None:
    w = site.world
    suggestion = w.suggest(w.bob, "3", "in mehreren Sprachen", "in allen Sprachen")
    w.new_revision(publish=False)  # section 3 now reads "in vielen Sprachen und digital"
    page = site.get(w.editor, url(suggestion))
    assert "Dieser Vorschlag kann nicht unverändert angenommen werden." in page
    tree = lxml.html.fromstring(page)
    offered = textarea(tree, "replacement")
    assert offered != "in allen Sprachen" and "Sprachen" in offered
    response = site.post(w.editor, url(suggestion), {"decision": "accept", "response": ""})
    assert response.status_code == 409
    html = support.page(response)
    assert "nicht unverändert übernommen werden" in html
    assert 'id="decision-error"' in html
    assert site.count(FeedbackDecision) == 0
    response = site.post(
        w.editor,
        url(suggestion),
        {
            "decision": "accept_modified",
            "replacement": "in allen Sprachen und digital",
            "response": "An den neuen Text angepasst.",
        },
    )
    location(response)
    review = site.review(suggestion.id)
    assert review is not None and review.replacement == "in allen Sprachen und digital"


def test_withdrawing_a_decision_and_the_history(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    site.post(w.editor, url(comment), {"decision": "noted", "response": "Zur Kenntnis."})
    site.post(w.editor, url(comment), {"decision": "considered", "response": "Aufgenommen."})
    response = site.post(w.editor, f"/feedback/{comment.id}/decision/withdraw", {})
    assert location(response).startswith(f"/feedback/{comment.id}/decision")
    review = site.review(comment.id)
    assert review is not None and review.decision is None
    page = site.get(w.editor, url(comment))
    history = lxml.html.fromstring(page).xpath("//ol[contains(@class, 'decision-history')]/li")
    texts = [" ".join(li.text_content().split()) for li in history]
    assert [t.split(" –")[0] for t in texts] == [
        "zurückgenommen",
        "berücksichtigt",
        "zur Kenntnis genommen",
    ]
    assert all(w.editor.name in t for t in texts)
    assert all(re.search(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", t) for t in texts)
    assert "Entscheidung zurücknehmen" not in page  # nothing to withdraw now


def test_a_snippet_fills_the_response_without_javascript_and_counts_its_use(
    site: Site,
) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    snippet = snippets.create_snippet(
        w.db,
        w.consultation.id,
        actor=w.editor,
        title="Landessache",
        body="Dafür ist das Land zuständig.",
    )
    page = site.get(w.editor, url(comment))
    assert "Landessache" in page and "Textbaustein übernehmen" in page
    response = site.post(
        w.editor,
        url(comment),
        {
            "decision": "not_considered",
            "response": "Leider nein.",
            "snippet": str(snippet.id),
            "action": "snippet",
        },
    )
    assert response.status_code == 200
    tree = lxml.html.fromstring(support.page(response))
    filled = textarea(tree, "response")
    assert filled == "Leider nein.\n\nDafür ist das Land zuständig."
    assert tree.xpath("//input[@name='snippet_id']")[0].get("value") == str(snippet.id)
    assert tree.xpath("//input[@value='not_considered']")[0].get("checked") is not None
    assert site.review(comment.id) is None  # nothing stored yet
    response = site.post(
        w.editor,
        url(comment),
        {"decision": "not_considered", "response": filled, "snippet_id": str(snippet.id)},
    )
    location(response)
    w.db.expire_all()
    assert w.db.get(ResponseSnippet, snippet.id).uses == 1  # type: ignore[union-attr]
    # A snippet of no consultation, or no snippet chosen: refused, nothing stored.
    response = site.post(
        w.editor, url(comment), {"decision": "noted", "response": "x", "snippet_id": "999999"}
    )
    assert response.status_code == 422
    response = site.post(w.editor, url(comment), {"snippet": "", "action": "snippet"})
    assert response.status_code == 422
    assert support.field_error(support.page(response), "snippet")
    assert site.review(comment.id).decision == "not_considered"  # type: ignore[union-attr]


def test_assigning_an_editor(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    response = site.post(
        w.editor, f"/feedback/{comment.id}/assignee", {"assignee_id": str(w.editor.id)}
    )
    assert location(response).startswith(f"/feedback/{comment.id}/decision")
    review = site.review(comment.id)
    assert review is not None and review.assignee_id == w.editor.id
    page = site.get(w.editor, url(comment))
    [chosen] = lxml.html.fromstring(page).xpath("//select[@id='assignee_id']/option[@selected]")
    assert chosen.get("value") == str(w.editor.id)
    response = site.post(
        w.editor, f"/feedback/{comment.id}/assignee", {"assignee_id": str(w.alice.id)}
    )
    assert response.status_code == 422
    assert support.field_error(support.page(response), "assignee_id")
    site.post(w.editor, f"/feedback/{comment.id}/assignee", {"assignee_id": ""})
    assert site.review(comment.id).assignee_id is None  # type: ignore[union-attr]


def test_participants_get_403_and_change_nothing(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    round_id = w.rounds[-1].id
    for user in (w.alice, w.bob):  # both see the comment (visibility "round")
        site.get(user, url(comment), status=403)
        site.get(user, f"/rounds/{round_id}/feedback", status=403)
        site.get(user, f"/consultations/{w.consultation.id}/snippets", status=403)
        for path, data in (
            (url(comment), {"decision": "noted", "response": "x"}),
            (f"/feedback/{comment.id}/decision/withdraw", {}),
            (f"/feedback/{comment.id}/assignee", {"assignee_id": str(user.id)}),
            (f"/rounds/{round_id}/feedback", {"ids": [str(comment.id)], "action": "decide"}),
            (f"/consultations/{w.consultation.id}/snippets", {"title": "T", "body": "B"}),
        ):
            assert site.post(user, path, data).status_code == 403, path
    site.get(w.outsider, url(comment), status=404)
    assert site.count(FeedbackDecision) == 0
    assert site.count(FeedbackReview) == 0
    assert site.count(ResponseSnippet) == 0


def _card(page: str, item: Feedback) -> Any:
    found = lxml.html.fromstring(page).xpath(f"//article[@id='fb-{item.id}']")
    assert found, f"no card for {item.id}"
    return found[0]


def test_the_reading_view_card_links_editors_to_the_decision_and_back(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    reading = f"/revisions/{w.revision.id}"
    card = _card(site.get(w.editor, reading), comment)
    [link] = card.xpath(".//a[contains(@class, 'decide-link')]")
    assert link.text_content() == "Entscheiden"
    href = link.get("href")
    assert address(href) == (url(comment), {"back": f"{reading}#fb-{comment.id}"})
    assert not _card(site.get(w.alice, reading), comment).xpath(".//a[@class='decide-link']")
    page = site.get(w.editor, href)
    assert "Zurück zum Text" in page
    response = site.post(w.editor, href, {"decision": "considered", "response": "Ja."})
    assert location(response) == f"{reading}#fb-{comment.id}"


def test_decisions_show_to_participants_only_once_published(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "Bitte früher.")
    other = w.comment(w.bob, "3", "Anerkennung", "Schneller.")
    reading = f"/revisions/{w.revision.id}"
    # Read before the decision (the page is kept for the next readers).
    site.get(w.alice, reading)
    site.get(w.editor, reading)
    site.post(w.editor, url(comment), {"decision": "considered", "response": "Geheime Abwägung."})
    editor_card = _card(site.get(w.editor, reading), comment)
    assert "Geheime Abwägung." in editor_card.text_content()
    assert "noch nicht veröffentlicht" in editor_card.text_content()
    assert not _card(site.get(w.editor, reading), other).xpath(".//*[@class='thread-decision']")
    for user in (w.alice, w.bob, w.observer):
        page = site.get(user, reading)
        assert "Geheime Abwägung." not in page, user.name
        assert "berücksichtigt" not in page
    with site.app.app_context():  # (the e-mails to the authors are rendered)
        decisions.publish_decisions(w.db, w.rounds[-1].id, actor=w.editor)
    w.db.commit()
    card = _card(site.get(w.alice, reading), comment)
    text = " ".join(card.text_content().split())
    assert "Abwägung: berücksichtigt" in text
    assert "Stellungnahme der Verwaltung: Geheime Abwägung." in text
    assert "noch nicht veröffentlicht" not in text
    assert "noch nicht veröffentlicht" not in site.get(w.editor, reading)


def test_saving_and_going_on_to_the_next_undecided_item(site: Site) -> None:
    w = site.world
    first = w.comment(w.alice, "2", "in der Kita", "a")
    second = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    third = w.comment(w.anna, "1", None, body="c")
    back = f"/rounds/{w.rounds[-1].id}/feedback?kind=comment"
    response = site.post(
        w.editor, url(first, back=back), {"decision": "noted", "response": "Ok.", "then": "next"}
    )
    following = location(response)
    assert following.startswith(f"/rounds/{w.rounds[-1].id}/feedback/next?")
    assert "kind=comment" in following and f"after={first.id}" in following
    target = location(site.browser(w.editor).get(following))
    # Under the filter "Kommentare": the suggestion is skipped.
    assert address(target) == (url(third), {"back": back})
    assert second.id not in (first.id, third.id)
    site.post(w.editor, url(third, back=back), {"decision": "noted", "response": "Ok."})
    done = site.browser(w.editor).get(
        f"/rounds/{w.rounds[-1].id}/feedback/next?kind=comment&after={third.id}"
    )
    assert location(done) == back
    assert "In dieser Liste ist kein Beitrag mehr offen." in site.get(w.editor, back)


def test_a_foreign_back_address_is_not_followed(site: Site) -> None:
    w = site.world
    comment = w.comment(w.alice, "2", "in der Kita", "a")
    response = site.post(
        w.editor,
        url(comment, back="https://evil.example/x"),
        {"decision": "noted", "response": "Ok."},
    )
    assert location(response) == f"/rounds/{w.rounds[-1].id}/feedback"
