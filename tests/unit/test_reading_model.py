"""The reading view's model: which feedback becomes a highlight, which an inline change."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import lxml.html
import pytest

from consult.services.feedback_locations import Location
from consult.services.feedback_views import FeedbackView
from consult.web.change_labels import change_labels
from consult.web.reading import Filters, build_sections

BODY = "Die Polizei und die Verbände arbeiten zusammen."


def placement() -> Any:
    return SimpleNamespace(section_id=1, version=SimpleNamespace(body=BODY))


def suggestion(state: str, status: str = "open") -> FeedbackView:
    start = BODY.index("Verbände")
    item: Any = SimpleNamespace(
        id=7,
        kind="suggestion",
        status=status,
        section_id=1,
        author_id=2,
        organisation_id=None,
        withdrawn_at=None,
        replacement="Wohlfahrtsverbände",
    )
    return FeedbackView(item, Location(state, start, start + len("Verbände"), "Verbände"))


@pytest.mark.parametrize("state", ["exact", "moved"])
def test_open_suggestions_in_place_show_as_inline_changes(state: str) -> None:
    [section], _ = build_sections([placement()], [suggestion(state)], Filters(), None, {})
    html = "".join(str(section.block_html(b)) for _, blocks in section.groups for b in blocks)
    assert '<del class="sg-del" data-fb="7">Verbände</del>' in html
    assert '<ins class="sg-ins" data-skip="1" data-fb="7">Wohlfahrtsverbände</ins>' in html


def test_a_suggestion_whose_text_changed_is_only_highlighted() -> None:
    [section], _ = build_sections([placement()], [suggestion("fuzzy")], Filters(), None, {})
    html = "".join(str(section.block_html(b)) for _, blocks in section.groups for b in blocks)
    assert "sg-del" not in html and "sg-ins" not in html
    assert '<mark class="fb-mark" data-fb="7">Verbände</mark>' in html


def test_decided_suggestions_are_not_shown_inline() -> None:
    [section], _ = build_sections(
        [placement()], [suggestion("exact", status="rejected")], Filters(), None, {}
    )
    html = "".join(str(section.block_html(b)) for _, blocks in section.groups for b in blocks)
    assert html == BODY
    assert section.count == 1


def test_a_suggestion_carries_hidden_labels_that_the_offset_count_skips() -> None:
    """Screen readers hear where a suggested deletion and insertion start and end; the
    words are marked data-skip, so a block's counted text stays the body (TEXT.md 1).
    A deletion cut in two by a comment is labelled once, at its outer edges."""
    start = BODY.index("die Verbände")
    comment: Any = SimpleNamespace(
        id=8,
        kind="comment",
        status="open",
        section_id=1,
        author_id=3,
        organisation_id=None,
        withdrawn_at=None,
    )
    over = FeedbackView(comment, Location("exact", start, start + len("die Verb"), "die Verb"))
    [section], _ = build_sections([placement()], [suggestion("exact"), over], Filters(), None, {})
    [block] = [b for _, blocks in section.groups for b in blocks]
    html = str(section.block_html(block, change_labels(proposed=True, skip=True)))
    root = lxml.html.fragment_fromstring(f"<p>{html}</p>")
    labels = root.xpath("//*[contains(@class, 'change-label')]")
    assert [label.text for label in labels] == [
        "vorgeschlagene Streichung: ",
        " (Ende der Streichung)",
        "vorgeschlagene Einfügung: ",
        " (Ende der Einfügung)",
    ]
    assert all(label.get("data-skip") == "1" for label in labels)
    assert [d.text_content() for d in root.xpath("//del")] == [
        "vorgeschlagene Streichung: Verb",
        "ände (Ende der Streichung)",
    ]
    for skipped in root.xpath("//*[@data-skip]"):
        skipped.drop_tree()
    assert root.text_content() == BODY
