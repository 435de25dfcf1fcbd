"""The audit log (issue 14): record what was done, read it back, verify its chain.

Services call :func:`record` for every action the log keeps (publications, rounds,
decisions, merges, statements, memberships and accounts, exports of personal data, logins
of admins), in the transaction of the action itself: the entry exists exactly when the
action happened. A reading request (a GET that exports names) has no write transaction;
there the entry is written and committed in a short write transaction of its own before
the file leaves, and if that fails the export fails too.

Appending takes the chain's lock (PostgreSQL: a transaction-level advisory lock; SQLite:
every writing transaction already holds the write lock), reads the newest entry and
links to it, so two requests appending at once never fork the chain.

This module imports no other service except permissions, access and locks (every service
imports it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from consult.db import READING_METHODS, Database, is_id, is_writing, utcnow
from consult.errors import BadRequest, NotFound
from consult.models import AuditEntry, Round, User
from consult.models.audit import GENESIS
from consult.services import access, permissions
from consult.services.locks import lock_name

#: The name of the advisory lock that orders appends (PostgreSQL).
CHAIN_LOCK = "consult audit chain"
#: The most entries one page or one API answer holds.
MAX_LIMIT = 500


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as stored and hashed: JSON, sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(
        dict(details or {}),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def _at_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 (hex) over the entry's canonical content and the previous entry's hash.
    ``actor_id`` is left out: deleting an account sets it to NULL (``actor_name`` is in)."""
    content = [
        entry.id,
        _at_text(entry.at),
        entry.consultation_id,
        entry.actor_name,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.details,
        entry.prev_hash,
    ]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _append(
    session: Session,
    *,
    actor: object,
    action: str,
    object_type: str,
    object_id: int | None,
    consultation_id: int | None,
    details: str,
) -> AuditEntry:
    lock_name(session, CHAIN_LOCK)
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        consultation_id=consultation_id,
        actor_id=actor.id if isinstance(actor, User) else None,
        actor_name=actor.name if isinstance(actor, User) else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def _in_reading_request(session: Session) -> bool:
    return (
        not is_writing(session)
        and has_request_context()
        and request.method in READING_METHODS
        and isinstance(session.info.get("database"), Database)
    )


def record(
    session: Session,
    *,
    actor: object,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    consultation_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append an entry to the audit log: ``actor`` (a User, or None for the system) did
    ``action`` (a code such as ``"round.opened"``) to ``object_type``/``object_id``.

    Part of the session's transaction (rolled back with the action), except in a reading
    request, where it is committed at once in a write transaction of its own.
    Raises nothing of its own; database errors (busy) propagate."""
    values: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "consultation_id": consultation_id,
        "details": canonical_details(details),
    }
    owner = session.info.get("database")
    if not _in_reading_request(session) or not isinstance(owner, Database):
        _append(session, **values)
        return
    if isinstance(owner.engine.pool, StaticPool):
        # An in-memory database has one connection: no transaction beside this one.
        _append(session, **values)
        return
    side = owner.session(write=True)
    try:
        if isinstance(actor, User):
            values["actor"] = side.get(User, actor.id)
        _append(side, **values)
        side.commit()
    except BaseException:
        side.rollback()
        raise
    finally:
        side.close()


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditView:
    """An entry as pages, the API and the CSV show it."""

    id: int
    at: datetime
    consultation_id: int | None
    actor_id: int | None
    #: The account's current name (an erased person shows anonymised), else the copy.
    actor_name: str
    action: str
    object_type: str
    object_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def check_reader(session: Session, consultation_id: int | None, *, actor: object) -> None:
    """Whether the actor may read the log of a consultation (its editors, admins) or the
    whole log (``None``: admins). Raises NotAuthenticated, NotFound, NotPermitted."""
    permissions.require_user(actor)
    if consultation_id is None:
        permissions.require(
            permissions.is_admin(actor), _("Nur die Verwaltung darf das gesamte Protokoll lesen.")
        )
        return
    if not is_id(consultation_id):
        raise NotFound(_("Dieses Beteiligungsverfahren gibt es nicht."))
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_edit_consultation(session, actor, consultation),
        _("Nur die Redaktion darf das Protokoll dieses Verfahrens lesen."),
    )


def _query(consultation_id: int | None, where: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if consultation_id is not None:
        query = query.where(AuditEntry.consultation_id == consultation_id)
    if where.action:
        query = (
            query.where(AuditEntry.action.startswith(where.action[:-1], autoescape=True))
            if where.action.endswith(".")
            else query.where(AuditEntry.action == where.action)
        )
    if where.actor_id is not None:
        if not is_id(where.actor_id):
            raise BadRequest(_("Diese Person gibt es nicht."), fields={"actor_id": _("Ungültig.")})
        query = query.where(AuditEntry.actor_id == where.actor_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    return query


def _details(row: AuditEntry, names: dict[int, str]) -> dict[str, object]:
    """The stored details, with a person's name as the account has it now: the entry keeps
    the name of its time (it cannot change), but an erased person's name must not show."""
    details: dict[str, object] = json.loads(row.details or "{}")
    if row.object_type == "user" and row.object_id in names and "name" in details:
        details["name"] = names[row.object_id]
    return details


def _views(session: Session, rows: list[AuditEntry]) -> list[AuditView]:
    ids = {row.actor_id for row in rows if row.actor_id is not None}
    ids |= {row.object_id for row in rows if row.object_type == "user" and row.object_id}
    names = (
        {
            row.id: row.name
            for row in session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [
        AuditView(
            id=row.id,
            at=row.at,
            consultation_id=row.consultation_id,
            actor_id=row.actor_id,
            actor_name=names.get(row.actor_id, row.actor_name)
            if row.actor_id is not None
            else row.actor_name,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            details=_details(row, names),
        )
        for row in rows
    ]


def entries(
    session: Session,
    consultation_id: int | None,
    *,
    actor: object,
    action: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditView]:
    """The entries of a consultation (``None``: all, for admins), newest first, filtered
    by action code (``"round."`` for every round action), acting person and time
    (``since`` inclusive, ``until`` exclusive). Raises NotAuthenticated, NotFound,
    NotPermitted, BadRequest."""
    check_reader(session, consultation_id, actor=actor)
    where = AuditFilter(action=action, actor_id=actor_id, since=since, until=until)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = session.scalars(
        _query(consultation_id, where)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
        .offset(max(0, offset))
    ).all()
    return _views(session, list(rows))


def count(
    session: Session,
    consultation_id: int | None,
    *,
    actor: object,
    action: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """How many entries :func:`entries` would find without paging (same raises)."""
    check_reader(session, consultation_id, actor=actor)
    where = AuditFilter(action=action, actor_id=actor_id, since=since, until=until)
    subquery = _query(consultation_id, where).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def actors(
    session: Session, consultation_id: int | None, *, actor: object
) -> list[tuple[int, str]]:
    """The people who appear in the log (id, current name), for the filter's choices.
    Raises as :func:`entries`."""
    check_reader(session, consultation_id, actor=actor)
    query = select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)).distinct()
    if consultation_id is not None:
        query = query.where(AuditEntry.consultation_id == consultation_id)
    ids = list(session.scalars(query))
    if not ids:
        return []
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)).order_by(User.name))
    return [(row.id, row.name) for row in rows]


# --- verifying -----------------------------------------------------------------------


def _all_entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500)
    )


def verify_chain(session: Session) -> list[int]:
    """The ids of the entries whose hash or link to the previous entry is wrong (a
    changed, inserted or removed row), in order; empty when the chain is intact.
    Raises nothing."""
    broken: list[int] = []
    previous = GENESIS
    for entry in _all_entries(session):
        if entry.prev_hash != previous or entry.hash != entry_hash(entry):
            broken.append(entry.id)
        previous = entry.hash
    return broken


def record_export(
    session: Session,
    *,
    actor: object,
    action: str,
    round_: Round,
    file_format: str,
    with_names: bool = True,
) -> None:
    """Record a download that carries personal data (``action`` e.g.
    ``"export.responses"``, ``"export.annex"``) of a round, before the file leaves.
    Raises as :func:`record`."""
    record(
        session,
        actor=actor,
        action=action,
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
        details={"format": file_format, "names": with_names},
    )
