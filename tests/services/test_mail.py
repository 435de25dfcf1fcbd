"""The outbox: queueing, the console/file/SMTP backends, retries that lose nothing."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.config import Settings
from consult.db import utcnow
from consult.models import OutboxMessage
from consult.services import mail, mail_backends

SUBJECT = "Stellungnahme zur Änderung – Größe & Übersicht (ß)"
BODY = "Guten Tag Frau Yılmaz,\n\nvielen Dank für Ihre Rückmeldung.\n\nMit freundlichen Grüßen\n"


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    """The plain-text body, with the line ends normalised (SMTP transmits CRLF)."""
    part = message.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def reload(db: Session, row: OutboxMessage) -> OutboxMessage:
    """The row as stored in the database (not the session's cached state)."""
    db.expire_all()
    fresh = db.get(OutboxMessage, row.id)
    assert fresh is not None
    return fresh


class RecordingBackend:
    """Fails for the addresses in ``failing`` (or all, with ``fail_all``); records the rest."""

    def __init__(self, *, fail_all: bool = False, failing: frozenset[str] = frozenset()) -> None:
        self.fail_all = fail_all
        self.failing = failing
        self.sent: list[EmailMessage] = []
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.fail_all or str(message["To"]) in self.failing:
            raise OSError("Verbindung verweigert")
        self.sent.append(message)


@pytest.fixture
def cfg(app: Flask) -> Settings:
    """The test app's settings: the file backend, writing into a temporary folder."""
    return mail.settings()


# --- queueing ------------------------------------------------------------------------


def test_queue_only_stores_the_message(db: Session, cfg: Settings) -> None:
    row = mail.queue(db, "lea@example.org", "x" * 400, BODY)
    assert row.id is not None
    assert (row.attempts, row.sent_at, row.failed_at, row.last_error) == (0, None, None, None)
    assert len(row.subject) == 300  # cut to the column's size
    assert not cfg.mail_dir.exists() or list(cfg.mail_dir.iterdir()) == []  # nothing sent
    stored = reload(db, row)
    assert stored.to_address == "lea@example.org" and stored.body_text == BODY


def test_queue_template_takes_subject_from_first_line(db: Session, make_user: Any) -> None:
    user = make_user("Jonas Becker")
    row = mail.queue_template(db, user, "reset", token="abc123", hours=2)
    assert row.to_address == user.email
    assert row.subject == "Passwort zurücksetzen"
    assert row.body_text.startswith("Guten Tag Jonas Becker,")
    assert "http://consult.test/password/set/abc123" in row.body_text
    assert row.body_text.endswith("\n") and not row.body_text.endswith("\n\n")


def test_mail_is_written_in_the_recipients_language(
    app: Flask, db: Session, make_user: Any
) -> None:
    """Whoever triggers it (here a request in German): English for those who chose it,
    German for everyone else, dates included."""
    english, german, unset = make_user("Ana Lee"), make_user("Jonas Becker"), make_user("Ute Kern")
    english.locale, german.locale = "en", "de"
    with app.test_request_context("/", headers={"Cookie": "lang=de"}):
        rows = [
            mail.queue_template(db, user, "reset", token="t", hours=2)
            for user in (english, german, unset)
        ]
        assert str(get_locale()) == "de_DE"  # the request's own language is untouched
    assert [r.subject for r in rows] == [
        "Reset your password",
        "Passwort zurücksetzen",
        "Passwort zurücksetzen",
    ]
    assert rows[0].body_text.startswith("Dear Ana Lee,")
    assert rows[2].body_text.startswith("Guten Tag Ute Kern,")


def test_build_message_sets_headers(db: Session) -> None:
    row = mail.queue(db, "a@example.org", SUBJECT, BODY)
    message = mail.build_message(row, "Kreis Siegtal <consult@kreis.example>")
    assert message["To"] == "a@example.org"
    assert message["From"] == "Kreis Siegtal <consult@kreis.example>"
    assert str(message["Message-ID"]).endswith("@kreis.example>")
    assert message.get_content_charset() == "utf-8"
    reparsed = parse(message.as_bytes())
    assert reparsed["Subject"] == SUBJECT
    assert text_of(reparsed) == BODY


# --- backends ------------------------------------------------------------------------


def test_backend_for_each_setting(cfg: Settings, tmp_path: Path) -> None:
    assert isinstance(
        mail_backends.backend_for(cfg.replace(mail_backend="console")), mail_backends.ConsoleBackend
    )
    file_backend = mail_backends.backend_for(
        cfg.replace(mail_backend="file", mail_dir=tmp_path / "x")
    )
    assert isinstance(file_backend, mail_backends.FileBackend)
    assert file_backend.directory == tmp_path / "x"
    smtp_backend = mail_backends.backend_for(cfg.replace(mail_backend="smtp"))
    assert isinstance(smtp_backend, mail_backends.SmtpBackend)
    with pytest.raises(ValueError, match="pigeon"):
        mail_backends.backend_for(cfg.replace(mail_backend="pigeon"))


def test_file_backend_writes_one_eml_per_message(db: Session, cfg: Settings) -> None:
    assert cfg.mail_backend == "file"
    first = mail.queue(db, "eins@example.org", SUBJECT, BODY)
    second = mail.queue(db, "zwei@example.org", "Erinnerung", "Frist läuft ab.\n")

    assert mail.deliver_due(db, cfg) == (2, 0)

    files = sorted(cfg.mail_dir.glob("*.eml"))
    assert len(files) == 2
    messages = {str(m["To"]): m for m in (parse(f.read_bytes()) for f in files)}
    assert set(messages) == {"eins@example.org", "zwei@example.org"}
    umlauts = messages["eins@example.org"]
    assert umlauts["Subject"] == SUBJECT
    assert umlauts["From"] == cfg.mail_from
    assert text_of(umlauts) == BODY
    assert text_of(messages["zwei@example.org"]) == "Frist läuft ab.\n"
    for row in (first, second):
        stored = reload(db, row)
        assert stored.sent_at is not None
        assert stored.attempts == 1 and stored.last_error is None

    # Sent messages are not sent again.
    assert mail.deliver_due(db, cfg) == (0, 0)
    assert len(list(cfg.mail_dir.glob("*.eml"))) == 2


def test_console_backend_prints_the_message(db: Session, cfg: Settings) -> None:
    stream = io.StringIO()
    mail.queue(db, "konsole@example.org", SUBJECT, BODY)
    assert mail.deliver_due(db, cfg, backend=mail_backends.ConsoleBackend(stream)) == (1, 0)
    output = stream.getvalue()
    assert output.startswith("----- E-Mail -----\n")
    assert output.rstrip().endswith("------------------")
    raw = output.split("\n", 1)[1].rsplit("------------------", 1)[0]
    headers, _, body = raw.partition("\n\n")
    assert "To: konsole@example.org" in headers.splitlines()
    # Readable as it stands: umlauts, ß and the dotless ı as such, not encoded
    # (no =?utf-8?...?=, quoted-printable or base64).
    assert f"Subject: {SUBJECT}" in headers.splitlines()
    assert body == BODY
    assert "=?" not in output and "=C3" not in output and "Content-Transfer-Encoding" not in output


def test_console_backend_is_the_configured_default(
    db: Session, cfg: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    mail.queue(db, "standard@example.org", "Hallo", "Text\n")
    assert mail.deliver_due(db, cfg.replace(mail_backend="console")) == (1, 0)
    captured = capsys.readouterr()
    # On standard error, so that commands printing an id or a token stay parseable.
    assert captured.out == ""
    assert "To: standard@example.org" in captured.err
    assert "Subject: Hallo" in captured.err


# --- retries -------------------------------------------------------------------------


def test_retry_delay_grows_and_is_capped() -> None:
    minutes = [mail.retry_delay(n) / timedelta(minutes=1) for n in range(1, 11)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 240, 240]


def test_failed_delivery_stays_queued_and_backs_off(db: Session, cfg: Settings) -> None:
    row = mail.queue(db, "lea@example.org", SUBJECT, BODY)
    backend = RecordingBackend(fail_all=True)
    t0 = utcnow()

    assert mail.deliver_due(db, cfg, backend=backend, now=t0) == (0, 1)
    stored = reload(db, row)
    assert stored.attempts == 1
    assert stored.last_error == "OSError: Verbindung verweigert"
    assert stored.next_attempt_at == t0 + timedelta(minutes=1)
    assert stored.sent_at is None and stored.failed_at is None

    # Not due yet: not tried.
    assert mail.deliver_due(db, cfg, backend=backend, now=t0 + timedelta(seconds=59)) == (0, 0)
    assert backend.calls == 1

    t1 = t0 + timedelta(minutes=1)
    assert mail.deliver_due(db, cfg, backend=backend, now=t1) == (0, 1)
    stored = reload(db, row)
    assert stored.attempts == 2
    assert stored.next_attempt_at == t1 + timedelta(minutes=2)

    # The server is back: the message goes out on the next due run.
    backend.fail_all = False
    t2 = t1 + timedelta(minutes=2)
    assert mail.deliver_due(db, cfg, backend=backend, now=t2) == (1, 0)
    stored = reload(db, row)
    assert stored.sent_at == t2 and stored.attempts == 3 and stored.last_error is None
    assert [m["To"] for m in backend.sent] == ["lea@example.org"]


def test_message_is_marked_failed_after_max_attempts(db: Session, cfg: Settings) -> None:
    row = mail.queue(db, "nie@example.org", "Hallo", "Text\n")
    backend = RecordingBackend(fail_all=True)
    now = utcnow()
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert reload(db, row).failed_at is None
        assert mail.deliver_due(db, cfg, backend=backend, now=now) == (0, 1)
        stored = reload(db, row)
        assert stored.attempts == attempt
        now = stored.next_attempt_at
    stored = reload(db, row)
    assert stored.failed_at is not None and stored.sent_at is None
    assert stored.last_error == "OSError: Verbindung verweigert"

    # Given up: not tried again, even much later, but kept for an admin to requeue.
    backend.fail_all = False
    assert mail.deliver_due(db, cfg, backend=backend, now=now + timedelta(days=30)) == (0, 0)
    assert backend.calls == mail.MAX_ATTEMPTS
    assert reload(db, row).body_text == "Text\n"


def test_one_failing_message_does_not_hold_up_the_others(db: Session, cfg: Settings) -> None:
    bad = mail.queue(db, "kaputt@example.org", "A", "a\n")
    good = mail.queue(db, "heil@example.org", "B", "b\n")
    backend = RecordingBackend(failing=frozenset({"kaputt@example.org"}))
    assert mail.deliver_due(db, cfg, backend=backend) == (1, 1)
    assert reload(db, good).sent_at is not None
    stored_bad = reload(db, bad)
    assert stored_bad.sent_at is None and stored_bad.last_error is not None


# --- SMTP against a real server on loopback -------------------------------------------


class Collector:
    """An aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(port: int, **kwargs: Any) -> tuple[Controller, Collector]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port, **kwargs)
    for _ in range(50):  # the port may linger briefly after a refused connection
        try:
            controller.start()
        except OSError:
            time.sleep(0.05)
        else:
            return controller, collector
    raise RuntimeError(f"could not start the SMTP server on port {port}")


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Collector]:
    controller, collector = start_server(smtp_port)
    yield collector
    controller.stop()


def smtp_settings(cfg: Settings, port: int, **changes: Any) -> Settings:
    return cfg.replace(mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=port, **changes)


def test_smtp_backend_delivers_to_a_real_server(
    db: Session, cfg: Settings, smtp_server: Collector, smtp_port: int
) -> None:
    settings = smtp_settings(cfg, smtp_port, mail_from="consult@kreis.example")
    row = mail.queue(db, "buergermeister@siegburg.example", SUBJECT, BODY)

    assert mail.deliver_due(db, settings) == (1, 0)

    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "consult@kreis.example"
    assert envelope.rcpt_tos == ["buergermeister@siegburg.example"]
    received = parse(envelope.original_content)
    assert received["Subject"] == SUBJECT
    assert received["To"] == "buergermeister@siegburg.example"
    assert text_of(received) == BODY
    assert reload(db, row).sent_at is not None


def test_smtp_backend_logs_in_when_a_user_is_configured(
    db: Session, cfg: Settings, smtp_port: int
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        # handled=False: aiosmtpd answers "535 credentials invalid" itself.
        return AuthResult(success=data.password == b"richtig", handled=False)

    controller, collector = start_server(
        smtp_port, authenticator=authenticator, auth_require_tls=False
    )
    try:
        wrong = mail.queue(db, "a@example.org", "Eins", "1\n")
        bad_settings = smtp_settings(cfg, smtp_port, smtp_user="konto", smtp_password="falsch")
        assert mail.deliver_due(db, bad_settings) == (0, 1)
        assert "SMTPAuthenticationError" in (reload(db, wrong).last_error or "")
        assert collector.envelopes == []

        good_settings = smtp_settings(cfg, smtp_port, smtp_user="konto", smtp_password="richtig")
        later = reload(db, wrong).next_attempt_at
        assert mail.deliver_due(db, good_settings, now=later) == (1, 0)
    finally:
        controller.stop()
    # smtplib tries each offered mechanism (PLAIN, LOGIN) with the wrong password.
    assert set(logins) == {(b"konto", b"falsch"), (b"konto", b"richtig")}
    assert logins[-1] == (b"konto", b"richtig")
    assert [e.rcpt_tos for e in collector.envelopes] == [["a@example.org"]]


def test_smtp_server_down_loses_nothing(db: Session, cfg: Settings, smtp_port: int) -> None:
    settings = smtp_settings(cfg, smtp_port)
    row = mail.queue(db, "stellungnahme@much.example", SUBJECT, BODY)
    db.commit()  # queued durably, as a request would leave it

    assert mail.deliver_due(db, settings) == (0, 1)
    stored = reload(db, row)
    assert stored.sent_at is None and stored.failed_at is None
    assert stored.attempts == 1
    assert "ConnectionRefusedError" in (stored.last_error or "")
    due_at = stored.next_attempt_at

    controller, collector = start_server(smtp_port)
    try:
        # The next run before the pause is over leaves it alone ...
        assert mail.deliver_due(db, settings, now=due_at - timedelta(seconds=1)) == (0, 0)
        assert collector.envelopes == []
        # ... the next due run delivers it.
        assert mail.deliver_due(db, settings, now=due_at) == (1, 0)
    finally:
        controller.stop()
    [envelope] = collector.envelopes
    assert envelope.rcpt_tos == ["stellungnahme@much.example"]
    assert parse(envelope.original_content)["Subject"] == SUBJECT
    stored = reload(db, row)
    assert stored.sent_at == due_at and stored.attempts == 2 and stored.last_error is None
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all() == []
