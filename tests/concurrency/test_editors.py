"""Two editors at the same moment: one wins, the other is told (409), nobody loses text silently.

- Saving a draft section names the version the edit started from (``base_version_id``);
  a stale one is a 409 ``stale_version`` that carries the current text (ARCHITECTURE.md,
  habit 1). Checked one request at a time, that held; but two saves from the same base
  at the same moment both read the base as current, both wrote, both got 200, and the
  later one silently replaced the earlier one's text. Only a lock on the row (or a
  compare-and-set) makes exactly one of them win.
- Creating a consultation's first draft twice at once must give one 201 and one 409
  (``draft_exists``/``concurrent_revision``), never two drafts and never a 500.

Every race is run several times; each time both requests start at one barrier.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, func, select

from consult.models import Placement, Revision, SectionVersion
from tests.servers import Client, Outcome, Seed, Server, run_together

ROUNDS = 10


def _current_version(engine: Engine, revision_id: int, section_id: int) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Placement.version_id, SectionVersion.body)
            .join(SectionVersion, SectionVersion.id == Placement.version_id)
            .where(Placement.revision_id == revision_id, Placement.section_id == section_id)
        ).one()
    return row.version_id, row.body


def _error_code(outcome: Outcome) -> str | None:
    if isinstance(outcome.data, dict) and isinstance(outcome.data.get("error"), dict):
        code = outcome.data["error"].get("code")
        return str(code) if code is not None else None
    return None


def test_two_editors_saving_one_section_exactly_one_wins(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    section = seed.sections[1]
    url = f"/api/v1/revisions/{seed.draft_id}/sections/{section.section_id}"
    clients = [Client(server, f"E{n + 1}", token=e.token) for n, e in enumerate(seed.editors)]

    def save(client: Client, payload: dict[str, object]) -> Outcome:
        return client.call("PATCH", url, "save", json=payload)

    problems = []
    try:
        for attempt in range(1, ROUNDS + 1):
            base, _ = _current_version(engine_for_counting, seed.draft_id, section.section_id)
            texts = [
                f"{section.body} Ergänzung von Redakteur {n + 1} im Versuch {attempt}."
                for n in range(len(clients))
            ]
            outcomes = run_together(
                [
                    partial(save, clients[n], {"base_version_id": base, "body": texts[n]})
                    for n in range(len(clients))
                ]
            )
            statuses = [o.status for o in outcomes]
            stored_id, stored_body = _current_version(
                engine_for_counting, seed.draft_id, section.section_id
            )
            if sorted(statuses) != [200, 409]:
                problems.append(
                    f"attempt {attempt}: statuses {statuses}, expected one 200 and one 409 "
                    f"(stored text is editor "
                    f"{texts.index(stored_body) + 1 if stored_body in texts else '?'}'s); "
                    + "; ".join(o.describe()[:200] for o in outcomes if o.status != 200)
                )
                continue
            winner = statuses.index(200)
            loser = outcomes[1 - winner]
            if _error_code(loser) != "stale_version":
                problems.append(f"attempt {attempt}: the 409 is not stale_version: {loser}")
            if stored_body != texts[winner]:
                problems.append(f"attempt {attempt}: the stored text is not the winner's")
            if outcomes[winner].data.get("version_id") != stored_id:
                problems.append(
                    f"attempt {attempt}: the winner was told version "
                    f"{outcomes[winner].data.get('version_id')}, stored is {stored_id}"
                )
    finally:
        for client in clients:
            client.close()
    assert not problems, (
        f"{len(problems)} of {ROUNDS} attempts went wrong:\n"
        + "\n".join(problems)
        + "\n"
        + server.errors(since=mark)
    )


def test_two_editors_creating_the_first_draft_one_gets_409(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    clients = [Client(server, f"E{n + 1}", token=e.token) for n, e in enumerate(seed.editors)]

    def create(n: int, consultation_id: int) -> Outcome:
        payload = {
            "sections": [
                {"key": "1", "title": "Einleitung", "body": f"Erster Entwurf von {n + 1}."},
                {"key": "2", "title": "Ziele", "body": "Die Ziele des Konzepts."},
            ],
            "note": f"Entwurf von Redakteur {n + 1}",
        }
        return clients[n].call(
            "POST", f"/api/v1/consultations/{consultation_id}/revisions", "create", json=payload
        )

    problems = []
    try:
        for consultation_id in seed.empty_consultation_ids:
            outcomes = run_together(
                [partial(create, n, consultation_id) for n in range(len(clients))]
            )
            statuses = sorted(o.status for o in outcomes)
            with engine_for_counting.connect() as conn:
                count = conn.scalar(
                    select(func.count())
                    .select_from(Revision)
                    .where(Revision.consultation_id == consultation_id)
                )
            if statuses != [201, 409] or count != 1:
                problems.append(
                    f"consultation {consultation_id}: statuses {statuses}, {count} revisions; "
                    + "; ".join(o.describe()[:200] for o in outcomes if o.status != 201)
                )
            conflict = next((o for o in outcomes if o.status == 409), None)
            if conflict is not None and _error_code(conflict) not in (
                "draft_exists",
                "concurrent_revision",
            ):
                problems.append(f"consultation {consultation_id}: 409 with {conflict.describe()}")
    finally:
        for client in clients:
            client.close()
    assert not problems, (
        f"{len(problems)} of {len(seed.empty_consultation_ids)} races went wrong:\n"
        + "\n".join(problems)
        + "\n"
        + server.errors(since=mark)
    )
