"""Where e-mail goes: ``CONSULT_MAIL_BACKEND`` ``console`` prints each message, ``file``
writes one .eml per message into ``CONSULT_MAIL_DIR``, ``smtp`` talks to
``CONSULT_SMTP_HOST``. The outbox (:mod:`consult.services.mail`) hands them messages.
"""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from consult.config import Settings
from consult.db import utcnow


class Backend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleBackend:
    """Prints each message to standard error, so command output (ids, tokens) stays clean.

    Printed for a person to read: the headers and the body decoded (umlauts as umlauts,
    not quoted-printable or base64), the body's links whole.
    """

    #: The headers printed, in this order.
    HEADERS = ("From", "To", "Subject", "Date", "Message-ID")

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    @classmethod
    def readable(cls, message: EmailMessage) -> str:
        """The message as text: its headers decoded, a blank line, its plain-text body."""
        lines = [f"{name}: {message[name]}" for name in cls.HEADERS if message[name] is not None]
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if isinstance(part, EmailMessage) else ""
        return "\n".join(lines) + "\n\n" + str(body).rstrip("\n") + "\n"

    def send(self, message: EmailMessage) -> None:
        stream = self.stream or sys.stderr
        stream.write("----- E-Mail -----\n" + self.readable(message) + "------------------\n")
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
    """The delivery backend that ``CONSULT_MAIL_BACKEND`` names.
    Raises ValueError for an unknown one."""
    if cfg.mail_backend == "smtp":
        return SmtpBackend(cfg)
    if cfg.mail_backend == "file":
        return FileBackend(cfg.mail_dir)
    if cfg.mail_backend == "console":
        return ConsoleBackend()
    raise ValueError(f"unknown CONSULT_MAIL_BACKEND {cfg.mail_backend!r}")
