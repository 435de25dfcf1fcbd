"""The deadline rush: what 20 participants and an editor do in a round's last minutes.

Every participant writes ten times through the API with their bearer token (comments on a
phrase and on a whole section, replies in other people's threads, suggestions) and reads
the reading view between writes with a session cookie; meanwhile an editor extends the
round's deadline. All at once: the participants start at one barrier and the editor
extends when a share of the writes is done.

Shared by ``tests/concurrency/test_rush.py`` (every write stored once) and
``tests/benchmarks/test_deadline_rush.py`` (latency per action). The data are
deterministic: who writes what where depends only on the participant's number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from tests.servers import (
    PARTICIPANT_COUNT,
    PASSWORD,
    PHRASES,
    SECTION_COUNT,
    Client,
    Outcome,
    Seed,
    Server,
    run_together,
)

#: What each participant does, in order (ten writes).
PATTERN = (
    "comment",
    "reply",
    "suggestion",
    "section comment",
    "reply",
    "comment",
    "suggestion",
    "reply",
    "section comment",
    "reply",
)


@dataclass(frozen=True)
class Write:
    """One write of the rush and what the database must hold once afterwards."""

    action: str  # "comment", "section comment", "reply", "suggestion"
    path: str
    payload: dict[str, Any]
    #: "comment" or "suggestion" (a feedback row), or "reply" (a replies row).
    kind: str
    #: The stored text: the comment's or reply's body, the suggestion's reason.
    text: str
    author_id: int
    #: The thread a reply answers.
    target_id: int | None = None


def plan(seed: Seed, index: int, label: str) -> list[Write]:
    """The ten writes of participant ``index``; every text starts with ``label``."""
    me = seed.participants[index]
    writes = []
    for step, action in enumerate(PATTERN):
        section = seed.sections[(index + step) % SECTION_COUNT]
        phrase = PHRASES[(index + step) % len(PHRASES)]
        text = f"{label} {index + 1:02d}/{step + 1:02d}: {action} zu Abschnitt {section.key}"
        revision = seed.revision_id
        if action in ("comment", "section comment"):
            anchor = section.anchor(phrase) if action == "comment" else None
            writes.append(
                Write(
                    action,
                    f"/api/v1/revisions/{revision}/sections/{section.section_id}/comments",
                    {"body": text, "anchor": anchor},
                    "comment",
                    text,
                    me.id,
                )
            )
        elif action == "suggestion":
            writes.append(
                Write(
                    action,
                    f"/api/v1/revisions/{revision}/sections/{section.section_id}/suggestions",
                    {
                        "anchor": section.anchor(phrase),
                        "replacement": f"{phrase} (Vorschlag {index + 1:02d}/{step + 1:02d})",
                        "reason": text,
                    },
                    "suggestion",
                    text,
                    me.id,
                )
            )
        else:
            # Another participant's opening comment (never one's own thread).
            target = seed.comment_ids[(index + 1 + step) % PARTICIPANT_COUNT]
            writes.append(
                Write(
                    action,
                    f"/api/v1/comments/{target}/replies",
                    {"body": text},
                    "reply",
                    text,
                    me.id,
                    target,
                )
            )
    return writes


class Progress:
    """Counts finished writes; the editor waits for a share of them."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.done = 0

    def tick(self) -> None:
        with self._condition:
            self.done += 1
            self._condition.notify_all()

    def wait_for(self, count: int, timeout: float) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self.done >= count, timeout=timeout)


@dataclass(frozen=True)
class Extension:
    closes_at: datetime
    reason: str


@dataclass
class RushResult:
    outcomes: list[Outcome] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)

    def failures(self) -> list[str]:
        return [o.describe() for o in self.outcomes if not o.ok]


def run_rush(
    server: Server,
    seed: Seed,
    *,
    label: str,
    reads_per_person: int,
    extensions: int,
) -> RushResult:
    """Run the rush against ``server``; the outcomes of every request, what was written."""
    result = RushResult()
    editor = Client(server, "Redaktion", token=seed.editors[0].token)
    current = editor.call("GET", f"/api/v1/rounds/{seed.round_id}", "round")
    assert current.status == 200, current.describe()
    deadline = datetime.fromisoformat(current.data["closes_at"])

    plans = [plan(seed, index, label) for index in range(len(seed.participants))]
    clients = []
    for index, person in enumerate(seed.participants):
        client = Client(server, f"P{index + 1:02d}", token=person.token)
        if reads_per_person:
            signed_in = client.login(person.email, PASSWORD)
            assert signed_in.status == 302, signed_in.describe()
        clients.append(client)
    total = sum(len(p) for p in plans)
    progress = Progress()

    def participant(index: int) -> list[Outcome]:
        client, writes = clients[index], plans[index]
        every = max(1, len(writes) // reads_per_person) if reads_per_person else 0
        outcomes = []
        for step, write in enumerate(writes, start=1):
            action = "comment" if write.action == "section comment" else write.action
            outcomes.append(client.call("POST", write.path, action, json=write.payload))
            progress.tick()
            if every and step % every == 0 and step // every <= reads_per_person:
                outcomes.append(client.call("GET", f"/revisions/{seed.revision_id}", "read"))
        return outcomes

    def extend() -> list[Outcome]:
        outcomes = []
        for n in range(1, extensions + 1):
            progress.wait_for(total * n // (extensions + 1), timeout=120)
            wanted = Extension(
                deadline + timedelta(days=n), f"{label}: Verlängerung {n} wegen vieler Beiträge"
            )
            result.extensions.append(wanted)
            payload = {"closes_at": wanted.closes_at.isoformat(), "reason": wanted.reason}
            outcomes.append(
                editor.call(
                    "POST", f"/api/v1/rounds/{seed.round_id}/extend", "extension", json=payload
                )
            )
        return outcomes

    tasks: list[Callable[[], list[Outcome]]] = [
        partial(participant, index) for index in range(len(clients))
    ]
    tasks.append(extend)
    try:
        for outcomes in run_together(tasks, timeout=300):
            result.outcomes.extend(outcomes)
    finally:
        for client in [*clients, editor]:
            client.close()
    result.writes = [write for writes in plans for write in writes]
    return result
