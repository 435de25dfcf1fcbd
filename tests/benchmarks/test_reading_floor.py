"""The reading view against its floor, both served by gunicorn (issue 8, item 8).

The floor is what the same bytes cost when served from memory by the same gunicorn
(``tests/benchmarks/static_page.py``): connection, HTTP and moving 2.5 MB over loopback.
The reading view of 200 sections with 2,000 comments and suggestions answers within
5 times that (wall time per request at the client, medians over alternating requests),
because what has not changed since the last request is neither loaded nor rendered again
(per-worker caches keyed by the consultation's ``feedback_version``).

Both servers run ``gunicorn --workers 2`` on a free port; the app on a SQLite file
prepared with the migrations and the data of ``test_feedback_speed`` (its builder), with
the production environment variables and a throwaway Redis for the login rate limits
(wsgi.py refuses several workers counting them in memory; tests/servers.py starts it).
The client logs in as the editor through the login form. Printed besides: the server's
own time per request (gunicorn's access log) with a warm cache, right after a change of
the consultation's feedback (its version moved: rows loaded and the page assembled again
from the threads' and sections' caches), and in a fresh worker (nothing cached at all).

Run with ``make bench`` (``pytest tests/benchmarks/test_reading_floor.py -s`` prints the
figures).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import create_app
from consult.config import Settings
from consult.db import database, make_engine
from consult.models import Membership, Organisation, User
from tests.benchmarks.test_feedback_speed import (
    FEEDBACK_COUNT,
    add_reading_feedback,
    build_setup,
)
from tests.conftest import PASSWORD, migrate
from tests.servers import free_port, redis_storage

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Requests to each server after the warm-up, alternating.
RUNS = 30
#: Fresh workers whose first request is timed (nothing cached).
COLD_STARTS = 3
#: The reading view may cost at most this many times its floor (wall time).
FLOOR_FACTOR = 5.0
#: Cheap hashes (as tests/support.py): the login is not what is measured.
FAST_HASH = "pbkdf2:sha256:1000"


@dataclass(frozen=True)
class Prepared:
    url: str
    revision_id: int
    consultation_id: int
    editor_email: str


def prepare_database(directory: Path) -> Prepared:
    """A migrated SQLite file with the 200 sections and 2,000 items of test_feedback_speed."""
    url = f"sqlite:///{directory / 'reading.sqlite'}"
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    app = create_app(
        Settings(
            instance_path=directory / "seed-instance",
            database_url=url,
            secret_key="seed-" + secrets.token_hex(8),
            mail_backend="file",
            mail_dir=directory / "seed-mail",
            mail_delivery="off",
            testing=True,
        )
    )
    hashed = generate_password_hash(PASSWORD, method=FAST_HASH)
    try:
        with app.app_context(), database(app).session_scope() as session:
            setup = build_setup(session, *_factories(session, hashed))
            add_reading_feedback(setup)
            return Prepared(url, setup.revision.id, setup.consultation.id, setup.editor.email)
    finally:
        database(app).engine.dispose()


def _factories(
    session: Session, hashed: str
) -> tuple[
    User,
    Callable[..., User],
    Callable[..., Organisation],
    Callable[..., Membership],
]:
    """An admin and the factories build_setup takes (as tests/conftest.py's fixtures)."""
    count = iter(range(1, 1_000_000))

    def make_org(name: str | None = None, kind: str = "welfare") -> Organisation:
        org = Organisation(name=name or f"Organisation {next(count)}", kind=kind, is_active=True)
        session.add(org)
        session.flush()
        return org

    def make_user(
        name: str | None = None, *, admin: bool = False, organisation: Organisation | None = None
    ) -> User:
        email = f"person{next(count)}@example.org"
        user = User(
            email=email,
            email_key=email,
            name=name or email,
            organisation=organisation or make_org(),
            is_admin=admin,
            is_active=True,
            password_hash=hashed,
        )
        session.add(user)
        session.flush()
        return user

    def add_member(consultation_id: int, user: User, role: str) -> Membership:
        membership = Membership(consultation_id=consultation_id, user_id=user.id, role=role)
        session.add(membership)
        session.flush()
        return membership

    return make_user("Ada Admin", admin=True), make_user, make_org, add_member


# --- servers -------------------------------------------------------------------------


@dataclass
class Gunicorn:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    access_log: Path

    def timings(self) -> list[tuple[int, str, float]]:
        """(worker pid, request line, server milliseconds) of every request so far."""
        found = []
        for line in self.access_log.read_text().splitlines():
            pid, micros, request = line.split(" ", 2)
            found.append((int(pid.strip("<>")), request, int(micros) / 1000))
        return found

    def wait_for_timings(self, count: int, path: str) -> list[float]:
        """The server milliseconds of the requests for ``path``, once there are ``count``
        (a worker logs a request after answering it)."""
        deadline = time.monotonic() + 10
        while True:
            found = [ms for _, request, ms in self.timings() if request.startswith(f"GET {path} ")]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"{len(found)} of {count} requests logged"
            time.sleep(0.01)


@contextmanager
def gunicorn(app: str, directory: Path, env: dict[str, str]) -> Iterator[Gunicorn]:
    """``gunicorn --workers 2 APP`` on a free port, until /login (or any path) answers."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log, access_log = directory / "gunicorn.log", directory / "access.log"
    access_log.write_text("")
    command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(D)s %(r)s"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, app],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log, access_log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(server.base_url + "/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # The workers share the master's process group (start_new_session).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _app_env(prepared: Prepared, directory: Path, ratelimit_storage_uri: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
    env.update(
        # Several workers need a shared store for the login rate limits (wsgi.py checks).
        CONSULT_RATELIMIT_STORAGE_URI=ratelimit_storage_uri,
        CONSULT_DATABASE_URL=prepared.url,
        CONSULT_INSTANCE_PATH=str(directory / "instance"),
        CONSULT_SECRET_KEY="bench-" + secrets.token_hex(16),
        CONSULT_MAIL_BACKEND="file",
        CONSULT_MAIL_DIR=str(directory / "mail"),
    )
    return env


def _logged_in(base_url: str, email: str) -> requests.Session:
    """A client with the session cookie of a login through the form (CSRF token and all)."""
    client = requests.Session()
    form = client.get(base_url + "/login", timeout=30).text
    response = client.post(
        base_url + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _form_token(form)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return client


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token in the form"
    return match.group(1)


def _rename(client: requests.Session, base_url: str, name: str) -> None:
    """A new name through the profile page."""
    form = client.get(base_url + "/profile/", timeout=30).text
    response = client.post(
        base_url + "/profile/",
        data={"name": name, "locale": "", "notify_replies": "y", "csrf_token": _form_token(form)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]


def _get(client: requests.Session, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url, timeout=60)
    body = response.content
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, body[:500]
    return elapsed, body


def _bump_feedback_version(url: str, consultation_id: int) -> None:
    """What any write to the consultation's feedback does to its version (a new comment,
    a name change): every worker's cached page of it is out of date."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE consultations SET feedback_version = feedback_version + 1 "
                    "WHERE id = :id"
                ),
                {"id": consultation_id},
            )
    finally:
        engine.dispose()


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


@pytest.fixture
def ratelimit_storage(tmp_path: Path) -> Iterator[str]:
    with redis_storage(tmp_path) as uri:
        yield uri


def test_reading_view_within_5_times_its_floor(tmp_path: Path, ratelimit_storage: str) -> None:
    prepared = prepare_database(tmp_path)
    env = _app_env(prepared, tmp_path, ratelimit_storage)
    path = f"/revisions/{prepared.revision_id}"
    with gunicorn("wsgi:app", tmp_path / "app", env) as app_server:
        client = _logged_in(app_server.base_url, prepared.editor_email)
        _get(client, app_server.base_url + path)  # (shows the login's flash message)
        _, page = _get(client, app_server.base_url + path)
        assert page.count(b'class="thread ') == FEEDBACK_COUNT
        (tmp_path / "page.html").write_bytes(page)
        floor_env = {**env, "FLOOR_PAGE": str(tmp_path / "page.html")}
        with gunicorn("tests.benchmarks.static_page:app", tmp_path / "floor", floor_env) as floor:
            floor_client = requests.Session()
            for _ in range(4):  # warm-up: both workers of each server
                _get(client, app_server.base_url + path)
                _get(floor_client, floor.base_url + path)
            served: list[float] = []
            floors: list[float] = []
            for _ in range(RUNS):
                seconds, body = _get(client, app_server.base_url + path)
                assert len(body) == len(page)  # (only the CSRF token differs)
                served.append(seconds)
                seconds, body = _get(floor_client, floor.base_url + path)
                assert body == page
                floors.append(seconds)
            # Two pages, four warm-ups, then the runs.
            warm_server = app_server.wait_for_timings(6 + RUNS, path)[-RUNS:]
            floor_server = floor.wait_for_timings(4 + RUNS, path)[-RUNS:]
            # A change to the consultation's feedback: the next request of each worker
            # loads the rows again and assembles the page from the per-thread caches.
            changed: list[float] = []
            for n in range(6):
                _bump_feedback_version(prepared.url, prepared.consultation_id)
                _get(client, app_server.base_url + path)
                changed.append(app_server.wait_for_timings(6 + RUNS + n + 1, path)[-1])
        # Both workers have the page cached; a new name (the editor answered threads)
        # is on it at once, whichever worker answers.
        assert page.count(b"Erika Redaktion") > 100
        _rename(client, app_server.base_url, "Erika Neuname")
        logged = len(app_server.timings())
        for _ in range(8):
            _, body = _get(client, app_server.base_url + path)
            assert b"Erika Redaktion" not in body and body.count(b"Erika Neuname") > 100
        workers = {pid for pid, request, _ in app_server.timings()[logged:] if path in request}
    # A fresh server: the first request of a worker finds nothing cached.
    cold: list[float] = []
    for n in range(COLD_STARTS):
        with gunicorn("wsgi:app", tmp_path / f"cold-{n}", env) as server:
            cold_client = _logged_in(server.base_url, prepared.editor_email)
            _get(cold_client, server.base_url + path)
            cold.extend(server.wait_for_timings(1, path))
    ratio = _ms(served) / _ms(floors)
    print(
        f"\nreading view (editor), {len(page) / 1e6:.2f} MB, {FEEDBACK_COUNT} items, gunicorn "
        f"--workers 2, {RUNS} requests each, alternating:\n"
        f"  floor (same bytes from memory): median {_ms(floors):.1f} ms wall, "
        f"{statistics.median(floor_server):.1f} ms server time\n"
        f"  reading view:                   median {_ms(served):.1f} ms wall "
        f"({ratio:.1f} x the floor)\n"
        f"  server time, warm cache:        median {statistics.median(warm_server):.1f} ms\n"
        f"  server time, after a change:    median {statistics.median(changed):.1f} ms\n"
        f"  server time, fresh worker:      median {statistics.median(cold):.1f} ms\n"
        f"  a new name shown at once by {len(workers)} of 2 workers"
    )
    assert ratio <= FLOOR_FACTOR
