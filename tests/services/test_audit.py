"""The audit log (issue 14, item 3): an entry for every recorded action, one chain that
shows tampering, triggers that refuse changes, concurrent appends, who may read it."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from consult.db import WRITE, utcnow
from consult.errors import NotFound, NotPermitted
from consult.models import AuditEntry, Statement, User
from consult.services import (
    accounts,
    audit,
    audit_export,
    consultations,
    decisions,
    drafts,
    merge,
    organisations,
    responses,
    statement_board,
    statements,
)
from consult.services import rounds as round_service
from tests.conftest import PASSWORD
from tests.services.statement_world import add_municipalities
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def w(world: World, app: Flask) -> World:  # noqa: F811
    return world


def logged(db: Session, since: int = 0) -> list[AuditEntry]:
    db.flush()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)))


def last_id(db: Session) -> int:
    return db.scalar(select(func.max(AuditEntry.id))) or 0


def test_every_listed_action_leaves_an_entry(w: World) -> None:
    db, editor = w.db, w.editor
    start = last_id(db)
    towns = add_municipalities(w)  # set_member for the municipalities' people
    round_ = towns.open_round()
    now = utcnow()
    round_service.extend_round(
        db, round_.id, actor=editor, closes_at=now + timedelta(days=20), reason="Ferien"
    )
    round_service.close_round(db, round_.id, actor=editor)
    round_service.reopen_round(
        db, round_.id, actor=editor, closes_at=now + timedelta(days=30), reason="Versehen"
    )
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    comment = w.comment(w.alice, "3", "Anerkennung")
    decisions.decide(db, comment.id, actor=editor, decision="noted", response="Danke.")
    decisions.decide(db, comment.id, actor=editor, decision="not_considered", response="Nein.")
    decisions.undecide(db, comment.id, actor=editor)
    decisions.decide(db, suggestion.id, actor=editor, decision="accept")
    towns.submit(towns.mayor, towns.siegburg)
    towns.draft(towns.clerk, towns.siegburg)
    draft = towns.db.scalars(select(Statement)).first()
    assert draft is not None
    statements.return_draft(db, draft.id, actor=towns.mayor, reason="Bitte kürzer.")
    towns.draft(towns.clerk, towns.siegburg, draft_revision=draft.draft_revision)
    statements.release(db, draft.id, actor=towns.mayor)
    towns.paper(towns.much)
    statement_board.extend(
        db,
        round_.id,
        actor=editor,
        organisation_id=towns.lohmar.id,
        closes_at=now + timedelta(days=40),
        reason="Ratssitzung",
    )
    round_service.close_round(db, round_.id, actor=editor)
    statement_board.publish(db, round_.id, actor=editor)
    decisions.publish_decisions(db, round_.id, actor=editor, notify=False)
    responses.publish_responses(db, round_.id, actor=editor)
    new = merge.merge(db, w.revision.id, actor=editor, note="Einarbeitung")
    drafts.publish(db, new.id, actor=editor)
    consultations.remove_member(db, w.consultation.id, towns.clerk.id, actor=editor)
    org = organisations.create_organisation(db, actor=w.admin, name="Tafel e.V.", kind="welfare")
    organisations.update_organisation(
        db, org.id, actor=w.admin, name="Tafel Siegtal e.V.", kind="welfare", is_active=True
    )
    made = accounts.create_user(db, actor=w.admin, email="neu@example.org", name="Nina Neu")
    accounts.update_user(
        db,
        made.user.id,
        actor=w.admin,
        name="Nina Neumann",
        email="neu@example.org",
        organisation_id=org.id,
        is_admin=False,
        is_active=True,
    )
    assert accounts.authenticate(db, w.admin.email, PASSWORD) is not None
    assert accounts.authenticate(db, w.alice.email, PASSWORD) is not None  # no admin

    found = logged(db, start)
    actions = [e.action for e in found]
    expected = {
        "member.set", "member.removed", "round.opened", "round.extended", "round.closed",
        "round.reopened", "decision.made", "decision.changed", "decision.withdrawn",
        "statement.submitted", "statement.returned", "statement.released",
        "statement.recorded", "statement.extended", "statements.published",
        "decisions.published", "responses.published", "revision.merged",
        "revision.published", "organisation.created", "organisation.changed",
        "user.created", "user.changed", "admin.login",
    }  # fmt: skip
    assert set(actions) == expected
    assert actions.count("admin.login") == 1  # alice's login is none of the log's business
    assert set(audit_export.ACTION_LABELS) >= expected  # each has German words
    by_action = {e.action: e for e in found}
    opened = by_action["round.opened"]
    assert (opened.consultation_id, opened.actor_id, opened.actor_name) == (
        w.consultation.id,
        editor.id,
        editor.name,
    )
    assert (opened.object_type, opened.object_id) == ("round", round_.id)
    assert '"Ferien"' in by_action["round.extended"].details
    assert by_action["admin.login"].consultation_id is None
    assert '"Much"' in by_action["statement.recorded"].details
    assert audit.verify_chain(db) == []


def record_some(db: Session, w: World, n: int = 3) -> list[AuditEntry]:
    start = last_id(db)
    for i in range(n):
        audit.record(
            db,
            actor=w.editor,
            action="round.closed",
            object_type="round",
            object_id=i + 1,
            consultation_id=w.consultation.id,
            details={"n": i},
        )
    return logged(db, start)


def test_the_triggers_refuse_to_change_or_delete_an_entry(w: World) -> None:
    db = w.db
    entry = record_some(db, w, 1)[0]
    for statement in (
        "UPDATE audit_entries SET details = '{}' WHERE id = :id",
        "UPDATE audit_entries SET actor_name = 'Jemand' WHERE id = :id",
        "UPDATE audit_entries SET actor_id = NULL, action = 'x' WHERE id = :id",
        "DELETE FROM audit_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(statement), {"id": entry.id})
    db.expire_all()
    assert db.get(AuditEntry, entry.id) is not None
    assert audit.verify_chain(db) == []


def test_deleting_an_account_keeps_its_entries_and_the_chain(w: World) -> None:
    db = w.db
    temp = w.make_user("Theo Temporär", admin=True)
    start = last_id(db)
    assert accounts.authenticate(db, temp.email, PASSWORD) is not None
    db.delete(temp)
    db.flush()
    [entry] = logged(db, start)
    db.refresh(entry)
    assert (entry.actor_id, entry.actor_name, entry.action) == (
        None,
        "Theo Temporär",
        "admin.login",
    )
    assert audit.verify_chain(db) == []


def test_a_forged_or_changed_row_breaks_the_chain(w: World) -> None:
    db = w.db
    _first, second, third = record_some(db, w, 3)
    assert audit.verify_chain(db) == []
    # Someone with database access drops the trigger and edits an entry.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER audit_entries_no_update_delete ON audit_entries"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.execute(text("DROP TRIGGER audit_entries_no_delete"))
    db.execute(
        text("UPDATE audit_entries SET details = :d WHERE id = :id"),
        {"d": '{"n":7}', "id": second.id},
    )
    db.expire_all()
    assert audit.verify_chain(db) == [second.id]
    # Removing an entry breaks the link of the next one.
    db.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": second.id})
    assert audit.verify_chain(db) == [third.id]
    # A forged row appended by hand (the hash cannot be made without redoing the chain).
    db.execute(
        text(
            "INSERT INTO audit_entries (id, at, actor_name, action, object_type, details,"
            " prev_hash, hash) VALUES (:id, :at, 'X', 'round.opened', '', '{}', :prev, :hash)"
        ),
        {"id": third.id + 1, "at": utcnow().replace(tzinfo=None), "prev": third.hash,
         "hash": "f" * 64},
    )  # fmt: skip
    assert audit.verify_chain(db) == [third.id, third.id + 1]


def test_concurrent_appends_keep_one_chain(engine: Engine) -> None:
    """Writers in threads, each committing its own transactions, against the database."""
    makes = sessionmaker(bind=engine)
    start_errors: list[BaseException] = []
    with makes() as session:
        before = last_id(session)

    def append(n: int) -> None:
        try:
            for i in range(8):
                with makes(execution_options={WRITE: True}) as session:
                    audit.record(
                        session, actor=None, action="test.concurrent", details={"t": n, "i": i}
                    )
                    session.commit()
        except BaseException as exc:
            start_errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert start_errors == []
    with makes() as session:
        rows = logged(session, before)
        assert len(rows) == 32
        assert [r.id for r in rows] == list(range(before + 1, before + 33))
        assert all(r.prev_hash == p.hash for p, r in itertools.pairwise(rows))
        assert audit.verify_chain(session) == []


def test_who_may_read_the_log(w: World) -> None:
    db = w.db
    record_some(db, w, 2)
    assert len(audit.entries(db, w.consultation.id, actor=w.editor)) >= 2
    assert len(audit.entries(db, w.consultation.id, actor=w.admin)) >= 2
    with pytest.raises(NotPermitted):
        audit.entries(db, w.consultation.id, actor=w.alice)  # a participant
    with pytest.raises(NotPermitted):
        audit.entries(db, w.consultation.id, actor=w.observer)
    stranger = w.make_user("Fremde Person")
    with pytest.raises(NotFound):
        audit.entries(db, w.consultation.id, actor=stranger)
    with pytest.raises(NotPermitted):
        audit.entries(db, None, actor=w.editor)  # the whole log: admins only
    assert audit.entries(db, None, actor=w.admin)


def test_filters_and_paging(w: World) -> None:
    db = w.db
    record_some(db, w, 3)
    audit.record(db, actor=w.admin, action="round.opened", consultation_id=w.consultation.id)
    cid = w.consultation.id
    assert {e.action for e in audit.entries(db, cid, actor=w.editor, action="round.opened")} == {
        "round.opened"
    }
    assert {e.action for e in audit.entries(db, cid, actor=w.editor, action="round.")} >= {
        "round.opened",
        "round.closed",
    }
    mine = audit.entries(db, cid, actor=w.editor, actor_id=w.admin.id)
    assert mine and all(e.actor_id == w.admin.id for e in mine)
    newest = audit.entries(db, cid, actor=w.editor, limit=1)
    second = audit.entries(db, cid, actor=w.editor, limit=1, offset=1)
    assert newest[0].id > second[0].id
    assert audit.count(db, cid, actor=w.editor) >= 4
    later = audit.entries(db, cid, actor=w.editor, since=utcnow() + timedelta(minutes=1))
    assert later == []


def test_the_log_shows_the_current_name_of_an_anonymised_person(w: World) -> None:
    db = w.db
    record_some(db, w, 1)
    w.editor.name = "Ehemalige Teilnehmerin / ehemaliger Teilnehmer"
    db.flush()
    [entry] = audit.entries(db, w.consultation.id, actor=w.admin, limit=1)
    assert entry.actor_name == "Ehemalige Teilnehmerin / ehemaliger Teilnehmer"


def test_the_csv_is_for_german_excel_and_runs_no_formula(w: World) -> None:
    db = w.db
    audit.record(
        db,
        actor=w.editor,
        action="member.set",
        object_type="user",
        object_id=w.alice.id,
        consultation_id=w.consultation.id,
        # Text a person typed (a function), stored as it was: the CSV must not run it.
        details={"signatory_function": '=HYPERLINK("http://x")', "role": "municipality"},
    )
    w.editor.name = "@Miriam"
    db.flush()
    body = audit_export.to_csv(audit.entries(db, w.consultation.id, actor=w.editor, limit=1))
    assert body.startswith("\ufeff".encode())
    rows = body.decode("utf-8-sig").split("\r\n")
    assert rows[0].split(";")[:4] == ["Nr.", "Zeitpunkt", "Person", "Aktion"]
    cells = rows[1].split(";")
    assert cells[2] == "'@Miriam"
    assert cells[3] == "Rolle im Verfahren vergeben oder geändert"
    assert "=HYPERLINK" in rows[1] and ";=" not in rows[1] and ';"=' not in rows[1]


def test_no_route_changes_or_deletes_an_entry(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    assert any(
        "audit" in r.rule and r.endpoint.startswith("api.") for r in app.url_map.iter_rules()
    )


def test_a_user_row_is_no_audit_actor_object(w: World) -> None:
    # record() takes anything as actor: a non-user (the system, a script) has no name.
    start = last_id(w.db)
    audit.record(w.db, actor=object(), action="round.closed")
    [entry] = logged(w.db, start)
    assert (entry.actor_id, entry.actor_name) == (None, "")
    assert isinstance(w.admin, User)


def test_details_read_as_german_words(app: Flask) -> None:
    def view(**details: object) -> audit.AuditView:
        return audit.AuditView(
            id=1,
            at=utcnow(),
            consultation_id=1,
            actor_id=None,
            actor_name="Mara Merz",
            action="member.set",
            object_type="user",
            object_id=2,
            details=dict(details),
        )

    with app.test_request_context():
        text_of = audit_export.details_text
        assert text_of(view(decision="noted")) == "Entscheidung: zur Kenntnis genommen"
        assert text_of(view(closes_at="2026-12-16T17:00:00+00:00")) == (
            "Frist: 16.12.2026, 18:00 Uhr"
        )
        # A participant's signing flag says nothing; a municipality member's does.
        assert text_of(view(role="participant", signatory=True, working_group_ids=[])) == (
            "Rolle: Teilnehmende"
        )
        assert text_of(view(role="municipality", signatory=True)) == (
            "Rolle: Kommune; zeichnungsberechtigt: ja"
        )
        assert text_of(view(working_group_ids=[3, 7])) == "Arbeitskreise (Nr.): 3, 7"
