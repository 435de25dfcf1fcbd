"""The app as it is deployed, for the tiers that need more than Flask's test client.

Used by ``tests/concurrency`` and ``tests/benchmarks/test_deadline_rush.py``.

Why a real server: Flask's test client runs one request at a time, in the test's own
process, on one rolled-back transaction. The worst defects of issue 8 ("Many people at
once") were invisible to it: SQLite answering "database is locked" (a 500) to the third of
a few concurrent writers, every e-mail sent five times because four workers each delivered
the same outbox rows, two editors saving one section from the same base where one silently
lost their text. So these tiers start the app in a subprocess on a free port, exactly as it
runs in production:

- on SQLite ``flask --app consult run`` (threaded), what ``make run`` serves;
- on PostgreSQL ``gunicorn --workers 4 wsgi:app``, the README's production set-up, with the
  rate limits counted in a Redis (``CONSULT_TEST_REDIS_URL``, or a throwaway
  ``redis-server`` started here);

with e-mail going over SMTP to a sink in the test process (:class:`SmtpSink`), and talk to
it over HTTP from many threads at once (:func:`run_together`). Each server gets a database
of its own (a new SQLite file, or a new database next to the configured PostgreSQL one;
the configured test database is never touched), migrated with Alembic and seeded here
through the service layer (:func:`seed_database`). Results are counted in the database
afterwards with a separate engine.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from aiosmtpd.controller import Controller
from flask import Flask
from requests.adapters import HTTPAdapter
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from consult import create_app
from consult.config import Settings, test_database_url
from consult.db import database, make_engine, utcnow
from consult.models import Membership, Organisation, User
from consult.services import api_tokens, drafts, working_groups
from consult.services import consultations as consultation_service
from consult.services import feedback as feedback_service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from tests.conftest import migrate

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
#: flask, gunicorn and friends of the interpreter running the tests (the venv's).
BIN = Path(sys.executable).parent

#: Everybody's password. Hashed cheaply (as tests/support.py does): the login form is
#: about rate limits here, not about the deliberately slow scrypt.
PASSWORD = "Viele-zugleich-2026"
FAST_HASH = "pbkdf2:sha256:1000"

PARTICIPANT_COUNT = 20
SECTION_COUNT = 10
#: Consultations without any revision, for the "first draft by two editors" race.
EMPTY_CONSULTATIONS = 5
LOCKOUT_ACCOUNTS = 3

#: Phrases every section body contains once; anchors of the rush point at them.
PHRASES = (
    "Sprachförderung in der Kita",
    "Beratung für zugewanderte Familien",
    "ehrenamtliche Lotsinnen und Lotsen",
    "Anerkennung ausländischer Abschlüsse",
    "bezahlbaren Wohnraum",
    "interkulturelle Öffnung der Verwaltung",
)
TITLES = (
    "Einleitung",
    "Sprache und Bildung",
    "Arbeit und Ausbildung",
    "Wohnen",
    "Gesundheit",
    "Ehrenamt",
    "Verwaltung",
    "Sport und Kultur",
    "Beratung",
    "Umsetzung",
)
READY_TIMEOUT = 60.0
#: A throwaway Redis: loopback only, no snapshots, no append-only file, in the foreground.
REDIS_OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
#: "sqlalchemy.exc.OperationalError: ...", "RuntimeError: ..." in a traceback.
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exceeded|Failure)\b.*")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- SMTP sink -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the sink received it: envelope recipients, subject, plain text."""

    recipients: tuple[str, ...]
    subject: str
    body: str
    #: The text/html part, if the message has one.
    html: str | None = None
    #: Every header as received (decoded), in order.
    headers: tuple[tuple[str, str], ...] = ()
    #: The top-level Content-Type ("multipart/alternative", "text/plain", ...).
    content_type: str = ""

    def header(self, name: str) -> list[str]:
        """The values of header ``name`` (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    content = part.get_content() if part is not None else ""
    return str(content).replace("\r\n", "\n")


def _html_text(message: EmailMessage) -> str | None:
    part = message.get_body(("html",))
    return None if part is None else str(part.get_content()).replace("\r\n", "\n")


class SmtpSink:
    """An SMTP server on loopback (aiosmtpd, as tests/services/test_mail.py uses) that keeps
    every message it receives; safe to read from other threads while it receives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._controller: Controller | None = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(
            tuple(envelope.rcpt_tos),
            str(message["Subject"] or ""),
            _plain_text(message),
            html=_html_text(message),
            headers=tuple((key, str(value)) for key, value in message.items()),
            content_type=message.get_content_type(),
        )
        with self._lock:
            self._received.append(mail)
        return "250 Message accepted for delivery"

    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    def start(self, port: int | None = None) -> None:
        """Listen on ``port`` (a port chosen before, e.g. one a test found closed), or on
        a free one."""
        for _ in range(50):  # a free port may be taken by someone else in between
            chosen = port or free_port()
            controller = Controller(self, hostname="127.0.0.1", port=chosen)
            try:
                controller.start()
            except (OSError, RuntimeError):
                time.sleep(0.05)
                continue
            self._controller, self.port = controller, chosen
            return
        raise RuntimeError("could not start the SMTP sink")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


# --- databases -------------------------------------------------------------------------


def configured_postgresql_url() -> str | None:
    """The configured test database when it is PostgreSQL (``.ci/run``'s second pass)."""
    url = test_database_url()
    if url and make_url(url).get_backend_name() == "postgresql":
        return url
    return None


@contextmanager
def fresh_database(directory: Path, name: str, backend: str) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in ``directory``, or on PostgreSQL
    ``<configured database>_<name>`` next to the configured one (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{name}.sqlite'}"
        return
    configured = configured_postgresql_url()
    assert configured, "CONSULT_DATABASE_URL does not name a PostgreSQL database"
    server_url = make_url(configured)
    db_name = f"{server_url.database or 'consult'}_{name}"
    admin = make_engine(server_url.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    drop = text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    try:
        with admin.connect() as conn:
            conn.execute(drop)  # left over from an interrupted run
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        yield server_url.set(database=db_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


# --- seeding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    #: A raw API token of the person.
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class SectionText:
    section_id: int
    key: str
    body: str

    def anchor(self, phrase: str) -> dict[str, Any]:
        start = self.body.index(phrase)
        return {"start": start, "end": start + len(phrase), "quote": phrase}


@dataclass(frozen=True)
class Seed:
    """What :func:`seed_database` made (ids and raw tokens)."""

    consultation_id: int
    #: The published revision the open round asks about.
    revision_id: int
    round_id: int
    #: A draft revision (copied from the published one) for the section-save race.
    draft_id: int
    #: The sections of the published revision (the draft has the same section ids).
    sections: tuple[SectionText, ...]
    editors: tuple[Person, ...]
    participants: tuple[Person, ...]
    #: A whole-section comment by each participant (in participant order), to reply to.
    comment_ids: tuple[int, ...]
    #: Consultations with no revision at all; both editors are their editors.
    empty_consultation_ids: tuple[int, ...]
    #: Accounts only the login rate-limit test uses (one per flood it may need).
    lockouts: tuple[Person, ...]


def section_body(number: int) -> str:
    sentences = [
        f"Im Handlungsfeld {number} stärkt der Kreis die {PHRASES[0]} in allen Städten.",
        f"Die {PHRASES[1]} wird ausgebaut, auch in einfacher Sprache.",
        f"Auch {PHRASES[2]} begleiten neu Zugewanderte zu Ämtern.",
        f"Die {PHRASES[3]} soll schneller gehen (Ziel {number + 2} Monate).",
        f"Der Kreis wirbt bei den Kommunen für {PHRASES[4]} und gegen Leerstand.",
        f"Die {PHRASES[5]} ist Aufgabe aller Fachbereiche.",
    ]
    return " ".join(sentences)


def draft_markdown() -> str:
    parts = [f"# {n} {TITLES[n - 1]}\n\n{section_body(n)}\n" for n in range(1, SECTION_COUNT + 1)]
    return "\n".join(parts)


def add_user(
    session: Any, email: str, name: str, organisation: Organisation, *, admin: bool = False
) -> User:
    """An active account with the tier's PASSWORD (hashed fast)."""
    user = User(
        email=email,
        email_key=email.lower(),
        name=name,
        organisation=organisation,
        is_admin=admin,
        is_active=True,
        password_hash=generate_password_hash(PASSWORD, method=FAST_HASH),
    )
    session.add(user)
    session.flush()
    return user


def seeding_app(url: str, directory: Path, label: str) -> Flask:
    """An app in the test process writing into the server's database at ``url`` (mail to
    files, never sent): for seeding what a test needs. Dispose of its database after."""
    settings = Settings(
        instance_path=directory / f"{label}-instance",
        database_url=url,
        secret_key="seed-" + secrets.token_hex(8),
        mail_backend="file",
        mail_dir=directory / f"{label}-mail",
        mail_delivery="off",
        testing=True,
        base_url="http://127.0.0.1",
    )
    return create_app(settings)


def seed_database(url: str, directory: Path, *, tag: str) -> Seed:
    """Migrate the (empty) database at ``url`` and seed it in-process, through the services.

    ``tag`` goes into the lock-out accounts' addresses, so that a Redis shared between runs
    (the rate limits count a minute) never sees the same account twice.
    """
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    app = seeding_app(url, directory, "seed")
    try:
        with app.app_context(), database(app).session_scope() as session:
            return _seed(session, tag)
    finally:
        database(app).engine.dispose()


def _seed(session: Any, tag: str) -> Seed:
    county = Organisation(name="Kreis Siegtal", kind="administration", is_active=True)
    session.add(county)
    admin = add_user(session, "admin@kreis.example", "Ada Admin", county)
    admin.is_admin = True
    editors = [
        add_user(session, "redaktion1@kreis.example", "Miriam Redaktion", county),
        add_user(session, "redaktion2@kreis.example", "Paul Redaktion", county),
    ]
    participants = []
    for n in range(PARTICIPANT_COUNT):
        org = Organisation(name=f"Verein {n + 1:02d} im Kreis", kind="welfare", is_active=True)
        session.add(org)
        participants.append(
            add_user(session, f"person{n + 1:02d}@verein.example", f"Person {n + 1:02d}", org)
        )
    lockouts = [
        add_user(session, f"sperre{n}-{tag}@verein.example", f"Lena Sperre {n}", county)
        for n in range(1, LOCKOUT_ACCOUNTS + 1)
    ]

    consultation = consultation_service.create_consultation(
        session, actor=admin, title="Integrationskonzept 2027 (Lasttest)"
    )
    for editor in editors:
        session.add(Membership(consultation_id=consultation.id, user_id=editor.id, role="editor"))
    session.flush()
    revision = drafts.create_from_markdown(
        session, consultation.id, actor=editors[0], markdown=draft_markdown()
    )
    drafts.publish(session, revision.id, actor=editors[0])
    group = working_groups.create_working_group(
        session, consultation.id, actor=editors[0], name="AK Alle"
    )
    for person in participants:
        consultation_service.set_member(
            session,
            consultation.id,
            person.id,
            actor=editors[0],
            role="participant",
            working_group_ids=[group.id],
        )
    now = utcnow()
    round_ = round_service.create_round(
        session,
        consultation.id,
        actor=editors[0],
        revision_id=revision.id,
        title="Beteiligung zum Entwurf",
        opens_at=(now - timedelta(hours=1)).isoformat(),
        closes_at=(now + timedelta(days=2)).isoformat(),
        working_group_ids=[group.id],
        visibility="round",
        notify=False,  # the outbox starts empty: the tests count what the rush queues
    )
    sections = tuple(
        SectionText(p.section_id, p.key, p.version.body)
        for p in revision_service.outline(session, revision).placements
    )
    assert len(sections) == SECTION_COUNT, [s.key for s in sections]
    comment_ids = []
    for n, person in enumerate(participants):
        comment = feedback_service.create_comment(
            session,
            revision.id,
            sections[n % SECTION_COUNT].section_id,
            actor=person,
            body=f"Ausgangskommentar von Person {n + 1:02d}: bitte konkreter.",
            anchor=None,
        )
        comment_ids.append(comment.id)
    draft = drafts.copy_revision(
        session, revision.id, actor=editors[0], note="Entwurf für Fassung 2"
    )
    empty_ids = []
    for n in range(EMPTY_CONSULTATIONS):
        empty = consultation_service.create_consultation(
            session, actor=admin, title=f"Neues Verfahren {n + 1}"
        )
        for editor in editors:
            session.add(Membership(consultation_id=empty.id, user_id=editor.id, role="editor"))
        empty_ids.append(empty.id)
    session.flush()

    def with_token(user: User) -> Person:
        _row, raw = api_tokens.create_api_token(session, actor=user, name="Lasttest")
        return Person(user.id, user.email, user.name, raw)

    return Seed(
        consultation_id=consultation.id,
        revision_id=revision.id,
        round_id=round_.id,
        draft_id=draft.id,
        sections=sections,
        editors=tuple(with_token(e) for e in editors),
        participants=tuple(with_token(p) for p in participants),
        comment_ids=tuple(comment_ids),
        empty_consultation_ids=tuple(empty_ids),
        lockouts=tuple(with_token(user) for user in lockouts),
    )


# --- Redis for the rate limits of several workers --------------------------------------


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_storage(directory: Path) -> Iterator[str]:
    """A Redis URL for Flask-Limiter: ``CONSULT_TEST_REDIS_URL`` (``.ci/run`` starts one),
    else a throwaway ``redis-server`` without persistence, stopped afterwards."""
    configured = os.environ.get("CONSULT_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "gunicorn with several workers needs a shared store for the rate limits: set "
            "CONSULT_TEST_REDIS_URL=redis://host:port/0 or install redis-server "
            "(apt-get install redis-server)"
        )
    port = free_port()
    log = directory / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, *REDIS_OPTIONS, "--port", str(port), "--dir", str(directory)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not _redis_answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start:\n{_tail(log)}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


# --- the server ------------------------------------------------------------------------


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes], *, group: bool = False) -> None:
    """Terminate a process started here, then kill it if need be; with ``group`` (a
    process started in a session of its own, e.g. gunicorn) also what is left of its
    process group (workers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if group:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Server:
    """A running server: its address, environment and log."""

    kind: str  # "flask" or "gunicorn"
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    #: gunicorn's access log: "<worker pid> <client address> <status> <request line>".
    access_log: Path | None
    directory: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 40) -> str:
        return f"--- {self.kind} server log (last {lines} lines) ---\n" + _tail(
            self.log_path, lines
        )

    def log_mark(self) -> int:
        """Where the log ends now (for :meth:`errors` of one test only)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def errors(self, since: int = 0) -> str:
        """The distinct exception lines of the server's log (after ``since``), with counts."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        found = Counter(line.strip()[:300] for line in lines if _EXCEPTION_LINE.match(line.strip()))
        if not found:
            return f"--- no exceptions in the {self.kind} server log ---"
        return f"--- exceptions in the {self.kind} server log ---\n" + "\n".join(
            f"{n} x {line}" for line, n in found.most_common(8)
        )

    def cli(self, *args: str) -> subprocess.Popen[bytes]:
        """``flask --app consult ARGS`` with the server's environment (its database, SMTP)."""
        return subprocess.Popen(
            [str(BIN / "flask"), "--app", "consult", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def served_by(self, address: str) -> list[tuple[int, str]]:
        """gunicorn: (worker pid, request line) of every request from ``address``, in order
        (from the access log; empty for ``flask run``)."""
        if self.access_log is None or not self.access_log.exists():
            return []
        served = []
        for line in self.access_log.read_text().splitlines():
            pid, client, _status, request = [*line.split(" ", 3), "", "", ""][:4]
            if client == address:
                served.append((int(pid.strip("<>")), request))
        return served

    def check_alive(self) -> None:
        assert self.process.poll() is None, f"the server exited\n{self.log_tail()}"


def server_env(
    database_url: str,
    instance: Path,
    *,
    port: int,
    smtp_port: int,
    ratelimit_storage_uri: str | None,
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONSULT_", "FLASK_")) and k != "WERKZEUG_RUN_MAIN"
    }
    env.update(
        CONSULT_DATABASE_URL=database_url,
        CONSULT_INSTANCE_PATH=str(instance),
        CONSULT_SECRET_KEY="concurrency-" + secrets.token_hex(16),
        CONSULT_MAIL_BACKEND="smtp",
        CONSULT_SMTP_HOST="127.0.0.1",
        CONSULT_SMTP_PORT=str(smtp_port),
        CONSULT_MAIL_FROM="beteiligung@kreis.example",
        CONSULT_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    if ratelimit_storage_uri:
        env["CONSULT_RATELIMIT_STORAGE_URI"] = ratelimit_storage_uri
    return env


@contextmanager
def running_server(
    kind: str,
    database_url: str,
    directory: Path,
    *,
    smtp_port: int,
    ratelimit_storage_uri: str | None = None,
) -> Iterator[Server]:
    """Start ``flask run`` or ``gunicorn --workers 4`` on a free port; wait until /login
    answers; stop it afterwards. A server that will not come up fails with its log."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(
        database_url,
        directory / "instance",
        port=port,
        smtp_port=smtp_port,
        ratelimit_storage_uri=ratelimit_storage_uri,
    )
    access_log: Path | None = None
    if kind == "flask":
        command = [str(BIN / "flask"), "--app", "consult", "run", "--host", "127.0.0.1"]
        command += ["--port", str(port)]
    elif kind == "gunicorn":
        access_log = directory / "access.log"
        command = [str(BIN / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{port}"]
        command += ["--graceful-timeout", "5", "--access-logfile", str(access_log)]
        command += ["--access-logformat", "%(p)s %(h)s %(s)s %(r)s", "wsgi:app"]
    else:
        raise ValueError(kind)
    log_path = directory / f"{kind}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(kind, f"http://127.0.0.1:{port}", env, process, log_path, access_log, directory)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        _stop(process, group=True)


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last_error = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the {server.kind} server exited with {server.process.returncode} before it "
                f"answered\n{server.log_tail()}"
            )
        try:
            response = requests.get(server.url("/login"), timeout=2)
        except requests.RequestException as exc:
            last_error = repr(exc)
        else:
            if response.status_code == 200:
                return
            last_error = f"GET /login answered {response.status_code}"
        time.sleep(0.1)
    pytest.fail(
        f"the {server.kind} server did not answer within {READY_TIMEOUT:.0f} s "
        f"({last_error})\n{server.log_tail()}"
    )


# --- HTTP clients ----------------------------------------------------------------------


class _SourceAddressAdapter(HTTPAdapter):
    """Connections from a chosen loopback address (all of 127.0.0.0/8 is local on Linux),
    so that one test can be several clients "from different addresses"."""

    def __init__(self, source: str) -> None:
        self._source = (source, 0)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = self._source
        super().init_poolmanager(*args, **kwargs)


@dataclass(frozen=True)
class Outcome:
    """One request of a person: what, how it ended, how long it took."""

    who: str
    action: str
    status: int
    seconds: float
    #: The start of the response body (for failure messages).
    excerpt: str
    data: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def describe(self) -> str:
        return f"{self.who} {self.action}: {self.status} {self.excerpt[:300]!r}"


class Client:
    """One person's connection to the server (a ``requests.Session``: one per thread)."""

    def __init__(
        self,
        server: Server,
        who: str,
        *,
        token: str | None = None,
        source: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.server = server
        self.who = who
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if source:
            adapter = _SourceAddressAdapter(source)
            self.session.mount("http://", adapter)

    def call(
        self,
        method: str,
        path: str,
        action: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.server.url(path),
                json=json,
                data=data,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return Outcome(self.who, action, 0, time.perf_counter() - started, repr(exc))
        seconds = time.perf_counter() - started
        parsed: Any = None
        if response.headers.get("Content-Type", "").startswith("application/json"):
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
        return Outcome(self.who, action, response.status_code, seconds, response.text, parsed)

    def csrf_token(self) -> str:
        """GET /login: the session cookie and the form's CSRF token."""
        response = self.session.get(self.server.url("/login"), timeout=self.timeout)
        assert response.status_code == 200, response.text[:500]
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', response.text
        )
        assert match, "no csrf_token in the login form"
        return match.group(1)

    def login(self, email: str, password: str, csrf_token: str | None = None) -> Outcome:
        """POST the login form (302 when it worked)."""
        token = csrf_token or self.csrf_token()
        return self.call(
            "POST",
            "/login",
            "login",
            data={"email": email, "password": password, "csrf_token": token},
        )

    def close(self) -> None:
        self.session.close()


def run_together(tasks: Sequence[Callable[[], T]], *, timeout: float = 120.0) -> list[T]:
    """Run the tasks in threads that start at the same moment (a barrier); their results
    in task order. An exception in a task is raised here."""
    barrier = threading.Barrier(len(tasks))

    def start(task: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return task()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(start, task) for task in tasks]
        return [future.result(timeout=timeout) for future in futures]


def wait_for(
    condition: Callable[[], T], *, timeout: float, interval: float = 0.1
) -> tuple[bool, T]:
    """Poll ``condition`` until it returns something true or ``timeout`` passes; returns
    (met, last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return bool(value), value
        time.sleep(interval)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def counting_engine(url: str) -> Engine:
    """A separate engine on the server's database, to count what the requests stored."""
    return make_engine(url)
