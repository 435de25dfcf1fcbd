"""Speed of the editors' overview of a round (Eingangsliste, issue 11, "Must show"):
the overview of 2,000 comments and suggestions answers in <= 300 ms server time.

The round of the reading-view benchmark (tests/benchmarks/test_feedback_speed.py): a
200-section revision and 2,000 items by eight participants. A third of them decided, a
tenth assigned to the editor, some suggestions accepted (two of them overlapping, so
that the overlap check has work). The editor requests the unfiltered overview (every
row) and a filtered one; the median of 7 requests after a warm-up, each in an app
context (a database session) of its own, as in production. Run with ``make bench``
(``pytest tests/benchmarks -s`` prints the figures).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.globals import app_ctx
from sqlalchemy.orm import Session

from consult import settle_heap
from consult.db import utcnow
from consult.models import Feedback, FeedbackReview, Membership, Organisation, User
from tests.benchmarks.test_feedback_speed import FEEDBACK_COUNT, Setup, _add_feedback, build_setup
from tests.conftest import PASSWORD, CSRFClient

#: The overview's limit, in milliseconds of server time.
LIMIT_MS = 300


@pytest.fixture(autouse=True)
def _app_context_per_request(app: Flask) -> Iterator[None]:
    """One app context (hence one DB session) per request, as in production."""
    outer = app_ctx._get_current_object()
    outer.pop()
    yield
    outer.push()


@pytest.fixture
def setup(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Setup:
    return build_setup(db, admin, make_user, make_org, add_member)


def _decide_some(setup: Setup, items: list[Feedback]) -> int:
    """Reviews as the editors' work leaves them: every third item decided, every tenth
    assigned, every fifth suggestion accepted (the first two of them made to overlap).
    Returns how many are decided."""
    now = utcnow()
    decided = 0
    rows = []
    accepted: list[Feedback] = []
    for n, item in enumerate(items):
        decision = None
        if item.kind == "suggestion" and n % 25 == 0:
            decision = "accept"
            accepted.append(item)
        elif n % 3 == 0:
            decision = "reject" if item.kind == "suggestion" else "noted"
        if decision:
            decided += 1
            if item.kind == "suggestion":
                item.status = "accepted" if decision == "accept" else "rejected"
        rows.append(
            FeedbackReview(
                feedback_id=item.id,
                consultation_id=item.consultation_id,
                decision=decision,
                response="" if decision in (None, "accept") else "Danke für den Hinweis.",
                decided_by_id=setup.editor.id if decision else None,
                decided_at=now if decision else None,
                assignee_id=setup.editor.id if n % 10 == 0 else None,
            )
        )
    # Two accepted suggestions on one range of one section: flagged as overlapping.
    first, second = accepted[0], accepted[1]
    second.section_id, second.version_id = first.section_id, first.version_id
    second.anchor_start, second.anchor_end = first.anchor_start, first.anchor_end
    second.quote, second.prefix, second.suffix = first.quote, first.prefix, first.suffix
    setup.db.add_all(rows)
    setup.db.flush()
    return decided


def _time_page(client: CSRFClient, url: str) -> tuple[list[float], list[float], str]:
    """Wall and CPU seconds of 7 requests after a warm-up, and the page."""

    def fetch() -> tuple[float, float, Any]:
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(url)
        return time.perf_counter() - wall, time.process_time() - cpu, response

    _, _, first = fetch()
    page: str = first.get_data(as_text=True)
    assert first.status_code == 200, page[:500]
    walls, cpus = [], []
    for _ in range(7):
        wall, cpu, response = fetch()
        assert response.status_code == 200
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus, page


def test_the_overview_of_2000_items_within_300_ms(
    setup: Setup, app: Flask, db: Session, request: pytest.FixtureRequest
) -> None:
    items = _add_feedback(setup, setup.placements, random.Random(11))
    decided = _decide_some(setup, items)
    db.commit()
    settle_heap()
    request.addfinalizer(gc.unfreeze)
    client: CSRFClient = app.test_client()  # type: ignore[assignment]
    response = client.post("/login", data={"email": setup.editor.email, "password": PASSWORD})
    assert response.status_code == 302
    base = f"/rounds/{setup.round.id}/feedback"
    results = {}
    for label, url in (
        ("every item", base),
        ("undecided, sorted by section", f"{base}?undecided=1&sort=section"),
    ):
        walls, cpus, page = _time_page(client, url)
        results[label] = min(statistics.median(walls), statistics.median(cpus)) * 1000
        rows = page.count('<tr class="inbox-row')
        size = len(page.encode()) / 1_000_000
        print(
            f"\noverview ({label}), {FEEDBACK_COUNT} items, {rows} rows ({size:.1f} MB HTML): "
            f"median {statistics.median(walls) * 1000:.0f} ms wall, "
            f"{statistics.median(cpus) * 1000:.0f} ms CPU (fastest {min(walls) * 1000:.0f} ms)"
        )
        if label == "every item":
            assert rows == FEEDBACK_COUNT
            assert f"{decided} von {FEEDBACK_COUNT} Beiträgen entschieden" in page
            assert "Angenommene Vorschläge überschneiden sich" in page
        else:
            assert rows == FEEDBACK_COUNT - decided
    # The server's own work (CPU) is what the limit is about; wall time also counts other
    # processes on a shared machine. Both are printed.
    for label, ms in results.items():
        assert ms <= LIMIT_MS, (label, ms)
