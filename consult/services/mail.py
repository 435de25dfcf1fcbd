"""E-mail: queue in the outbox table, deliver with retries through a backend
(:mod:`consult.services.mail_backends`). A failed delivery stays queued and is retried
with growing pauses.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, NamedTuple

from flask import Flask, current_app, g, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from consult.config import Settings
from consult.db import Database, utcnow
from consult.db import database as db_for
from consult.domain import mailtext
from consult.extensions import LOCALES
from consult.models import (
    DigestItem,
    NotificationMode,
    OutboxAttachment,
    OutboxMessage,
    User,
)
from consult.services import notification_settings
from consult.services.mail_backends import Backend, backend_for

log = logging.getLogger(__name__)

#: After this many failed attempts a message is marked failed (and kept).
MAX_ATTEMPTS = 8
#: Send mail as RFC 5322 messages with this charset.
CHARSET = "utf-8"


def settings() -> Settings:
    """The app's settings (mail backend, base URL, token lifetimes); needs an app context.
    Raises nothing."""
    configured: Settings = current_app.extensions["consult_settings"]
    return configured


class Attachment(NamedTuple):
    """A file sent with a message."""

    filename: str
    mime_type: str
    content: bytes


def queue(
    session: Session,
    to: str,
    subject: str,
    body: str,
    *,
    attachments: Sequence[Attachment] = (),
    unsubscribe_url: str | None = None,
    html: str | None = None,
) -> OutboxMessage:
    """Put one message into the outbox (delivered after the request commits), with its
    ``attachments`` (kept with it until sent), its one-click ``unsubscribe_url`` (sent as
    List-Unsubscribe) and its ``html`` alternative (see :func:`render`). Raises nothing."""
    message = OutboxMessage(
        to_address=to,
        subject=subject[:300],
        body_text=body,
        body_html=html,
        unsubscribe_url=unsubscribe_url,
    )
    session.add(message)
    session.flush()
    for attachment in attachments:
        session.add(
            OutboxAttachment(
                message_id=message.id,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                content=attachment.content,
            )
        )
    if attachments:
        session.flush()
    if has_request_context():
        g.mail_queued = True
    return message


def queue_template(
    session: Session,
    user: User,
    name: str,
    *,
    attachments: Sequence[Attachment] = (),
    urgent: bool = False,
    **context: Any,
) -> OutboxMessage | None:
    """Render ``templates/mail/<name>.txt`` (first line = subject) for ``user`` and
    queue it to them (with ``attachments``): in the language they chose, not the sender's.

    A notification (services.notification_settings.KIND_OF_TEMPLATE) follows the
    person's setting for its kind: off, nothing is queued; daily digest, it is held as a
    DigestItem for ``flask --app consult notifications digest`` (returns None in both
    cases); immediately, it carries its one-click unsubscribe link. An ``urgent`` one
    (the last reminder before a deadline) is not held for the digest, which could bring
    it too late; off still means off.
    Raises jinja2's TemplateNotFound for an unknown ``name`` (a programming error)."""
    kind, mode = notification_settings.mode_for_template(session, user, name)
    if mode is NotificationMode.OFF:
        return None
    context.setdefault("base_url", settings().base_url)
    language = language_of(user)
    with force_locale(LOCALES[language]):
        text = render_template(f"mail/{name}.txt", user=user, **context)
        greeting = _("Guten Tag %(name)s,", name=user.name)
    subject, _nl, body = text.strip("\n").partition("\n")
    subject, body = subject.strip(), body.strip("\n") + "\n"
    if kind is not None and mode is NotificationMode.DIGEST and not urgent:
        session.add(
            DigestItem(
                user_id=user.id,
                kind=kind.value,
                consultation_id=notification_settings.consultation_of(context),
                subject=subject[:300],
                body_text=without_greeting(body, greeting),
            )
        )
        session.flush()
        return None
    link = notification_settings.unsubscribe_url(user, [kind]) if kind is not None else None
    return queue_rendered(session, user, subject, body, unsubscribe=link, attachments=attachments)


def without_greeting(body: str, greeting: str) -> str:
    """The body without its opening "Guten Tag …," (a digest greets once), its next
    sentence starting with a capital ("die Redaktion hat …" → "Die Redaktion hat …").
    Raises nothing."""
    if not body.startswith(greeting):
        return body
    rest = body[len(greeting) :].lstrip("\n")
    return rest[:1].upper() + rest[1:]


def language_of(user: User) -> str:
    """The language ``user`` reads mail in (German unless they chose another we offer)."""
    return user.locale if user.locale in LOCALES else "de"


def render(subject: str, body: str, *, language: str, unsubscribe: str | None) -> tuple[str, str]:
    """The text and HTML parts of a mail whose text is ``body``: the text part with the
    unsubscribe line as its signature, the HTML part built from the same text (its
    paragraphs, headings and links; everything escaped) with the link in its footer.
    Raises nothing."""
    with force_locale(LOCALES[language]):
        label = _("Diese Benachrichtigungen abbestellen:")
        html = render_template(
            "mail/layout.html",
            subject=subject,
            blocks=mailtext.blocks(body),
            lang=language,
            unsubscribe=unsubscribe,
            settings_url=f"{settings().base_url}/profile/#notifications",
        )
    footer = f"\n-- \n{label} {unsubscribe}\n" if unsubscribe else ""
    return body + footer, html


def queue_rendered(
    session: Session,
    user: User,
    subject: str,
    body: str,
    *,
    unsubscribe: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage:
    """Queue a mail written in ``user``'s language to them with both parts (see
    :func:`render`) and its one-click ``unsubscribe`` link. Raises nothing."""
    text, html = render(subject, body, language=language_of(user), unsubscribe=unsubscribe)
    return queue(
        session,
        user.email,
        subject,
        text,
        attachments=attachments,
        unsubscribe_url=unsubscribe,
        html=html,
    )


def build_message(
    row: OutboxMessage, sender: str, attachments: Sequence[OutboxAttachment] = ()
) -> EmailMessage:
    """The e-mail of an outbox row, sent from ``sender``, with its attachments.
    Raises nothing."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body_text, charset=CHARSET)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html", charset=CHARSET)
    for attachment in attachments:
        maintype, _slash, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def retry_delay(attempts: int) -> timedelta:
    """Pause before the next attempt: 1, 2, 4, ... minutes, at most 4 hours. Raises nothing."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


#: How long a deliverer may hold a claimed message before another may take it over
#: (a deliverer that died midway: its messages are sent again after this).
CLAIM_LEASE = timedelta(minutes=10)
#: Messages claimed at once (each is still marked sent in its own transaction).
CLAIM_BATCH = 20


def _due(now: datetime) -> Any:
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts == 0),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def _claim(database: Database, now: datetime, token: str) -> list[int]:
    """Claim up to CLAIM_BATCH due messages for this deliverer; returns their ids.

    PostgreSQL: rows another deliverer is claiming are skipped (``SKIP LOCKED``), not
    waited for. SQLite: the transaction holds the write lock from its start, so no
    other deliverer claims in between.
    """
    with database.session_scope(write=True) as session:
        ids = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(*_due(now))
                .order_by(OutboxMessage.id)
                .limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    claimed_until=now + CLAIM_LEASE,
                    claim_token=token,
                    attempts=OutboxMessage.attempts + 1,
                )
            )
    return ids


def deliver_due(
    source: Session | Database,
    cfg: Settings,
    *,
    backend: Backend | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Send every due message once; returns (sent, failed) counts.

    Safe with any number of deliverers at once (after requests, in several workers,
    ``flask mail send`` from cron): each message is claimed before it is sent and marked
    sent in its own short transaction, so it goes out exactly once, unless a deliverer
    dies between sending and marking it (then it is sent again after CLAIM_LEASE).
    ``source`` is the database, or a session whose pending messages should be sent
    (it is flushed; its transaction is not committed).
    Raises nothing: a message that fails stays queued for a later attempt."""
    if isinstance(source, Session):
        source.flush()
        database: Database = source.info["database"]
    else:
        database = source
    backend = backend or backend_for(cfg)
    now = now or utcnow()
    token = secrets.token_hex(16)
    sent = failed = 0
    while ids := _claim(database, now, token):
        for message_id in ids:
            outcome = _deliver_one(database, backend, cfg, message_id, token, now)
            if outcome is True:
                sent += 1
            elif outcome is False:
                failed += 1
    if isinstance(source, Session):
        source.expire_all()
    return sent, failed


def _deliver_one(
    database: Database, backend: Backend, cfg: Settings, message_id: int, token: str, now: datetime
) -> bool | None:
    """Send one claimed message and record the outcome: True if it went out, False if
    sending failed, None if another deliverer has taken the message over meanwhile."""
    with database.session_scope(write=False) as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.claim_token != token:
            return None
        files = session.scalars(
            select(OutboxAttachment)
            .where(OutboxAttachment.message_id == row.id)
            .order_by(OutboxAttachment.id)
        ).all()
        message = build_message(row, cfg.mail_from, files)
        attempts, address = row.attempts, row.to_address
    error: str | None = None
    try:
        backend.send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("mail %s to %s failed: %s", message_id, address, error)
    outcome: dict[str, Any] = {"claimed_until": None, "claim_token": None}
    if error is None:
        outcome.update(sent_at=now, last_error=None)
    else:
        outcome.update(last_error=error, next_attempt_at=now + retry_delay(attempts))
        if attempts >= MAX_ATTEMPTS:
            outcome["failed_at"] = now
    with database.session_scope(write=True) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(**outcome)
        )
    return error is None


class MailWorker:
    """Delivers queued mail in one background thread per process, soon after each
    request that queued some (:meth:`poke`). Several processes may each run one."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def poke(self) -> None:
        """Deliver what is due soon (starts the thread in this process if needed)."""
        with self._lock:
            # A forked worker (gunicorn --preload) inherits the object, not the thread.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(target=self._run, name="consult-mail", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        wake = self._wake
        while True:
            wake.wait()
            wake.clear()
            self.deliver_now()

    def deliver_now(self) -> tuple[int, int]:
        with self.app.app_context():
            try:
                return deliver_due(db_for(self.app), self.app.extensions["consult_settings"])
            except Exception:
                log.exception("delivering queued mail failed")
                return 0, 0
