"""Two editors merging the same revision at the same moment: one new draft, one 409.

Only the consultation's latest revision can be merged (issue 11, item 8). The guard is in
the database (the consultation row is locked before the check: PostgreSQL makes the
second merge wait for the first and then see its draft; SQLite runs writers one after
another), not only a check in Python that both could pass at once. Each race runs on a
consultation of its own; both requests start at one barrier.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, func, select

from consult.models import ChangeProvenance, Revision
from tests.servers import Client, Outcome, Seed, Server, run_together

RACES = 5


def _prepared(editor: Client, other_editor_id: int, n: int) -> int:
    """A consultation with a published revision and both editors; returns the revision."""
    made = editor.call("POST", "/api/v1/consultations", "setup", json={"title": f"Merge {n}"})
    assert made.status == 201, made.describe()
    cid = made.data["id"]
    role = editor.call(
        "PUT",
        f"/api/v1/consultations/{cid}/members/{other_editor_id}",
        "setup",
        json={"role": "editor"},
    )
    assert role.status == 200, role.describe()
    draft = editor.call(
        "POST",
        f"/api/v1/consultations/{cid}/revisions",
        "setup",
        json={"markdown": "# 1 Ziele\n\nDer Kreis fördert Sprache.\n\n# 2 Wege\n\nMit Kursen."},
    )
    assert draft.status == 201, draft.describe()
    published = editor.call("POST", f"/api/v1/revisions/{draft.data['id']}/publish", "setup")
    assert published.status == 200, published.describe()
    return int(draft.data["id"])


def test_two_merges_at_once_one_201_one_409(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    first, second = (Client(server, f"E{n + 1}", token=e.token) for n, e in enumerate(seed.editors))
    problems: list[str] = []
    try:
        for n in range(RACES):
            revision_id = _prepared(first, seed.editors[1].id, n)
            sections = first.call("GET", f"/api/v1/revisions/{revision_id}", "read").data
            section_id = sections["sections"][0]["section_id"]

            def merge(
                client: Client, who: int, rid: int = revision_id, sid: int = section_id
            ) -> Outcome:
                return client.call(
                    "POST",
                    f"/api/v1/revisions/{rid}/merge",
                    "merge",
                    json={
                        "note": f"Einarbeitung von Redakteur {who}",
                        "edits": [{"section_id": sid, "body": f"Fassung von {who}."}],
                    },
                )

            outcomes = run_together([partial(merge, first, 1), partial(merge, second, 2)])
            statuses = sorted(o.status for o in outcomes)
            with engine_for_counting.connect() as conn:
                consultation_id = sections["consultation_id"]
                drafts = conn.scalar(
                    select(func.count())
                    .select_from(Revision)
                    .where(Revision.consultation_id == consultation_id, Revision.status == "draft")
                )
                provenance = conn.scalar(
                    select(func.count())
                    .select_from(ChangeProvenance)
                    .join(Revision, Revision.id == ChangeProvenance.revision_id)
                    .where(Revision.consultation_id == consultation_id)
                )
            loser = next((o for o in outcomes if o.status == 409), None)
            code = (loser.data or {}).get("error", {}).get("code") if loser else None
            if statuses != [201, 409] or drafts != 1 or code not in ("stale_base", "draft_exists"):
                problems.append(
                    f"race {n}: statuses {statuses}, {drafts} drafts, 409 code {code}; "
                    + "; ".join(o.describe()[:200] for o in outcomes if o.status != 201)
                )
            if provenance != 1:
                problems.append(f"race {n}: {provenance} provenance rows, expected the winner's 1")
    finally:
        first.close()
        second.close()
    assert not problems, "\n".join(problems) + "\n" + server.errors(since=mark)
