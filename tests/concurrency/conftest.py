"""Fixtures of the concurrency tier: one seeded database, one running server, one SMTP sink.

All of package scope: the tier starts one server (``flask run`` on SQLite; ``gunicorn
--workers 4`` with Redis-backed rate limits when ``CONSULT_DATABASE_URL`` names
PostgreSQL) on a fresh database of its own and shares it between its tests; the
configured test database of the other tiers is never touched. See tests/servers.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.servers import (
    Seed,
    Server,
    SmtpSink,
    configured_postgresql_url,
    counting_engine,
    fresh_database,
    redis_storage,
    running_server,
    seed_database,
    smtp_sink,
)

#: The tier runs on PostgreSQL in .ci/run's second pass, else on SQLite.
BACKEND = "postgresql" if configured_postgresql_url() else "sqlite"


@dataclass(frozen=True)
class LiveDatabase:
    url: str
    seed: Seed
    #: Part of the lock-out account's address and the test's client addresses.
    tag: str


@pytest.fixture(scope="package")
def backend() -> str:
    return BACKEND


@pytest.fixture(scope="package")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("concurrency")


@pytest.fixture(scope="package")
def sink() -> Iterator[SmtpSink]:
    """The SMTP server the app delivers to; it keeps every message."""
    with smtp_sink() as running:
        yield running


@pytest.fixture(scope="package")
def live_database(workdir: Path, backend: str) -> Iterator[LiveDatabase]:
    """A new database (SQLite file or ``<test db>_concurrency``), migrated and seeded."""
    tag = secrets.token_hex(3)
    with fresh_database(workdir, "concurrency", backend) as url:
        yield LiveDatabase(url, seed_database(url, workdir, tag=tag), tag)


@pytest.fixture(scope="package")
def seed(live_database: LiveDatabase) -> Seed:
    return live_database.seed


@pytest.fixture(scope="package")
def server(
    live_database: LiveDatabase, sink: SmtpSink, workdir: Path, backend: str
) -> Iterator[Server]:
    """The app in a subprocess, serving the seeded database and sending mail to ``sink``."""
    if backend == "sqlite":
        with running_server(
            "flask", live_database.url, workdir / "server", smtp_port=sink.port
        ) as running:
            yield running
        return
    with (
        redis_storage(workdir) as redis_url,
        running_server(
            "gunicorn",
            live_database.url,
            workdir / "server",
            smtp_port=sink.port,
            ratelimit_storage_uri=redis_url,
        ) as running,
    ):
        yield running


@pytest.fixture(scope="package")
def engine_for_counting(live_database: LiveDatabase) -> Iterator[Engine]:
    """A separate engine on the server's database, to count what the requests stored."""
    engine = counting_engine(live_database.url)
    yield engine
    engine.dispose()
