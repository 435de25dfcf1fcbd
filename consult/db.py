"""Database wiring: declarative base, engine, one session per request.

Services receive the session as their first argument and only ``flush()``; the
request commits once when it succeeds and rolls back otherwise.

SQLite, the embedded default, has one writer at a time. A transaction that reads
first and then writes cannot wait for that lock (SQLite refuses it at once, whatever
``busy_timeout`` says), so every transaction that may write takes the lock when it
begins (``BEGIN IMMEDIATE``): requests other than GET/HEAD/OPTIONS, the mail worker,
the CLI. Reading requests that store a cached result (a diff, an anchor's place) do it
in a short write transaction of their own (:func:`store_cached`). In WAL mode readers
never wait for the writer. A lock not had within ``busy_timeout`` is
:func:`is_busy_error`, which the app answers with 503 and ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from flask import current_app as _app
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

#: Execution option of a connection whose transactions take SQLite's write lock at once.
WRITE = "consult_write"
#: Requests that only read (their session begins a deferred transaction).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How long a transaction waits for SQLite's write lock before it gives up (503).
BUSY_TIMEOUT_MS = 10_000

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Ids are INTEGER columns, 32 bits on PostgreSQL. A larger number names no row, and a query
#: with it may even fail (SQLite takes no integer beyond 64 bits).
MAX_ID = 2**31 - 1


def fits_id(value: int) -> bool:
    """Whether ``value`` can be an id (else it names nothing)."""
    return -MAX_ID - 1 <= value <= MAX_ID


def is_id(value: object) -> bool:
    """Whether ``value`` is an integer (not a bool) that an id column can hold.

    Input checks use it, so that no query is ever asked about a number the database
    cannot compare (SQLite takes no integer beyond 64 bits: a 500, not a 422).
    """
    return isinstance(value, int) and not isinstance(value, bool) and fits_id(value)


def parse_number(text: object) -> int | None:
    """A whole number (an id, an offset) from a query string or form field, or None:
    only ASCII digits (``"²"`` is a digit to ``str.isdigit`` but no number to ``int``),
    within the id columns' range. The one place where numbers from outside are read;
    never a bare ``int()``."""
    if not isinstance(text, str) or not text.isascii() or not text.isdecimal():
        return None
    if len(text) > len(str(MAX_ID)) + 5:  # no need to convert a thousand digits
        return None
    value = int(text)
    return value if fits_id(value) else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
            # savepoints and transactional DDL work (SQLAlchemy's documented recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # Readers never wait for the writer, nor it for them; NORMAL is durable
            # across application crashes in WAL mode (a power cut may lose the last
            # transactions, never the database).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            writes = conn.get_execution_options().get(WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


#: SQLite's codes for a lock not had in time; PostgreSQL's SQLSTATEs for a lock not
#: available, a deadlock and a serialization failure: all "try again in a moment".
_BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})


def is_busy_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the database was momentarily busy (answer 503, retry)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _BUSY_SQLSTATES:
        return True
    return type(orig).__name__ == "OperationalError" and any(
        text in str(orig).lower() for text in _BUSY_SQLITE
    )


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.sessionmaker = sessionmaker(
            bind=self.engine, expire_on_commit=False, info={"database": self}
        )

    def session(self, *, write: bool) -> Session:
        """A new session; ``write`` ones take SQLite's write lock when they begin."""
        if write:
            return self.sessionmaker(execution_options={WRITE: True}, info={"write": True})
        return self.sessionmaker()

    @contextmanager
    def session_scope(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block succeeds (CLI, mail worker)."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def database(app: Flask | None = None) -> Database:
    app = app or _app
    db: Database = app.extensions["consult_db"]
    return db


def is_writing(session: Session) -> bool:
    """Whether the session's transactions may write (took SQLite's write lock)."""
    return bool(session.info.get("write"))


def _insert(session: Session, model: type[Base]) -> Any:
    return (
        pg_insert(model)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite_insert(model)
    )


def upsert(
    session: Session, model: type[Base], rows: list[dict[str, Any]], *, keys: list[str]
) -> None:
    """Insert rows, or overwrite the other columns of a row with the same ``keys``."""
    if not rows:
        return
    insert = _insert(session, model)
    columns = [c for c in rows[0] if c not in keys]
    session.execute(
        insert.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(insert.excluded, c) for c in columns}
        ),
        rows,
    )


def write_aside(session: Session, work: Callable[[Session], object], *, what: str) -> None:
    """Do a small optional write (a cache row, a "last used" time) from any request.

    In a writing session, as part of it. A reading session (a GET) cannot write on
    SQLite without risking an immediate "database is locked", so there the work runs in
    a short write transaction of its own, which waits its turn; if the database stays
    busy, it is left undone (``what`` names it in the log).
    """
    owner: Database | None = session.info.get("database")
    if is_writing(session) or owner is None or isinstance(owner.engine.pool, StaticPool):
        # (An in-memory SQLite database has one connection: no transaction beside.)
        work(session)
        return
    side = owner.session(write=True)
    try:
        work(side)
        side.commit()
    except DBAPIError as exc:
        side.rollback()
        if not is_busy_error(exc):
            raise
        log.warning("%s left undone (database busy)", what)
    finally:
        side.close()


def store_cached(
    session: Session, model: type[Base], rows: list[dict[str, Any]], *, keys: list[str]
) -> None:
    """Store results computed from immutable inputs (diffs, anchor locations), from
    any request (see :func:`write_aside`); a row stored meanwhile is overwritten."""
    if rows:
        write_aside(
            session,
            lambda target: upsert(target, model, rows, keys=keys),
            what=f"cache rows of {model.__tablename__}",
        )


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        changed = [type(o).__name__ for o in [*session.new, *session.dirty, *session.deleted]]
        raise RuntimeError(
            f"a reading request ({request.method} {request.path}) changed {changed}: on "
            "SQLite such a write fails when others write; use db.write_aside"
        )


def get_session() -> Session:
    """The session of the current request (created on first use)."""
    if "db_session" not in g:
        writes = not has_request_context() or request.method not in READING_METHODS
        created = database().session(write=writes)
        if not writes and _app.testing:
            # Tests catch a reading request that writes through the ORM.
            event.listen(created, "before_flush", _refuse_writes)
        g.db_session = created
    session: Session = g.db_session
    return session


def init_app(app: Flask, url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    app.extensions["consult_db"] = Database(url, busy_timeout_ms=busy_timeout_ms)

    def _close_session(exc: BaseException | None = None) -> None:
        if not has_app_context():
            return
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()

    # One session per request, even when an outer app context lives on (tests, CLI).
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)
