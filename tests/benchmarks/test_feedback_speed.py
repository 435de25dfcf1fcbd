"""Speed of the reading view with feedback and of re-anchoring (issue 4, ``make bench``).

- The reading view of a 200-section revision with 2,000 visible comments and
  suggestions (highlights, threads, replies) answers in <= 200 ms server time
  (median of several requests after a warm-up, through the test client); and
  Chromium loads that page within 6 s and re-aligns its rail within 300 ms.
- Locating 2,000 comments in a new revision with 20 changed sections
  (``locate_for_revision``, which publishing runs) takes <= 1 s.

Run with ``make bench`` (``pytest tests/benchmarks -s`` prints the figures).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.globals import app_ctx
from playwright.sync_api import Route, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import settle_heap
from consult.db import utcnow
from consult.domain.anchoring import Anchor
from consult.models import (
    Consultation,
    Feedback,
    FeedbackLocation,
    Membership,
    Organisation,
    Placement,
    Reply,
    Revision,
    Round,
    User,
)
from consult.services import consultations as consultation_service
from consult.services import drafts, feedback_locations, feedback_views, working_groups
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from consult.services.feedback_locations import locate_for_revision
from tests.benchmarks.anchoring_corpus import SECTIONS, apply_random_edits, random_anchor
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import PASSWORD, CSRFClient

SECTION_COUNT = 200
FEEDBACK_COUNT = 2_000
CHANGED_SECTIONS = 20


@pytest.fixture(autouse=True)
def _app_context_per_request(app: Flask) -> Iterator[None]:
    """One app context (hence one DB session) per request, as in production."""
    outer = app_ctx._get_current_object()
    outer.pop()
    yield
    outer.push()


@dataclass
class Setup:
    db: Session
    consultation: Consultation
    revision: Revision
    editor: User
    authors: list[User]
    round: Round
    placements: list[Placement]


def _bodies(rng: random.Random) -> list[str]:
    paragraphs = [p for text in SECTIONS for p in text.split("\n\n")]
    return ["\n\n".join(rng.sample(paragraphs, 4)) for _ in range(SECTION_COUNT)]


@pytest.fixture
def setup(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Setup:
    return build_setup(db, admin, make_user, make_org, add_member)


def build_setup(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Setup:
    """A published revision of SECTION_COUNT sections, an editor, eight participants (each
    of an organisation of their own) in one working group, and an open round on it."""
    rng = random.Random(4)
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept (Benchmark)"
    )
    editor = make_user("Erika Redaktion")
    add_member(consultation.id, editor, "editor")
    sections = [
        {
            "key": f"{n // 10 + 1}.{n % 10 + 1}" if n % 10 else f"{n // 10 + 1}",
            "title": f"Abschnitt {n + 1}",
            "body": body,
        }
        for n, body in enumerate(_bodies(rng))
    ]
    revision = drafts.create_from_sections(db, consultation.id, actor=editor, sections=sections)
    drafts.publish(db, revision.id, actor=editor)
    group = working_groups.create_working_group(db, consultation.id, actor=editor, name="AK Alle")
    authors = []
    for n in range(8):
        user = make_user(f"Teilnehmerin {n}", organisation=make_org(f"Verband {n}"))
        consultation_service.set_member(
            db,
            consultation.id,
            user.id,
            actor=editor,
            role="participant",
            working_group_ids=[group.id],
        )
        authors.append(user)
    now = utcnow()
    round_ = round_service.create_round(
        db,
        consultation.id,
        actor=editor,
        revision_id=revision.id,
        title="Runde",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
        working_group_ids=[group.id],
        visibility="round",
        notify=False,
    )
    placements = revision_service.outline(db, revision).placements
    assert len(placements) == SECTION_COUNT
    return Setup(db, consultation, revision, editor, authors, round_, placements)


def _feedback_row(
    setup: Setup, placement: Placement, anchor: Anchor, author: User, n: int
) -> Feedback:
    suggestion = n % 5 == 0
    return Feedback(
        kind="suggestion" if suggestion else "comment",
        consultation_id=setup.consultation.id,
        round_id=setup.round.id,
        revision_id=setup.revision.id,
        section_id=placement.section_id,
        version_id=placement.version_id,
        anchor_start=anchor.start,
        anchor_end=anchor.end,
        quote=anchor.quote,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
        # Every tenth with a link, some over several lines.
        body=f"Anmerkung {n}: Bitte prüfen, ob das so gemeint ist."
        + (f" Siehe https://example.org/beschluss/{n}" if n % 10 == 3 else "")
        + ("\nZweiter Absatz der Anmerkung." if n % 4 == 1 else ""),
        replacement=f"Ersatztext {n}" if suggestion else None,
        status="resolved" if n % 11 == 0 and not suggestion else "open",
        author_id=author.id,
        organisation_id=author.organisation_id,
    )


def _add_feedback(setup: Setup, placements: list[Placement], rng: random.Random) -> list[Feedback]:
    """FEEDBACK_COUNT anchored comments and suggestions spread over the placements."""
    rows = []
    for n in range(FEEDBACK_COUNT):
        placement = placements[n % len(placements)]
        anchor = random_anchor(placement.version.body, rng)
        if anchor.start == anchor.end:  # comments need a range
            anchor = random_anchor(placement.version.body, rng)
        rows.append(
            _feedback_row(setup, placement, anchor, setup.authors[n % len(setup.authors)], n)
        )
    setup.db.add_all(rows)
    setup.db.flush()
    return rows


def add_reading_feedback(setup: Setup) -> list[Feedback]:
    """The reading view's load: FEEDBACK_COUNT items over all sections, and an editor's
    reply to every seventh (if a comment)."""
    rows = _add_feedback(setup, setup.placements, random.Random(9))
    setup.db.add_all(
        Reply(
            feedback_id=row.id,
            author_id=setup.editor.id,
            organisation_id=setup.editor.organisation_id,
            body="Danke, wir prüfen das.",
        )
        for row in rows[::7]
        if row.kind == "comment"
    )
    setup.db.flush()
    return rows


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def test_reading_view_with_2000_feedback_items_within_200_ms(
    setup: Setup, app: Flask, db: Session, request: pytest.FixtureRequest
) -> None:
    add_reading_feedback(setup)
    db.commit()
    # As wsgi.py does after start-up: what exists now (the app, and here also the test's
    # own objects, which a server would not hold) is kept out of full collections.
    settle_heap()
    request.addfinalizer(gc.unfreeze)
    url = f"/revisions/{setup.revision.id}"
    # The editor (every thread with its moderation buttons) and a participant of the
    # open round (visibility checked per item; selection labels and forms for writing).
    for who, user in (("editor", setup.editor), ("participant", setup.authors[0])):
        client: CSRFClient = app.test_client()  # type: ignore[assignment]
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        walls, cpus, page = _time_page(client, url)
        # Everything is there: a thread and a highlight per item.
        assert page.count('class="thread ') == FEEDBACK_COUNT
        highlights = page.count('<mark class="fb-mark"') + page.count('<del class="sg-del"')
        assert highlights >= FEEDBACK_COUNT
        size = len(page.encode()) / 1_000_000
        print(
            f"\nreading view ({who}), {SECTION_COUNT} sections, {FEEDBACK_COUNT} visible "
            f"feedback items ({size:.1f} MB HTML): median {_median_ms(walls):.0f} ms wall, "
            f"{_median_ms(cpus):.0f} ms CPU (fastest {min(walls) * 1000:.0f} ms; "
            "7 requests after a warm-up)"
        )
        # The CPU time is the server's own work; wall time also counts other processes
        # on a shared machine. Both are printed; the limit applies to the server's time.
        assert min(_median_ms(walls), _median_ms(cpus)) <= 200, who


def _time_page(client: CSRFClient, url: str) -> tuple[list[float], list[float], str]:
    """Wall and CPU seconds of 7 requests after a warm-up, and the page."""

    def fetch() -> tuple[float, float, Any]:
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(url)
        return time.perf_counter() - wall, time.process_time() - cpu, response

    _, _, first = fetch()  # warm-up (templates, caches)
    page: str = first.get_data(as_text=True)
    assert first.status_code == 200, page[:500]
    walls, cpus = [], []
    for _ in range(7):
        wall, cpu, response = fetch()
        assert response.status_code == 200
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus, page


def test_reanchoring_2000_comments_onto_a_new_revision_within_1_s(
    setup: Setup, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(13)
    changed = rng.sample(setup.placements, CHANGED_SECTIONS)
    # Every comment sits in a section that changes: all 2,000 must be located.
    rows = _add_feedback(setup, changed, rng)
    edits = {
        p.section_id: "".join(c for c, _ in apply_random_edits(p.version.body, rng, 4))
        for p in changed
    }
    key_of = {p.section_id: p.key for p in setup.placements}
    draft = drafts.create_from_sections(
        db,
        setup.consultation.id,
        actor=setup.editor,
        base_revision_id=setup.revision.id,
        sections=[
            {
                "section_id": p.section_id,
                "key": p.key,
                "title": p.version.title,
                "body": edits.get(p.section_id, p.version.body),
                "parent_key": key_of[p.parent_section_id] if p.parent_section_id else None,
            }
            for p in setup.placements
        ],
    )
    new_placements = revision_service.outline(db, draft).placements
    old_versions = {p.section_id: p.version_id for p in setup.placements}
    assert (
        sum(p.version_id != old_versions[p.section_id] for p in new_placements) == CHANGED_SECTIONS
    )
    db.expire_all()  # start cold: nothing of the bodies or feedback in the session
    started_cpu, started = time.process_time(), time.perf_counter()
    considered = locate_for_revision(db, draft)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    stored = db.scalar(select(func.count()).select_from(FeedbackLocation))
    states = dict(
        db.execute(
            select(FeedbackLocation.state, func.count()).group_by(FeedbackLocation.state)
        ).all()
    )
    print(
        f"\nre-anchoring {considered} comments in {CHANGED_SECTIONS} changed sections: "
        f"{elapsed * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU; states {states}"
    )
    assert considered == len(rows) == FEEDBACK_COUNT
    assert stored == FEEDBACK_COUNT

    # Reading the new revision afterwards computes nothing.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("reading must not re-anchor")

    monkeypatch.setattr(feedback_locations, "relocate_many", refuse)
    views = feedback_views.visible_feedback(db, draft, actor=setup.editor)
    assert len(views) == FEEDBACK_COUNT
    assert min(elapsed, cpu) <= 1.0


_REALIGN_MS = """() => new Promise((resolve) => {
  const started = performance.now();
  window.dispatchEvent(new Event("resize"));
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - started)));
})"""

_ALIGNED = """() => Array.from(document.querySelectorAll("aside.rail")).filter((rail) => {
  const thread = rail.querySelector(".thread");
  const mark = document.querySelector(`mark[data-fb~="${thread.dataset.fb}"]`);
  const gap = thread.getBoundingClientRect().top - (mark ? mark.getBoundingClientRect().top : 0);
  return mark && Math.abs(gap) < 2;
}).length"""


def test_reading_view_with_2000_threads_loads_and_aligns_in_chromium(
    setup: Setup, app: Flask, db: Session
) -> None:
    """The browser's side of the same page: Chromium loads it (parse, style, layout,
    scripts) within 6 s and re-aligns the 2,000 threads with their text after a resize
    within 300 ms (software rendering on a small machine). Before, the rail read the
    layout once per thread and every thread carried a reply text area: 39 s and 13 s."""
    _add_feedback(setup, setup.placements, random.Random(9))
    db.commit()
    client: CSRFClient = app.test_client()  # type: ignore[assignment]
    client.post("/login", data={"email": setup.editor.email, "password": PASSWORD})
    path = f"/revisions/{setup.revision.id}"
    html = client.get(path).get_data(as_text=True)
    assert html.count('class="thread ') == FEEDBACK_COUNT
    static = Path(app.static_folder or "static")

    def serve(route: Route) -> None:
        wanted = urlsplit(route.request.url).path
        if wanted == path:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif wanted.startswith("/static/"):
            route.fulfill(path=static / wanted.removeprefix("/static/"))
        else:
            route.fulfill(status=404, body="")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", serve)
            started = time.perf_counter()
            page.goto("http://consult.test" + path, wait_until="load", timeout=120_000)
            load = time.perf_counter() - started
            assert page.locator("article.thread").count() == FEEDBACK_COUNT
            realign = min(page.evaluate(_REALIGN_MS) for _ in range(3))
            aligned = page.evaluate(_ALIGNED)
        finally:
            browser.close()
    print(
        f"\nreading view in Chromium, {FEEDBACK_COUNT} threads: loaded in {load:.2f} s, "
        f"rail re-aligned in {realign:.0f} ms; {aligned} of {SECTION_COUNT} rails start "
        "level with their first highlight"
    )
    assert aligned >= SECTION_COUNT // 2
    assert load <= 6.0
    assert realign <= 300
