"""Speed of full-text search (issue 14, "Must show"): a search over the 200-section
consultation with 2,000 feedback items answers in <= 100 ms.

The round of the reading-view benchmark (tests/benchmarks/test_feedback_speed.py): a
200-section revision and 2,000 comments and suggestions by eight participants, indexed
as they are written. A participant (who sees every item: visibility ``round``) searches
through the service (ranking, the visibility of every candidate, the page's snippets) for
a word in every item, for one in some sections, and for a rare one; the median of 7
searches after a warm-up, each in a session of its own, as in production. Run with
``make bench`` (``pytest tests/benchmarks -s`` prints the figures).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from consult.db import database
from consult.models import Membership, Organisation, User
from consult.services import search
from tests.benchmarks.test_feedback_speed import FEEDBACK_COUNT, Setup, _add_feedback, build_setup

#: The limit, in milliseconds.
LIMIT_MS = 100


def test_search_over_200_sections_and_2000_items_within_100_ms(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> None:
    setup: Setup = build_setup(db, admin, make_user, make_org, add_member)
    _add_feedback(setup, setup.placements, random.Random(11))
    db.commit()
    reader = setup.authors[0]
    results = {}
    for label, text in (
        ("a word in every item", "Anmerkung prüfen"),
        ("a word of the text", "Integration"),
        ("a rare word", "Ersatztext 1235"),
    ):

        def run(text: str = text) -> tuple[float, search.SearchResult]:
            session = database(app).sessionmaker()
            try:
                start = time.perf_counter()
                found = search.search(session, text, actor=session.get(User, reader.id))
                return time.perf_counter() - start, found
            finally:
                session.close()

        _, found = run()
        times = [run()[0] for _ in range(7)]
        median = statistics.median(times) * 1000
        results[label] = median
        print(
            f"\nsearch ({label}: {text!r}) on {db.get_bind().dialect.name}, "
            f"{len(setup.placements)} sections and {FEEDBACK_COUNT} items: {found.total} results, "
            f"median {median:.1f} ms (fastest {min(times) * 1000:.1f} ms)"
        )
        assert found.hits, label
    assert results["a word in every item"] and found.total >= 1
    assert max(results.values()) <= LIMIT_MS, results
