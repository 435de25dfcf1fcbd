"""Latency of the deadline rush on a running server (issue 8, ``make bench``).

Twenty participants write ten times each at the same moment through the API (comments,
replies, suggestions), read the reading view three times in between with a session
cookie, and an editor extends the deadline five times meanwhile: the rush of
tests/concurrency/rush.py, against the server as deployed (tests/servers.py): ``flask
run`` on SQLite, and, when ``CONSULT_DATABASE_URL`` names PostgreSQL, ``gunicorn
--workers 4`` (rate limits in Redis) on a database of its own next to it.

Prints p50 and p95 (and the maximum) per action; run with ``pytest -s`` to see the table.
Speed is recorded, not unit-tested: the assertions are only generous sanity limits (no
5xx, no failed connection, p95 under 5 s). That every write is stored exactly once is
tests/concurrency's business.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.concurrency.rush import RushResult, run_rush
from tests.servers import (
    PARTICIPANT_COUNT,
    Seed,
    Server,
    configured_postgresql_url,
    fresh_database,
    percentile,
    redis_storage,
    running_server,
    seed_database,
    smtp_sink,
)

BACKENDS = ["sqlite", *(["postgresql"] if configured_postgresql_url() else [])]
READS_PER_PERSON = 3
EXTENSIONS = 5
#: Sanity limit, not a target.
P95_LIMIT = 5.0
ACTIONS = ("comment", "reply", "suggestion", "read", "extension")


@dataclass(frozen=True)
class Live:
    backend: str
    server: Server
    seed: Seed


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """A seeded database of its own, the server on it, mail to an SMTP sink."""
    backend: str = request.param
    directory = tmp_path_factory.mktemp(f"rush-{backend}")
    with ExitStack() as stack:
        sink = stack.enter_context(smtp_sink())
        url = stack.enter_context(fresh_database(directory, "bench", backend))
        seed = seed_database(url, directory, tag=secrets.token_hex(3))
        if backend == "sqlite":
            server = stack.enter_context(
                running_server("flask", url, directory / "server", smtp_port=sink.port)
            )
        else:
            redis_url = stack.enter_context(redis_storage(directory))
            server = stack.enter_context(
                running_server(
                    "gunicorn",
                    url,
                    directory / "server",
                    smtp_port=sink.port,
                    ratelimit_storage_uri=redis_url,
                )
            )
        yield Live(backend, server, seed)


def table(live: Live, result: RushResult, seconds: float) -> str:
    samples: dict[str, list[float]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    for outcome in result.outcomes:
        samples[outcome.action].append(outcome.seconds)
        if not outcome.ok:
            refused[outcome.action] += 1
    server = "flask run" if live.server.kind == "flask" else "gunicorn, 4 workers"
    lines = [
        f"Deadline rush on {live.backend} ({server}): {PARTICIPANT_COUNT} participants x "
        f"10 writes + {READS_PER_PERSON} reads, {EXTENSIONS} extensions; {seconds:.1f} s",
        f"  {'action':<11} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'not 2xx':>8}",
    ]
    for action in ACTIONS:
        values = samples.get(action, [])
        if not values:
            continue
        lines.append(
            f"  {action:<11} {len(values):>4} {percentile(values, 0.5) * 1000:>8.0f} "
            f"{percentile(values, 0.95) * 1000:>8.0f} {max(values) * 1000:>8.0f} "
            f"{refused[action]:>8}"
        )
    return "\n".join(lines)


def test_deadline_rush_latency(live: Live) -> None:
    started = time.perf_counter()
    result = run_rush(
        live.server,
        live.seed,
        label="Messung",
        reads_per_person=READS_PER_PERSON,
        extensions=EXTENSIONS,
    )
    elapsed = time.perf_counter() - started
    report = table(live, result, elapsed)
    print("\n" + report)

    broken = [o.describe() for o in result.outcomes if o.status == 0 or o.status >= 500]
    assert not broken, (
        f"{len(broken)} requests failed:\n  " + "\n  ".join(broken[:8]) + "\n" + report
    )
    by_action: dict[str, list[float]] = defaultdict(list)
    for outcome in result.outcomes:
        by_action[outcome.action].append(outcome.seconds)
    slow = {
        action: round(percentile(values, 0.95), 2)
        for action, values in by_action.items()
        if percentile(values, 0.95) >= P95_LIMIT
    }
    assert not slow, f"p95 over {P95_LIMIT} s: {slow}\n{report}"
