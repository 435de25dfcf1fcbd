"""E-mail: queue in the outbox table, deliver with retries through a backend.

Backends (``CONSULT_MAIL_BACKEND``): ``console`` prints, ``file`` writes one .eml
per message into ``CONSULT_MAIL_DIR``, ``smtp`` talks to ``CONSULT_SMTP_HOST``.
A failed delivery stays queued and is retried with growing pauses.
"""

from __future__ import annotations

import logging
import smtplib
import sys
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consult.config import Settings
from consult.db import utcnow
from consult.extensions import LOCALES
from consult.models import OutboxMessage, User

log = logging.getLogger(__name__)

#: After this many failed attempts a message is marked failed (and kept).
MAX_ATTEMPTS = 8
#: Send mail as RFC 5322 messages with this charset.
CHARSET = "utf-8"


def settings() -> Settings:
    configured: Settings = current_app.extensions["consult_settings"]
    return configured


def queue(session: Session, to: str, subject: str, body: str) -> OutboxMessage:
    """Put one message into the outbox (delivered after the request commits)."""
    message = OutboxMessage(to_address=to, subject=subject[:300], body_text=body)
    session.add(message)
    session.flush()
    from flask import g, has_request_context

    if has_request_context():
        g.mail_queued = True
    return message


def queue_template(session: Session, user: User, name: str, **context: Any) -> OutboxMessage:
    """Render ``templates/mail/<name>.txt`` (first line = subject) for ``user`` and
    queue it to them: in the language they chose, not the sender's."""
    context.setdefault("base_url", settings().base_url)
    language = user.locale if user.locale in LOCALES else "de"
    with force_locale(LOCALES[language]):
        text = render_template(f"mail/{name}.txt", user=user, **context)
    subject, _, body = text.strip("\n").partition("\n")
    return queue(session, user.email, subject.strip(), body.strip("\n") + "\n")


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(row.body_text, charset=CHARSET)
    return message


class Backend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleBackend:
    """Prints each message to standard error, so command output (ids, tokens) stays clean."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        stream = self.stream or sys.stderr
        stream.write("----- E-Mail -----\n" + message.as_string() + "\n------------------\n")
        stream.flush()


class FileBackend:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        ident = str(message["Message-ID"]).strip("<>").split("@")[0]
        (self.directory / f"{stamp}-{ident}.eml").write_bytes(message.as_bytes())


class SmtpBackend:
    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.cfg.smtp_host, self.cfg.smtp_port, timeout=20) as smtp:
            if self.cfg.smtp_starttls:
                smtp.starttls()
            if self.cfg.smtp_user:
                smtp.login(self.cfg.smtp_user, self.cfg.smtp_password or "")
            smtp.send_message(message)


def backend_for(cfg: Settings) -> Backend:
    if cfg.mail_backend == "smtp":
        return SmtpBackend(cfg)
    if cfg.mail_backend == "file":
        return FileBackend(cfg.mail_dir)
    if cfg.mail_backend == "console":
        return ConsoleBackend()
    raise ValueError(f"unknown CONSULT_MAIL_BACKEND {cfg.mail_backend!r}")


def retry_delay(attempts: int) -> timedelta:
    """Pause before the next attempt: 1, 2, 4, ... minutes, at most 4 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def deliver_due(
    session: Session, cfg: Settings, *, backend: Backend | None = None, now: datetime | None = None
) -> tuple[int, int]:
    """Try every due message once. Returns (sent, failed) counts; flushes each row."""
    backend = backend or backend_for(cfg)
    now = now or utcnow()
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            or_(OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts == 0),
        )
        .order_by(OutboxMessage.id)
    ).all()
    sent = failed = 0
    for row in rows:
        row.attempts += 1
        try:
            backend.send(build_message(row, cfg.mail_from))
        except Exception as exc:
            failed += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.next_attempt_at = now + retry_delay(row.attempts)
            if row.attempts >= MAX_ATTEMPTS:
                row.failed_at = now
            log.warning("mail %s to %s failed: %s", row.id, row.to_address, row.last_error)
        else:
            sent += 1
            row.sent_at = now
            row.last_error = None
        session.flush()
    return sent, failed
