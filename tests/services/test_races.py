"""Checks with no row to lock, done by two people at the same moment.

"Is this organisation name free?" and "is this e-mail address registered?" read, then
write. Two admins adding "Caritas Nord" and "caritas nord" (or the same address) at once
both found it free: two organisations whose names differ only in case, or a database
error where a 409 belongs. The check now runs under a lock on the name (PostgreSQL: an
advisory lock; SQLite: writers run one after another anyway).

A fresh database of its own (SQLite, and PostgreSQL when configured), two sessions in
two threads: the first holds its transaction open after its write, the second starts
its check meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import create_app
from consult.db import Database, database
from consult.errors import Conflict
from consult.models import Organisation, User
from consult.services import accounts, organisations
from tests.conftest import make_settings, migrate
from tests.servers import configured_postgresql_url, fresh_database

BACKENDS = ["sqlite"] + (["postgresql"] if configured_postgresql_url() else [])


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Flask, Database]]:
    with fresh_database(tmp_path, "races", request.param) as url:
        app = create_app(make_settings(tmp_path, url))
        db = database(app)
        migrate(db.engine)
        with app.app_context():
            yield app, db
        db.engine.dispose()


def admin_of(db: Database) -> int:
    with db.session_scope() as session:
        org = Organisation(name="Kreisverwaltung", kind="administration", is_active=True)
        admin = User(
            email="admin@kreis.example",
            email_key="admin@kreis.example",
            name="Ada Admin",
            organisation=org,
            is_admin=True,
            is_active=True,
        )
        session.add(admin)
        session.flush()
        return admin.id


def race(
    db: Database,
    app: Flask,
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> list[object]:
    """Run ``first`` and, while its transaction is still open after its write, ``second``;
    each in a writing session of its own. Returns what each returned or raised."""
    results: list[object] = [None, None]
    wrote = threading.Event()

    def run(index: int, work: Callable[[Session], object], hold: bool) -> None:
        with app.app_context():
            session = db.session(write=True)
            try:
                results[index] = work(session)
                if hold:
                    wrote.set()
                    time.sleep(0.6)  # the other one checks now
                session.commit()
            except Exception as exc:
                session.rollback()
                results[index] = exc
            finally:
                wrote.set()
                session.close()

    one = threading.Thread(target=run, args=(0, first, True))
    one.start()
    wrote.wait(10)
    two = threading.Thread(target=run, args=(1, second, False))
    two.start()
    one.join(20)
    two.join(20)
    return results


def test_two_organisations_whose_names_differ_in_case_are_not_both_created(
    fresh: tuple[Flask, Database],
) -> None:
    app, db = fresh
    admin_id = admin_of(db)

    def create(name: str) -> Callable[[Session], object]:
        def work(session: Session) -> object:
            actor = session.get(User, admin_id)
            return organisations.create_organisation(
                session, actor=actor, name=name, kind="welfare"
            )

        return work

    results = race(db, app, create("Caritas Nord"), create("caritas nord"))
    assert isinstance(results[0], Organisation)
    assert isinstance(results[1], Conflict) and results[1].code == "duplicate_name"
    with db.session_scope(write=False) as session:
        names = session.scalars(select(Organisation.name).where(Organisation.kind == "welfare"))
        assert list(names) == ["Caritas Nord"]


def test_one_address_added_twice_at_once_is_a_conflict_not_a_database_error(
    fresh: tuple[Flask, Database],
) -> None:
    app, db = fresh
    admin_id = admin_of(db)

    def create(name: str) -> Callable[[Session], object]:
        def work(session: Session) -> object:
            actor = session.get(User, admin_id)
            return accounts.create_user(
                session,
                actor=actor,
                email="Lea.Lehmann@example.org",
                name=name,
                organisation_id=None,
                password="Ein-langes-Kennwort-2026",
            ).user

        return work

    results = race(db, app, create("Lea Lehmann"), create("Lea L."))
    assert isinstance(results[0], User)
    assert isinstance(results[1], Conflict) and results[1].code == "duplicate_email"
    with db.session_scope(write=False) as session:
        count = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.email_key == "lea.lehmann@example.org")
        )
        assert count == 1
