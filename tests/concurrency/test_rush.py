"""The deadline rush against a running server: every write answered 2xx and stored once.

Twenty participants write ten times each at the same moment (comments, replies in other
people's threads, suggestions; see rush.py) and read the reading view in between, while an
editor extends the deadline. What this shows, and why only a real server can:

- no request fails because others write at the same time: on SQLite a transaction that
  reads first and then writes is refused at once ("database is locked", a 500) when
  another writer got there first, whatever the busy timeout says; with ``BEGIN
  IMMEDIATE`` writers queue instead. A 503 would be honest but is still a failure here:
  twenty people are not too many. Flask's test client serves one request at a time and
  never saw it;
- every write is stored exactly once, by the right author, of the right kind (a retry or
  a half-committed request would show as a missing or doubled row);
- the extension in the middle of it is recorded once and is the deadline in force.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC

from sqlalchemy import Engine, select

from consult.models import Feedback, Reply, Round, RoundExtension
from tests.concurrency.rush import run_rush
from tests.servers import Seed, Server

LABEL = "Eilbeitrag"


def test_deadline_rush_stores_every_write_exactly_once(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    result = run_rush(server, seed, label=LABEL, reads_per_person=2, extensions=1)
    server.check_alive()

    problems: list[str] = []
    failures = result.failures()
    if failures:
        statuses = Counter(o.status for o in result.outcomes)
        problems.append(
            f"{len(failures)} of {len(result.outcomes)} requests were not 2xx "
            f"(statuses {dict(statuses)}); first ones:\n  " + "\n  ".join(failures[:8])
        )

    expected_feedback: Counter[tuple[object, ...]] = Counter(
        (w.author_id, w.kind, w.text) for w in result.writes if w.kind != "reply"
    )
    expected_replies: Counter[tuple[object, ...]] = Counter(
        (w.author_id, w.target_id, w.text) for w in result.writes if w.kind == "reply"
    )
    with engine_for_counting.connect() as conn:
        stored_feedback = Counter(
            tuple(row)
            for row in conn.execute(
                select(Feedback.author_id, Feedback.kind, Feedback.body).where(
                    Feedback.body.startswith(LABEL)
                )
            )
        )
        stored_replies = Counter(
            tuple(row)
            for row in conn.execute(
                select(Reply.author_id, Reply.feedback_id, Reply.body).where(
                    Reply.body.startswith(LABEL)
                )
            )
        )
        extensions = conn.execute(
            select(RoundExtension.closes_at, RoundExtension.reason).where(
                RoundExtension.round_id == seed.round_id
            )
        ).all()
        closes_at = conn.scalar(select(Round.closes_at).where(Round.id == seed.round_id))

    for name, expected, stored in (
        ("feedback", expected_feedback, stored_feedback),
        ("replies", expected_replies, stored_replies),
    ):
        missing = expected - stored
        extra = stored - expected
        if missing or extra:
            problems.append(
                f"{name}: {sum(expected.values())} writes, {sum(stored.values())} rows; "
                f"missing {sum(missing.values())} (e.g. {list(missing)[:3]}), "
                f"extra or doubled {sum(extra.values())} (e.g. {list(extra.items())[:3]})"
            )

    [wanted] = result.extensions
    recorded = [row for row in extensions if row.reason == wanted.reason]
    if len(recorded) != 1:
        problems.append(f"the extension is recorded {len(recorded)} times: {extensions}")
    elif recorded[0].closes_at.astimezone(UTC) != wanted.closes_at.astimezone(UTC):
        problems.append(f"extension stored as {recorded[0].closes_at}, asked {wanted.closes_at}")
    if closes_at is None or closes_at.astimezone(UTC) != wanted.closes_at.astimezone(UTC):
        problems.append(f"the round closes at {closes_at}, not at {wanted.closes_at}")

    assert not problems, "\n".join(problems) + "\n" + server.errors(since=mark)
