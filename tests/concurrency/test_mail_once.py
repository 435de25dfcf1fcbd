"""Reply notifications go out exactly once, however many deliverers run at the same time.

A reply e-mails the thread's author and everyone who answered before (consult/services/
feedback.py, ``_notify_thread``). The mail is queued in the outbox table and delivered
right after the request by the server itself, and by ``flask --app consult mail send``
from cron. Several deliverers at once is the normal case: every request that queued mail
starts one, gunicorn runs four workers, cron may overlap. Before outbox rows were claimed,
each deliverer sent every unsent row it had read: people got the same notification up to
five times. Flask's test client delivers synchronously, one request at a time, and never
showed it.

Here four people open threads; then waves of twelve concurrent replies go into those
threads while two ``mail send`` processes run alongside the server's own delivery. When
the outbox has settled (every row sent), the SMTP sink must have received exactly one
message per outbox row: no duplicate (same recipient, same text) and none missing.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from functools import partial
from typing import Any

from sqlalchemy import Engine, select

from consult.models import Feedback, OutboxMessage, Reply
from tests.servers import Client, Outcome, Seed, Server, SmtpSink, run_together, wait_for

LABEL = "Benachrichtigungstest"
AUTHORS = 4
REPLIERS = 12
#: Waves of replies go on while a ``mail send`` is still running (at least, at most).
MIN_WAVES, MAX_WAVES = 3, 8
SETTLE_TIMEOUT = 45.0


def _outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.to_address,
                    OutboxMessage.subject,
                    OutboxMessage.body_text,
                    OutboxMessage.sent_at,
                    OutboxMessage.failed_at,
                    OutboxMessage.attempts,
                    OutboxMessage.last_error,
                )
            )
        )


def _sink_settled(sink: SmtpSink, at_least: int) -> bool:
    """True once the sink has ``at_least`` messages and received nothing for a second
    (a duplicate still on its way from a slow deliverer would arrive within that)."""
    previous = -1

    def stable() -> bool:
        nonlocal previous
        count = len(sink.received())
        settled = count >= at_least and count == previous
        previous = count
        return settled

    met, _ = wait_for(stable, timeout=SETTLE_TIMEOUT, interval=1.0)
    return met


def _queued_once_per_reply(engine: Engine, seed: Seed, rows: list[Any]) -> list[str]:
    """Who was notified of each reply of this test (``_notify_thread``): the thread's
    author always, other people who answered in the thread perhaps (which earlier replies
    a reply sees depends on what had committed), the replier never, nobody twice."""
    emails = {p.id: p.email for p in (*seed.participants, *seed.editors)}
    with engine.connect() as conn:
        replies = conn.execute(
            select(Reply.body, Reply.author_id, Reply.feedback_id, Feedback.author_id)
            .join(Feedback, Feedback.id == Reply.feedback_id)
            .where(Reply.body.startswith(LABEL))
        ).all()
    in_thread: dict[int, set[int]] = {}
    for _body, replier, thread, author in replies:
        in_thread.setdefault(thread, {author}).add(replier)
    problems = []
    for body, replier, thread, author in replies:
        notified = Counter(r.to_address for r in rows if body in r.body_text)
        allowed = {emails[i] for i in in_thread[thread] - {replier}}
        wrong = [f"{to} x{n}" for to, n in notified.items() if n != 1 or to not in allowed]
        if wrong or (author != replier and emails[author] not in notified):
            problems.append(
                f"reply {body!r}: notified {dict(notified)}; expected the thread's author "
                f"{emails[author]} once and at most the others in the thread, once each"
            )
    return problems[:5] + ([f"... {len(problems) - 5} more"] if len(problems) > 5 else [])


def test_reply_notifications_are_sent_exactly_once(
    server: Server, seed: Seed, sink: SmtpSink, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    authors = seed.participants[:AUTHORS]
    repliers = seed.participants[AUTHORS : AUTHORS + REPLIERS]
    section = seed.sections[3]
    url = f"/api/v1/revisions/{seed.revision_id}/sections/{section.section_id}/comments"

    def open_thread(n: int) -> Outcome:
        client = Client(server, f"A{n + 1}", token=authors[n].token)
        body = {"body": f"{LABEL}: Frage {n + 1} zu Abschnitt {section.key}", "anchor": None}
        try:
            return client.call("POST", url, "comment", json=body)
        finally:
            client.close()

    # The threads are opened one after the other: the race under test is the replies'.
    threads = [open_thread(n) for n in range(AUTHORS)]
    assert all(t.status == 201 for t in threads), [t.describe() for t in threads]
    thread_ids = [t.data["id"] for t in threads]

    clients = [Client(server, f"R{n + 1:02d}", token=p.token) for n, p in enumerate(repliers)]

    def reply(n: int, wave: int) -> Outcome:
        target = thread_ids[(n + wave) % AUTHORS]
        body = {"body": f"{LABEL}: Antwort {n + 1:02d} in Welle {wave + 1} auf {target}."}
        return clients[n].call("POST", f"/api/v1/comments/{target}/replies", "reply", json=body)

    outcomes: list[Outcome] = []
    deliverers: list[subprocess.Popen[bytes]] = []
    try:
        for wave in range(MAX_WAVES):
            if wave == 1:
                # Two cron runs start during the rush, besides the server's own delivery.
                deliverers = [server.cli("mail", "send"), server.cli("mail", "send")]
            outcomes += run_together([partial(reply, n, wave) for n in range(REPLIERS)])
            if wave + 1 >= MIN_WAVES and all(p.poll() is not None for p in deliverers):
                break
        finished = [p.communicate(timeout=120) for p in deliverers]
    finally:
        for client in clients:
            client.close()
        for process in deliverers:
            if process.poll() is None:
                process.kill()
    server.check_alive()

    problems = []
    failed_replies = [o.describe() for o in outcomes if o.status != 201]
    if failed_replies:
        problems.append(
            f"{len(failed_replies)} of {len(outcomes)} replies were not 201, e.g.\n  "
            + "\n  ".join(failed_replies[:5])
        )
    for process, (out, err) in zip(deliverers, finished, strict=True):
        if process.returncode != 0:
            problems.append(
                f"`flask mail send` exited with {process.returncode}: {out.decode().strip()}\n"
                + "\n".join(err.decode(errors="replace").strip().splitlines()[-4:])
            )

    def all_sent() -> list[Any]:
        rows = _outbox(engine_for_counting)
        return rows if rows and all(r.sent_at is not None for r in rows) else []

    settled, _ = wait_for(all_sent, timeout=SETTLE_TIMEOUT, interval=0.2)
    rows = _outbox(engine_for_counting)
    if not any(LABEL in r.body_text for r in rows):
        problems.append("the replies queued no notification at all")
    _sink_settled(sink, len(rows))

    expected = Counter((r.to_address, r.subject, r.body_text) for r in rows)
    received = Counter(
        (to, mail.subject, mail.body) for mail in sink.received() for to in mail.recipients
    )
    duplicates = {key: n for key, n in received.items() if n > 1}
    missing = expected - received
    strangers = [key for key in received if key not in expected]
    unsent = [r for r in rows if r.sent_at is None]
    if unsent:
        errors = Counter(r.last_error for r in unsent)
        problems.append(
            f"{len(unsent)} of {len(rows)} outbox rows still unsent after "
            f"{SETTLE_TIMEOUT:.0f} s (attempts {Counter(r.attempts for r in unsent)}, "
            f"errors {dict(errors)})"
        )
    if duplicates:
        worst = sorted(duplicates.items(), key=lambda item: -item[1])[:5]
        sample = [(to, subject, n) for (to, subject, _body), n in worst]
        problems.append(
            f"{sum(n - 1 for n in duplicates.values())} duplicate e-mails: "
            f"{len(duplicates)} messages arrived more than once (up to {worst[0][1]} times), "
            f"e.g. {sample}"
        )
    if missing:
        problems.append(
            f"{sum(missing.values())} outbox rows never arrived, e.g. "
            f"{[(to, subject) for to, subject, _ in list(missing)[:5]]}"
        )
    if strangers:
        problems.append(f"{len(strangers)} messages not in the outbox, e.g. {strangers[:3]}")
    problems += _queued_once_per_reply(engine_for_counting, seed, rows)
    assert not problems, (
        f"{len(rows)} outbox rows, {sum(received.values())} e-mails received "
        f"(outbox settled: {settled}):\n" + "\n".join(problems) + "\n" + server.errors(since=mark)
    )
