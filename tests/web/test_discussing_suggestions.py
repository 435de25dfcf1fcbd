"""Suggestions are discussed like comments; a finished round's threads say why nobody
answers there any more (issue 10, item 7)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.db import utcnow
from consult.models import Reply
from tests.web import test_feedback_pages
from tests.web.test_feedback_pages import Site, module_app, redirect_path  # noqa: F401

app = test_feedback_pages.app
site = test_feedback_pages.site

CLOSED = "Die Runde ist beendet: Antworten sind hier nicht mehr möglich."


def thread(page: str, feedback_id: int) -> str:
    match = re.search(rf'<article [^>]*id="fb-{feedback_id}".*?</article>', page, re.S)
    assert match, f"no thread {feedback_id}"
    return match.group(0)


def test_a_suggestion_has_a_reply_link_and_takes_replies(site: Site) -> None:
    w = site.world
    w.open_round()
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    page = site.read(w.bob)
    assert f'data-reply-to="{suggestion.id}"' in thread(page, suggestion.id)
    url = f"/feedback/{suggestion.id}/reply?revision_id={w.revision.id}"
    assert 'name="body"' in site.get(w.bob, url)
    response = site.post(
        w.bob, f"/feedback/{suggestion.id}/reply", {"body": "Gute Idee.", "revision_id": ""}
    )
    redirect_path(response)
    w.db.expire_all()
    assert (
        w.db.scalar(
            select(func.count()).select_from(Reply).where(Reply.feedback_id == suggestion.id)
        )
        == 1
    )
    assert "Gute Idee." in thread(site.read(w.alice), suggestion.id)


def test_threads_of_a_finished_round_say_why_nobody_answers(site: Site) -> None:
    w = site.world
    round_ = w.open_round()
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    round_.closed_early_at = utcnow()
    for item in (comment, suggestion):
        shown = thread(site.read(w.bob), item.id)
        assert CLOSED in shown and "data-reply-to" not in shown
        # The editors may still answer: no such note for them.
        shown = thread(site.read(w.editor), item.id)
        assert CLOSED not in shown and "data-reply-to" in shown
