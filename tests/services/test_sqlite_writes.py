"""SQLite as a real embedded default: writers wait their turn instead of failing.

SQLite has one writer at a time. A transaction that reads first and then writes cannot
wait for that lock: SQLite refuses it at once ("database is locked"), whatever
``busy_timeout`` says. So every transaction that may write takes the lock when it
begins (``BEGIN IMMEDIATE``), and then waits up to ``busy_timeout``; a lock not had in
time is answered with 503 and Retry-After, never 500, and nothing is stored.

These tests use a SQLite file of their own (whatever database the suite runs on): the
test transaction the other tests share would hide exactly what is tested here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from consult import create_app
from consult.db import Database, database, is_busy_error, make_engine
from consult.models import Organisation
from tests.conftest import make_settings, migrate


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'writes.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url


def hold_write_lock(engine: Engine, seconds: float, started: threading.Event) -> None:
    raw = engine.raw_connection()  # no SQLAlchemy transaction around it
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        started.set()
        time.sleep(seconds)
        cursor.execute("ROLLBACK")
    finally:
        raw.close()


def test_the_database_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_a_writing_session_waits_for_the_lock_instead_of_failing(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(db.engine, 0.5, started))
    holder.start()
    started.wait(5)
    begun = time.monotonic()
    with db.session_scope(write=True) as session:
        # Read first, then write: the pattern that failed at once under a deferred BEGIN.
        assert session.scalar(select(func.count()).select_from(Organisation)) == 0
        session.add(Organisation(name="Caritasverband", kind="welfare", is_active=True))
    waited = time.monotonic() - begun
    holder.join()
    assert waited >= 0.3  # it waited for the other writer ...
    with db.session_scope(write=False) as session:  # ... and then stored its row
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1
    db.engine.dispose()


def test_a_reading_transaction_that_writes_fails_at_once(sqlite_url: str) -> None:
    """Why writes must begin IMMEDIATE: the deferred transaction cannot wait."""
    db = Database(sqlite_url)
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(db.engine, 1.0, started))
    holder.start()
    started.wait(5)
    session = db.session(write=False)
    session.scalar(select(func.count()).select_from(Organisation))
    begun = time.monotonic()
    session.add(Organisation(name="Diakonie", kind="welfare", is_active=True))
    with pytest.raises(OperationalError) as caught:
        session.flush()
    assert time.monotonic() - begun < 0.5  # refused at once, busy_timeout or not
    assert is_busy_error(caught.value)
    session.rollback()
    session.close()
    holder.join()
    db.engine.dispose()


def test_a_lock_not_had_in_time_is_503_with_retry_after_and_stores_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, sqlite_url, sqlite_busy_timeout_ms=200))
    app.config["WTF_CSRF_ENABLED"] = False
    engine = database(app).engine
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(engine, 1.5, started))
    holder.start()
    started.wait(5)
    with app.app_context():
        response = app.test_client().post(
            "/login", data={"email": "niemand@example.org", "password": "x"}
        )
    holder.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "noch einmal" in response.get_data(as_text=True)
    with app.app_context():
        api = app.test_client().post("/api/v1/organisations", json={"name": "X", "kind": "other"})
    assert api.status_code == 401  # the lock is free again: a normal answer
    engine.dispose()


def test_the_api_answers_a_busy_database_with_its_json_error(
    sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, sqlite_url, sqlite_busy_timeout_ms=200))
    engine = database(app).engine
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(engine, 1.5, started))
    holder.start()
    started.wait(5)
    with app.app_context():
        response = app.test_client().post(
            "/api/v1/organisations",
            json={"name": "X", "kind": "other"},
            headers={"Authorization": "Bearer irgendwas"},
        )
    holder.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["error"]["code"] == "busy"
    engine.dispose()
