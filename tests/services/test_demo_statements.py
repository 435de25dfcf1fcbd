"""The municipalities' statements in the demo (consult.demo_statements, issue 12 item 10):
after ``make run`` the editors' boards show every state – submitted by the mayor (one
town in two versions), drafted by staff and waiting for release, returned with a reason,
recorded from a letter with its receipt number and scan, pending, overdue, a deadline
extended for one municipality – all told through the services, dated in the past, and
nobody e-mailed. The demo stays usable: the people can act on what waits for them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import demo
from consult.db import utcnow
from consult.demo_statements import FIRST_STAGE
from consult.models import (
    Feedback,
    FeedbackReview,
    Membership,
    Organisation,
    OutboxMessage,
    Round,
    Statement,
    StatementAttachment,
    StatementExtension,
    StatementVersion,
    User,
)
from consult.services import (
    statement_access,
    statement_board,
    statement_files,
    statement_reads,
    statements,
)

SECOND_STAGE = "2. Stufe: Arbeitskreise und Kommunen"
#: Statuses on the boards that are not the default (pending in the open round, overdue
#: in the closed one).
OPEN_ROUND = {
    "Siegburg": "submitted",
    "Eitorf": "submitted",
    "Much": "draft",
    "Troisdorf": "returned",
}
CLOSED_ROUND = dict.fromkeys(
    ("Siegburg", "Much", "Troisdorf", "Königswinter", "Ruppichteroth"), "submitted"
)


def _fast(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def story(db: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Round]:
    """The demo, loaded (with cheap password hashes); its rounds by title."""
    monkeypatch.setattr(demo, "generate_password_hash", _fast)
    demo.load_demo(db)
    db.flush()
    return {r.title: r for r in db.scalars(select(Round))}


def person(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def board_of(db: Session, round_: Round) -> statement_board.Board:
    return statement_board.board(db, round_.id, actor=person(db, "redaktion@consult.example"))


def test_the_boards_show_every_state(db: Session, story: dict[str, Round]) -> None:
    current, closed = board_of(db, story[SECOND_STAGE]), board_of(db, story[FIRST_STAGE])
    assert len(current.rows) == len(closed.rows) == len(demo.MUNICIPALITIES)
    assert {r.organisation.name: r.status for r in current.rows} == {
        name: OPEN_ROUND.get(name, "pending") for name in demo.MUNICIPALITIES
    }
    assert {r.organisation.name: r.status for r in closed.rows} == {
        name: CLOSED_ROUND.get(name, "overdue") for name in demo.MUNICIPALITIES
    }
    # Every status and, over both rounds, every position but the abstention.
    assert {s for b in (current, closed) for s, n in b.statuses.items() if n} == set(
        statement_board.STATUSES
    )
    assert closed.positions == {
        "consent": 2,
        "consent_with_remarks": 2,
        "rejection": 1,
        "abstention": 0,
    }
    assert current.positions["consent_with_remarks"] == current.positions["rejection"] == 1
    # The closed round's statements are published; the open round's are not yet.
    assert closed.published_at is not None and current.published_at is None
    observer = person(db, "fraktion@consult.example")
    assert statement_board.board(db, story[FIRST_STAGE].id, actor=observer).rows
    # Everything happened in the past, each version within its municipality's deadline.
    now = utcnow()
    for version in db.scalars(select(StatementVersion)):
        assert version.received_at <= version.submitted_at < now
        round_ = db.get(Round, version.round_id)
        assert round_ is not None
        assert round_.opens_at <= version.received_at
        assert version.received_at < statement_access.deadline_for(
            db, round_, version.organisation_id
        )


def test_mayors_sign_and_staff_draft(db: Session, story: dict[str, Round]) -> None:
    members = {
        m.user.email: m
        for m in db.scalars(select(Membership).where(Membership.role == "municipality"))
    }
    assert {e: (m.is_signatory, m.signatory_function) for e, m in members.items()} == {
        "buergermeister.siegburg@consult.example": (True, "Bürgermeister"),
        "buergermeisterin.much@consult.example": (True, "Bürgermeisterin"),
        "verwaltung.much@consult.example": (False, None),
        "buergermeister.troisdorf@consult.example": (True, "Bürgermeister"),
        "verwaltung.troisdorf@consult.example": (False, None),
    }
    rows = {r.organisation.name: r for r in board_of(db, story[SECOND_STAGE]).rows}
    much = db.get(Statement, rows["Much"].statement_id)
    troisdorf = db.get(Statement, rows["Troisdorf"].statement_id)
    assert much is not None and troisdorf is not None
    assert much.drafted_by == person(db, "verwaltung.much@consult.example")
    assert much.draft_position == "consent_with_remarks" and len(much.draft_remarks) == 1
    assert troisdorf.drafted_by == person(db, "verwaltung.troisdorf@consult.example")
    assert troisdorf.returned_by == person(db, "buergermeister.troisdorf@consult.example")
    assert troisdorf.returned_reason and "Integrationsrat" in troisdorf.returned_reason
    # What waits for the people works: the mayor of Much releases her staff's draft.
    version = statements.release(
        db, much.id, actor=person(db, "buergermeisterin.much@consult.example")
    )
    assert (version.number, version.signatory_name) == (1, "Petra Lenz")
    assert version.signatory_function == "Bürgermeisterin"


def test_siegburg_submitted_twice_and_one_remark_is_noted(
    db: Session, story: dict[str, Round]
) -> None:
    current = story[SECOND_STAGE]
    rows = {r.organisation.name: r for r in board_of(db, current).rows}
    siegburg = rows["Siegburg"]
    assert siegburg.version is not None and siegburg.version.number == 2
    assert siegburg.statement_id is not None
    mayor = person(db, "buergermeister.siegburg@consult.example")
    diff = statement_reads.diff(db, siegburg.statement_id, old=1, new=2, actor=mayor)
    assert [op for op, _text in diff.ops if op != "equal"] == ["delete", "insert", "insert"]
    # The remarks are items of the round: the first version's superseded, one of the
    # second's noted by the editors (their working state, not published).
    remarks = list(
        db.execute(
            select(Feedback, FeedbackReview)
            .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
            .where(Feedback.round_id == current.id, Feedback.kind == "remark")
            .order_by(Feedback.id)
        )
    )
    assert [f.status for f, _r in remarks] == ["superseded"] * 2 + ["open"] * 3
    assert [r.decision for _f, r in remarks if r is not None and r.decision] == ["noted"]


def test_the_letter_is_recorded_with_its_receipt_number_and_scan(
    db: Session, story: dict[str, Round]
) -> None:
    rows = {r.organisation.name: r for r in board_of(db, story[SECOND_STAGE]).rows}
    eitorf = rows["Eitorf"]
    assert eitorf.recorded_by_editor and eitorf.version is not None
    assert (eitorf.version.channel, eitorf.version.position) == ("letter", "rejection")
    assert eitorf.version.receipt_number and eitorf.version.receipt_number.startswith("KI-")
    assert eitorf.version.received_at < eitorf.version.submitted_at
    [scan] = db.scalars(
        select(StatementAttachment).where(StatementAttachment.statement_id == eitorf.statement_id)
    ).all()
    assert not scan.in_draft and scan.page_count == 1
    assert statement_files.check_pdf(statement_files.path_of(scan)) == 1
    # The closed round: a fax and an e-mail, recorded as well.
    closed = {r.organisation.name: r for r in board_of(db, story[FIRST_STAGE]).rows}
    assert closed["Königswinter"].version is not None
    assert closed["Königswinter"].version.channel == "fax"
    assert closed["Ruppichteroth"].version is not None
    assert closed["Ruppichteroth"].version.channel == "email"


def test_deadlines_extended_for_one_municipality(db: Session, story: dict[str, Round]) -> None:
    closed, current = story[FIRST_STAGE], story[SECOND_STAGE]
    names = {i: n for i, n in db.execute(select(Organisation.id, Organisation.name))}
    extended = {
        (e.round_id, names[e.organisation_id]): e for e in db.scalars(select(StatementExtension))
    }
    assert set(extended) == {
        (closed.id, "Ruppichteroth"),
        (current.id, "Neunkirchen-Seelscheid"),
    }
    for extension in extended.values():
        assert "Gemeinderat" in extension.reason
    # Ruppichteroth answered after the round's deadline, within its own.
    rows = {r.organisation.name: r for r in board_of(db, closed).rows}
    late = rows["Ruppichteroth"]
    assert late.version is not None and late.status == "submitted"
    assert closed.effective_close() < late.version.received_at < late.deadline
    # Neunkirchen-Seelscheid still has time after the round closes.
    pending = {r.organisation.name: r for r in board_of(db, current).rows}
    assert pending["Neunkirchen-Seelscheid"].deadline > current.effective_close()


def test_nobody_is_emailed_and_loading_again_adds_nothing(
    db: Session, story: dict[str, Round]
) -> None:
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    models = (Statement, StatementVersion, StatementExtension, StatementAttachment, Feedback)

    def counts() -> dict[str, int]:
        return {m.__name__: db.scalar(select(func.count()).select_from(m)) or 0 for m in models}

    before = counts()
    assert before["Statement"] == 9 and before["StatementVersion"] == 8
    demo.load_demo(db)
    db.flush()
    assert counts() == before
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.scalar(select(func.count()).select_from(Organisation)) == len(
        demo.MUNICIPALITIES
    ) + len(demo.PARTNERS)
