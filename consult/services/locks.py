"""Row locks for writes that depend on what the writer read (no lost update).

Two editors who both read a draft section and save it must not both succeed: the
second must see the first one's save and get 409. On PostgreSQL (READ COMMITTED) a
write transaction locks the row it depends on with ``SELECT ... FOR UPDATE`` before it
checks anything; a concurrent writer of the same row waits until the first commits
and then reads its result. On SQLite every writing transaction holds the database's
write lock from its start (``BEGIN IMMEDIATE``, see consult.db), so writers already
run one after another; the statement is then a plain re-read.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from consult.db import Base

Row = TypeVar("Row", bound=Base)


def lock(session: Session, row: Row, *, key: bool = False) -> Row:
    """Lock ``row`` until the transaction ends and reload its columns from the database
    (what another writer committed meanwhile). Returns the same object. ``key``: the
    transaction will change a unique column of the row (an account's e-mail), so the lock
    is PostgreSQL's full FOR UPDATE, which also waits for the transactions that insert
    rows pointing at it; taken later, by the UPDATE itself, it deadlocks with them.
    Raises nothing; waits while another transaction holds the lock."""
    model = type(row)
    mapper = inspect(model)
    condition = [
        column == getattr(row, mapper.get_property_by_column(column).key)
        for column in mapper.primary_key
    ]
    session.execute(
        select(model)
        .where(*condition)
        # FOR NO KEY UPDATE: excludes the other guarded writers, not the inserts of rows
        # that merely point at this one (a comment's foreign key to its consultation).
        .with_for_update(of=model, key_share=not key)
        .execution_options(populate_existing=True)
    ).scalars().all()  # fetched: only rows read are loaded into ``row`` (populate_existing)
    return row


def lock_name(session: Session, name: str) -> None:
    """Take a lock on ``name`` (e.g. "organisation names") until the transaction ends.

    For checks with no row to lock: two admins creating "Caritas" and "caritas" at once
    both find no such name. PostgreSQL: a transaction-level advisory lock; SQLite: the
    write transaction already excludes every other writer.
    Raises nothing; waits while another transaction holds the lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
