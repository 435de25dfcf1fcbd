"""The demo's story (consult.demo_story, issue 11 item 11): after ``make run`` a newcomer
finds a finished round whose every item is decided, its decisions and response table
published, and Fassung 2 made from it by a merge whose changes are traced to the
suggestions and the editor that wrote them; and the current round still in full swing.
Nobody is e-mailed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import demo, demo_texts
from consult.domain.outline import parse_markdown
from consult.models import (
    ChangeProvenance,
    Feedback,
    FeedbackReview,
    NotificationKind,
    NotificationMode,
    OutboxMessage,
    PublicationKind,
    ResponseSnippet,
    Revision,
    Round,
    User,
)
from consult.models.decisions import COMMENT_DECISIONS, SUGGESTION_DECISIONS
from consult.services import decisions, merge, notification_settings, responses, revisions

FIRST_ROUND = "1. Stufe: Arbeitskreise"
SECOND_ROUND = "2. Stufe: Arbeitskreise und Kommunen"


@pytest.fixture
def story(db: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Round]:
    """The demo, loaded (with cheap password hashes); its rounds by title."""

    def fast(password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(demo, "generate_password_hash", fast)
    demo.load_demo(db)
    db.flush()
    return {r.title: r for r in db.scalars(select(Round))}


def person(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def items_of(db: Session, round_: Round) -> list[tuple[Feedback, FeedbackReview | None]]:
    return [
        (f, r)
        for f, r in db.execute(
            select(Feedback, FeedbackReview)
            .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
            .where(Feedback.round_id == round_.id)
            .order_by(Feedback.id)
        )
    ]


def test_every_item_of_the_finished_round_is_decided_and_published(
    db: Session, story: dict[str, Round]
) -> None:
    finished = story[FIRST_ROUND]
    items = items_of(db, finished)
    assert len(items) == 8
    assert all(review is not None and review.decision for _f, review in items)
    made = {review.decision for _f, review in items if review is not None}
    assert made == {k.value for k in COMMENT_DECISIONS | SUGGESTION_DECISIONS}
    for feedback, review in items:
        assert review is not None
        assert review.response.strip(), feedback.body  # every decision explained
        assert review.decided_at is not None and review.decided_at > finished.closes_at
    for kind in (PublicationKind.DECISIONS, PublicationKind.RESPONSES):
        assert decisions.publication(db, finished.id, kind) is not None
    # The snippets were used, and say how often (in both rounds: the second's one decided
    # comment, and Siegburg's remark noted in it).
    uses = dict(db.execute(select(ResponseSnippet.title, ResponseSnippet.uses)).all())
    assert uses == {
        "Haushaltsvorbehalt": 2,
        "Umsetzung im Maßnahmenplan": 2,
        "Vorschlag übernommen": 1,
        "Laufzeit des Konzepts": 1,
    }
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nobody e-mailed


def test_the_published_table_lists_every_item_for_the_observer(
    db: Session, story: dict[str, Round]
) -> None:
    finished = story[FIRST_ROUND]
    observer = person(db, "fraktion@consult.example")
    table = responses.response_table(db, finished.id, actor=observer)
    assert table.published_at is not None
    ids = [f.id for f, _r in items_of(db, finished)]
    assert [row.feedback_id for row in table.rows] == ids
    assert [row.number for row in table.rows] == list(range(1, len(ids) + 1))
    assert all(row.decision for row in table.rows)
    # The authors see the decisions on their items.
    caritas = person(db, "caritas@consult.example")
    seen = decisions.visible_reviews(db, finished.consultation_id, actor=caritas)
    assert set(ids) <= set(seen)


def test_fassung_2_is_a_merge_whose_changes_are_traced(
    db: Session, story: dict[str, Round]
) -> None:
    finished = story[FIRST_ROUND]
    second = db.get(Revision, story[SECOND_ROUND].revision_id)
    assert second is not None and second.base_revision_id == finished.revision_id
    assert second.note == "Überarbeitung nach der ersten Beteiligungsrunde"
    # Its text is integrationskonzept_v2.md.
    wanted = parse_markdown(demo_texts.read("integrationskonzept_v2.md"))
    placements = revisions.outline(db, second).placements
    assert [(p.key, p.version.title, p.version.body) for p in placements] == [
        (s.key, s.title, s.body) for s in wanted
    ]
    editor = person(db, "redaktion@consult.example")
    traced = merge.provenance(db, second.id, actor=editor)
    bodies = {p.section_id: p.version.body for p in placements}
    by_key = {p.key: p.section_id for p in placements}
    applied = {
        f.id: (f, r)
        for f, r in items_of(db, finished)
        if r is not None and r.applied_revision_id == second.id
    }
    assert {f.status for f, _r in applied.values()} == {"applied"}
    assert {r.decision for _f, r in applied.values()} == {"accept", "accept_modified"}
    # Each applied suggestion's range holds exactly its (or the editor's) text.
    for feedback, review in applied.values():
        [row] = [r for rows in traced.values() for r in rows if r.feedback_id == feedback.id]
        text = review.replacement if review.decision == "accept_modified" else feedback.replacement
        assert bodies[row.section_id][row.start : row.end] == text
    # The editor's own edits (the source of the figure, six weeks) are theirs.
    edited = {r.section_id for rows in traced.values() for r in rows if r.feedback_id is None}
    assert edited == {by_key["1"], by_key["3.1.2"]}
    assert "(Zensus 2022)" in bodies[by_key["1"]]
    assert all(r.editor_id == editor.id for rows in traced.values() for r in rows)
    assert db.scalar(select(func.count()).select_from(ChangeProvenance)) == sum(
        len(rows) for rows in traced.values()
    )


def test_the_current_round_is_in_full_swing(db: Session, story: dict[str, Round]) -> None:
    current = story[SECOND_ROUND]
    assert current.closed_early_at is None
    # Comments and suggestions (the section remarks of Siegburg's statement are
    # tests/services/test_demo_statements.py's).
    items = [(f, r) for f, r in items_of(db, current) if f.kind != "remark"]
    assert len(items) == 6
    undecided = [f for f, r in items if r is None or r.decision is None]
    assert len(undecided) == 5
    editor = person(db, "redaktion@consult.example")
    assigned = [f for f, r in items if r is not None and r.assignee_id == editor.id]
    assert len(assigned) == 3
    for kind in (PublicationKind.DECISIONS, PublicationKind.RESPONSES):
        assert decisions.publication(db, current.id, kind) is None
    # The one decision is the editors' working state: its author does not see it yet.
    caritas = person(db, "caritas@consult.example")
    seen = decisions.visible_reviews(db, current.consultation_id, actor=caritas)
    assert not {f.id for f, _r in items} & set(seen)
    # Fassung 3 is being drafted on top of Fassung 2.
    latest = revisions.latest_revision(db, current.consultation_id)
    assert latest is not None and latest.is_draft and latest.base_revision_id == current.revision_id


def test_some_demo_people_chose_how_they_are_notified(db: Session, story: dict[str, Round]) -> None:
    association = notification_settings.get_all(db, person(db, "kulturverein@consult.example"))
    assert association[NotificationKind.REPLY] is NotificationMode.DIGEST
    assert association[NotificationKind.INVITATION] is NotificationMode.IMMEDIATELY
    police = notification_settings.get_all(db, person(db, "polizei@consult.example"))
    assert police[NotificationKind.REVISION] is NotificationMode.OFF
    association_user = person(db, "kulturverein@consult.example")
    changed = {NotificationKind.REPLY: NotificationMode.OFF}
    notification_settings.update_settings(db, changed, actor=association_user)
    demo.load_demo(db)  # loading again keeps what they chose since
    reply = notification_settings.get_mode(db, association_user, NotificationKind.REPLY)
    assert reply is NotificationMode.OFF
