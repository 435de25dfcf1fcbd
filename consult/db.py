"""Database wiring: declarative base, engine, one session per request.

Services receive the session as their first argument and only ``flush()``; the
request commits once when it succeeds and rolls back otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_app_context
from flask import current_app as _app
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

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


def make_engine(url: str) -> Engine:
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
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session that commits when the block succeeds (CLI, mail worker)."""
        session = self.sessionmaker()
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


def insert_ignoring_duplicates(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> None:
    """Insert rows; a row whose key another request stored meanwhile is left alone.

    For caches of immutable results (diffs, anchor locations). One statement with
    many parameter sets, on SQLite and PostgreSQL alike.
    """
    if not rows:
        return
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).on_conflict_do_nothing(), rows)


def get_session() -> Session:
    """The session of the current request (created on first use)."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def init_app(app: Flask, url: str) -> None:
    app.extensions["consult_db"] = Database(url)

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
