"""Two editors saving a round's procedure report at the same moment: one wins, the other
is told (409 ``stale_version`` with the current text), nobody's text is lost silently.

A save names the version of the report it started from (``base_version``: the ``version``
of ``GET /api/v1/rounds/{id}/report``, the form's hidden field). Without it both saves of
one base wrote and both got 200: the later one replaced the earlier one's text unseen.
The round is locked before the check (services.locks), so of two saves at once the
second sees the first one's text (PostgreSQL: it waits for the first to commit; SQLite
runs writers one after the other).

Each race starts both saves at one barrier: by the API twice, or by the browser's form
and the API. Then a chain of saves, each naming the version the previous one returned,
must all land in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from sqlalchemy import Engine, select

from consult.models import RoundReport
from tests.concurrency.people import signed_in
from tests.servers import Client, Outcome, Seed, Server, run_together

RACES = 8
CHAIN = 10


def _stored(engine: Engine, round_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(RoundReport.body).where(RoundReport.round_id == round_id))


def _version(client: Client, url: str) -> str:
    current = client.call("GET", url, "read")
    assert current.status == 200, current.describe()
    version: str = current.data["version"]
    return version


def _form_version(client: Client, path: str) -> str:
    page = client.session.get(client.server.url(path), timeout=client.timeout)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="base_version"[^>]*value="([^"]*)"', page.text) or re.search(
        r'value="([^"]*)"[^>]*name="base_version"', page.text
    )
    assert match, "no base_version in the report's form"
    return match.group(1)


def test_two_editors_saving_the_report_exactly_one_wins(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    url = f"/api/v1/rounds/{seed.round_id}/report"
    page = f"/rounds/{seed.round_id}/report"
    apis = [Client(server, f"E{n + 1}", token=e.token) for n, e in enumerate(seed.editors)]
    browser, csrf = signed_in(server, seed.editors[0], "E1 im Browser")

    def by_api(n: int, base: str, text: str) -> Outcome:
        return apis[n].call("PUT", url, "api", json={"body": text, "base_version": base})

    def by_form(base: str, text: str) -> Outcome:
        data = {"csrf_token": csrf, "body": text, "base_version": base}
        return browser.call("POST", page, "form", data=data)

    won = {"api": 200, "form": 302}
    problems = []
    try:
        for attempt in range(1, RACES + 1):
            base = _version(apis[0], url)
            if attempt % 2 and attempt > 1:  # the form shows the same version as the API
                assert _form_version(browser, page) == base
            texts = [f"Bericht von Redakteur {n + 1}, Versuch {attempt}." for n in range(2)]
            first: Callable[[], Outcome] = (
                partial(by_form, base, texts[0])
                if attempt % 2
                else partial(by_api, 0, base, texts[0])
            )
            second: Callable[[], Outcome] = partial(by_api, 1, base, texts[1])
            outcomes = run_together([first, second])
            stored = _stored(engine_for_counting, seed.round_id)
            winners = [n for n, o in enumerate(outcomes) if o.status == won[o.action]]
            losers = [o for o in outcomes if o.status == 409]
            if len(winners) != 1 or len(losers) != 1:
                problems.append(
                    f"attempt {attempt}: answers {[(o.action, o.status) for o in outcomes]}, "
                    f"expected one saved and one 409; stored is "
                    f"{texts.index(stored) + 1 if stored in texts else repr(stored)}'s text"
                )
                continue
            if stored != texts[winners[0]]:
                problems.append(f"attempt {attempt}: the stored text is not the winner's")
            loser = losers[0]
            if loser.action == "api":
                error = loser.data["error"] if isinstance(loser.data, dict) else {}
                if error.get("code") != "stale_version" or error["current"]["body"] != stored:
                    problems.append(f"attempt {attempt}: the 409 is {loser.describe()[:300]}")
            elif texts[0] not in loser.excerpt or "inzwischen" not in loser.excerpt:
                problems.append(
                    f"attempt {attempt}: the form's 409 page lost the editor's text or "
                    "does not say why"
                )

        # Saves one after the other, each from the version the one before returned.
        base = _version(apis[0], url)
        texts = [f"Fassung {k + 1} des Berichts in der Reihe." for k in range(CHAIN)]
        for k, text in enumerate(texts):
            saved = by_api(k % 2, base, text)
            if saved.status != 200 or saved.data["body"] != text:
                problems.append(f"save {k + 1} in a row: {saved.describe()[:300]}")
                break
            if saved.data["version"] == base:
                problems.append(f"save {k + 1} in a row kept version {base}")
            base = saved.data["version"]
        if _stored(engine_for_counting, seed.round_id) != texts[-1]:
            problems.append("the last of the saves in a row is not the stored text")
    finally:
        for client in [*apis, browser]:
            client.close()
    assert not problems, (
        f"{len(problems)} problems:\n" + "\n".join(problems) + "\n" + server.errors(since=mark)
    )
