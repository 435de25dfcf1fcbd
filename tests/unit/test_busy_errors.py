"""Which database errors mean "busy, try again" (503 with Retry-After), and which not."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, OperationalError

from consult.db import is_busy_error


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


def test_sqlite_lock_errors_are_busy() -> None:
    assert is_busy_error(wrapped(sqlite3.OperationalError("database is locked")))
    assert is_busy_error(wrapped(sqlite3.OperationalError("database table is locked")))


def test_postgresql_lock_deadlock_and_serialization_failures_are_busy() -> None:
    for sqlstate in ("55P03", "40P01", "40001"):
        assert is_busy_error(wrapped(PgError(sqlstate)))


def test_other_errors_are_not_busy() -> None:
    assert not is_busy_error(wrapped(sqlite3.OperationalError("no such table: users")))
    assert not is_busy_error(wrapped(PgError("42P01")))
    assert not is_busy_error(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not is_busy_error(ValueError("database is locked"))
