"""Many people change their notification settings at once: one row per person and kind.

A setting is a row of ``notification_settings`` (unique per person and kind), made the
first time a person chooses a mode for that kind. The same person may change it from two
places at the same moment: the profile's form in the browser, a script through the API
(``PUT /api/v1/me/notifications``), and the one-click unsubscribe link of an e-mail (a
mail program POSTs it on its own, RFC 8058). Each of them reads "no row yet" and adds
one. On PostgreSQL two such inserts at once either made two rows or (with the unique
constraint) answered the second with a 500; only a lock on the person taken before the
read (services.locks) makes the second see the first one's row and change it.

Here every person sends, in each of three waves, the form with one mode, the API with
another and the unsubscribe link with "off" for kinds never set before, all at one
barrier. Afterwards the database holds exactly one row per person and kind, its mode is
one of those sent, ``users.notify_replies`` agrees with the "reply" row, every request
was answered as it should (no 500, no 503) and each API answer shows what it stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from itsdangerous import URLSafeSerializer
from sqlalchemy import Engine, select

from consult.models import NotificationKind, NotificationSetting, User
from consult.services.notification_settings import TOKEN_SALT
from tests.concurrency.conftest import LiveDatabase
from tests.concurrency.people import Member, add_people, signed_in
from tests.servers import Client, Outcome, Server, run_together

PEOPLE = 8
#: Kinds never set before each wave (so that every wave races first inserts).
WAVES: tuple[tuple[NotificationKind, ...], ...] = (
    (NotificationKind.REPLY, NotificationKind.INVITATION),
    (NotificationKind.DEADLINE_REMINDER, NotificationKind.DECISIONS),
    (NotificationKind.REVISION, NotificationKind.STATEMENT),
)
#: What the form and the API send (the unsubscribe link: "off").
BY_FORM, BY_API, BY_LINK = "digest", "immediately", "off"


def _linked(n: int, kinds: tuple[NotificationKind, ...]) -> NotificationKind:
    """The kind whose unsubscribe link the ``n``th person follows in a wave."""
    return kinds[n % len(kinds)]


def _unsubscribe_path(server: Server, user_id: int, kind: NotificationKind) -> str:
    """The link of the person's e-mails (services.notification_settings.unsubscribe_url),
    signed with the server's secret key as the server signs it."""
    serializer = URLSafeSerializer(server.env["CONSULT_SECRET_KEY"], salt=TOKEN_SALT)
    return f"/notifications/unsubscribe/{serializer.dumps({'u': user_id, 'k': kind.value})}"


def test_settings_changed_from_three_places_at_once_stay_one_row_each(
    server: Server, live_database: LiveDatabase, engine_for_counting: Engine, workdir: Path
) -> None:
    mark = server.log_mark()
    members, _admins = add_people(live_database, workdir, "melde", PEOPLE)
    browsers: list[tuple[Client, str]] = []
    scripts: list[Client] = []
    anonymous: list[Client] = []
    try:
        for n, member in enumerate(members):
            browsers.append(signed_in(server, member.person, f"W{n + 1}"))
            scripts.append(Client(server, f"A{n + 1}", token=member.person.token))
            anonymous.append(Client(server, f"L{n + 1}"))

        def by_form(n: int, kinds: tuple[NotificationKind, ...]) -> Outcome:
            client, csrf = browsers[n]
            data = {kind.value: BY_FORM for kind in kinds} | {"csrf_token": csrf}
            return client.call("POST", "/notifications/settings", "form", data=data)

        def by_api(n: int, kinds: tuple[NotificationKind, ...]) -> Outcome:
            body = {kind.value: BY_API for kind in kinds}
            return scripts[n].call("PUT", "/api/v1/me/notifications", "api", json=body)

        def by_link(n: int, kind: NotificationKind) -> Outcome:
            path = _unsubscribe_path(server, members[n].person.id, kind)
            return anonymous[n].call("POST", path, "unsubscribe")

        outcomes: list[tuple[tuple[NotificationKind, ...], Outcome]] = []
        for kinds in WAVES:
            tasks: list[Callable[[], Outcome]] = []
            for n in range(PEOPLE):
                tasks += [partial(by_form, n, kinds), partial(by_api, n, kinds)]
                tasks.append(partial(by_link, n, _linked(n, kinds)))
            outcomes += [(kinds, outcome) for outcome in run_together(tasks)]
    finally:
        for client in [*(c for c, _ in browsers), *scripts, *anonymous]:
            client.close()
    server.check_alive()

    expected = {"form": 302, "api": 200, "unsubscribe": 200}
    problems = [o.describe()[:300] for _k, o in outcomes if o.status != expected[o.action]]
    for kinds, outcome in outcomes:
        if outcome.action == "api" and outcome.status == 200:
            shown = {kind.value: outcome.data.get(kind.value) for kind in kinds}
            if set(shown.values()) != {BY_API}:
                problems.append(f"{outcome.who}: sent {BY_API!r}, the answer shows {shown}")
    problems += _counted(engine_for_counting, members)
    assert not problems, (
        f"{len(problems)} problems in {len(outcomes)} requests:\n"
        + "\n".join(problems[:20])
        + "\n"
        + server.errors(since=mark)
    )


def _counted(engine: Engine, members: tuple[Member, ...]) -> list[str]:
    """One row per person and kind, with a mode someone sent; notify_replies in step."""
    ids = [m.person.id for m in members]
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                NotificationSetting.user_id, NotificationSetting.kind, NotificationSetting.mode
            ).where(NotificationSetting.user_id.in_(ids))
        ).all()
        notify_replies = dict(
            conn.execute(select(User.id, User.notify_replies).where(User.id.in_(ids))).all()
        )
    problems = []
    counts = Counter((r.user_id, r.kind) for r in rows)
    wanted = {(i, kind.value) for i in ids for kinds in WAVES for kind in kinds}
    doubled = {key: n for key, n in counts.items() if n > 1}
    if doubled:
        problems.append(f"{len(doubled)} (person, kind) with more than one row: {doubled}")
    if set(counts) != wanted:
        problems.append(f"rows missing for {sorted(wanted - set(counts))[:10]}")
    linked = {
        (m.person.id, _linked(n, kinds).value) for n, m in enumerate(members) for kinds in WAVES
    }
    for row in rows:
        sent = (
            (BY_FORM, BY_API, BY_LINK) if (row.user_id, row.kind) in linked else (BY_FORM, BY_API)
        )
        if row.mode not in sent:
            problems.append(f"person {row.user_id}, {row.kind}: {row.mode!r} was never sent")
        if row.kind == NotificationKind.REPLY.value and notify_replies[row.user_id] != (
            row.mode != BY_LINK
        ):
            problems.append(
                f"person {row.user_id}: reply is {row.mode!r} but notify_replies is "
                f"{notify_replies[row.user_id]}"
            )
    return problems
