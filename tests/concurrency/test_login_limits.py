"""The login rate limit holds on the real server: across gunicorn's workers, per address.

Flask-Limiter counts in ``CONSULT_RATELIMIT_STORAGE_URI``. With ``memory://`` every
gunicorn worker counts for itself: a flood spread over four workers gets about forty
guesses a minute instead of ten, and Flask's test client (one process) can never show it.
So this tier runs gunicorn with four workers and a shared Redis on PostgreSQL; on SQLite
the same test runs against ``flask run``'s one process.

The app takes the client address from the connection (it does not trust
``X-Forwarded-For``, consult/web/auth.py and consult/extensions.py), so the test speaks
from several loopback addresses (127.0.0.0/8 is all local on Linux; the client socket is
bound to its source address):

- a flood of failed logins for one account from one address meets 429 by the 11th
  attempt, and then even the right password is refused from there. On gunicorn the
  flood's first eleven attempts must have reached at least three workers (the access
  log names the worker of each request; readers in the background keep workers busy so
  that the flood's connections go to whichever is free): spread like that, per-worker
  counts would not have stopped it. A flood that happened to stay on fewer workers
  proves little, so up to three floods (other accounts, other addresses) are tried;
- the same account with the right password from another address still gets in: a flood
  must not lock the owner out (limits per account *and address* plus per address, not
  per account alone).

The addresses are derived from a tag of this run, as are the accounts' e-mails: a Redis
shared between runs (the limits count for a minute) never sees them twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.concurrency.conftest import LiveDatabase
from tests.servers import PASSWORD, Client, Person, Server

ATTEMPTS = 12
#: 10 failed logins a minute into one account from one address (consult/config.py).
ALLOWED = 10
#: Readers keeping gunicorn's workers busy, so the flood's connections go to whichever
#: worker is free: spread over the workers, not all served by one that happens to be awake.
BACKGROUND_READERS = 6
#: Workers the flood's first ALLOWED + 1 attempts must reach on gunicorn.
WORKERS_REACHED = 3


def address(tag: str, network: int) -> str:
    """A loopback address of this run (127.<network>.x.y, x.y from the tag)."""
    number = int(tag, 16)
    return f"127.{network}.{(number >> 8) % 256}.{number % 254 + 1}"


@contextmanager
def background_reading(server: Server) -> Iterator[None]:
    """Others reading the login page meanwhile (GET is not limited)."""
    stop = threading.Event()

    def read(n: int) -> None:
        client = Client(server, f"reader {n}")
        try:
            while not stop.is_set():
                client.call("GET", "/login", "read")
        finally:
            client.close()

    readers = [threading.Thread(target=read, args=(n,)) for n in range(BACKGROUND_READERS)]
    for reader in readers:
        reader.start()
    try:
        yield
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)


@dataclass
class Flood:
    source: str
    statuses: list[int]
    #: The gunicorn worker (pid) of each attempt; empty for ``flask run``.
    workers: list[int]
    right_password: int

    def describe(self) -> str:
        where = f"workers {self.workers}" if self.workers else "one process"
        return f"from {self.source} ({where}): {self.statuses}"


def flood(server: Server, account: Person, source: str) -> Flood:
    """ATTEMPTS wrong passwords in a row, then the right one, all from ``source``."""
    client = Client(server, "flood", source=source)
    try:
        token = client.csrf_token()
        with background_reading(server):
            attempts = [
                client.login(account.email, f"falsch-{n}", csrf_token=token)
                for n in range(ATTEMPTS)
            ]
        right = client.login(account.email, PASSWORD, csrf_token=token)
    finally:
        client.close()
    workers = [pid for pid, request in server.served_by(source) if "POST /login" in request]
    return Flood(source, [a.status for a in attempts], workers[:ATTEMPTS], right.status)


def test_a_login_flood_is_stopped_per_address_not_for_the_owner(
    server: Server, live_database: LiveDatabase
) -> None:
    mark = server.log_mark()
    tag = live_database.tag
    floods = []
    for n, account in enumerate(live_database.seed.lockouts):
        result = flood(server, account, address(tag, 3 + n))
        floods.append(result)
        statuses = result.statuses
        assert all(s in (401, 429) for s in statuses), (
            f"failed logins must be 401 or 429: {result.describe()}\n{server.errors(since=mark)}"
        )
        assert 429 in statuses[: ALLOWED + 1], (
            f"{ATTEMPTS} failed logins into one account {result.describe()}; "
            f"expected 429 by attempt {ALLOWED + 1}"
        )
        first = statuses.index(429)
        assert statuses[first:] == [429] * (ATTEMPTS - first), result.describe()
        assert result.right_password == 429, (
            f"from the flooding address even the right password must wait: {result.describe()}, "
            f"then {result.right_password}"
        )
        if server.kind != "gunicorn" or len(set(result.workers[: ALLOWED + 1])) >= WORKERS_REACHED:
            break
    else:
        raise AssertionError(
            f"no flood reached {WORKERS_REACHED} workers with its first {ALLOWED + 1} attempts, "
            "so none showed that the workers share their counts:\n"
            + "\n".join(f.describe() for f in floods)
        )

    other = address(tag, 9)
    owner = Client(server, "owner", source=other)
    try:
        signed_in = owner.login(account.email, PASSWORD)
    finally:
        owner.close()
    assert signed_in.status == 302, (
        f"the owner, from another address ({other}), is locked out by a flood "
        f"{floods[-1].describe()}: {signed_in.status} {signed_in.excerpt[:200]!r}"
    )
