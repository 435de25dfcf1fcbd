"""Fuzzing /api/v1 with schemathesis, in-process (WSGI), against its own OpenAPI document.

The contract (API.md): bad input never yields 500, a rejected request changes nothing, and
responses match the documented schemas. Every operation of /api/v1/openapi.json gets
generated requests, valid and invalid (schemathesis' examples, coverage and fuzzing phases),
sent with an admin's bearer token into a small consultation, and each response is checked:

- schemathesis' checks: no 5xx (``not_a_server_error``), a documented status code, a
  documented content type, a body that matches the documented schema, invalid input
  rejected, and the rest of its default set;
- a write (POST, PUT, PATCH, DELETE) answered with a 4xx leaves every table as it was.

Each operation is a test of its own, and each generated request starts from the seeded
consultation as it was (a savepoint, rolled back after it): what one request changed (a
closed round, a withdrawn comment) does not hide the paths of the next, and Hypothesis can
replay a failure. Generated ids mostly name seeded objects, so that requests get past the
404 into the endpoints; some stay as generated, for the unknown-id paths.

The tests at the end pin down what the fuzzing found.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from consult.api.openapi import document
from consult.db import MAX_ID, utcnow
from consult.models import Feedback, Membership, Organisation, User
from consult.services import consultations as consultation_service
from consult.services import (
    drafts,
    statement_files,
    statement_intake,
    statements,
    working_groups,
)
from consult.services import feedback as feedback_service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from tests import support
from tests.conftest import CSRFClient
from tests.services.statement_world import minimal_pdf

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)


class AppUnderTest:
    """The WSGI app schemathesis sends its requests to: the app of the running test.

    The schema is loaded when the module is collected, before any app exists; its own
    follow-up requests (the same request without a token, say) go here too.
    """

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "no app: the test must use the app fixture"
        return self.app(environ, start_response)


APP = AppUnderTest()


@pytest.fixture
def app(
    module_app: Flask, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    for ready in support.app(module_app, connection, monkeypatch):
        APP.app = ready
        yield ready
        APP.app = None


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

MARKDOWN = """\
# 1 Ziele

Der Kreis Siegtal legt sein Integrationskonzept vor. Es gilt für alle Kommunen.

# 2 Bildung

Sprachförderung beginnt in der Kita. Eltern werden früh beteiligt.

## 2.1 Schule

Jedes Kind bekommt innerhalb von drei Monaten einen Schulplatz.

# 3 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen.
"""


@dataclass
class Seeded:
    """The admin's headers, ids of the seeded objects by the names requests use for them,
    and every row of the database as seeded (each example starts from there)."""

    headers: dict[str, str]
    ids: dict[str, list[int]]
    rows: dict[str, list[tuple[Any, ...]]]
    #: Operations (by document path) that only another person may carry out, with that
    #: person's headers: a municipality's signatory releases, returns, says "keine Bedenken".
    headers_for: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def seeded(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    token_for: Callable[[User], dict[str, str]],
) -> Seeded:
    """A consultation with a published revision of four sections and a draft after it, a
    working group, an open round on the published revision, and feedback in it: comments
    (one with a reply) and suggestions, by the admin and by a participant.

    The admin created the consultation, so is its editor, and is in the working group, so
    its own feedback can be edited and withdrawn. The requests are the admin's.
    """
    with app.app_context():  # the services render e-mail templates
        seeded = _seed(db, admin, make_user, make_org, add_member, token_for)
    seeded.rows = support.snapshot(db)
    db.rollback()
    return seeded


def _seed(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    token_for: Callable[[User], dict[str, str]],
) -> Seeded:
    now = utcnow()
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    editor = make_user("Miriam Redaktion", organisation=make_org("Kreis Siegtal", "administration"))
    add_member(consultation.id, editor, "editor")
    published = drafts.create_from_markdown(db, consultation.id, actor=admin, markdown=MARKDOWN)
    drafts.publish(db, published.id, actor=admin)
    sections = {p.key: p for p in revision_service.outline(db, published).placements}
    group = working_groups.create_working_group(
        db,
        consultation.id,
        actor=admin,
        name="AK Bildung",
        section_ids=[sections["2"].section_id, sections["2.1"].section_id],
    )
    participant = make_user("Alice Arendt", organisation=make_org("Caritas Siegtal", "welfare"))
    for user, role in ((participant, "participant"), (admin, "editor")):
        consultation_service.set_member(
            db, consultation.id, user.id, actor=admin, role=role, working_group_ids=[group.id]
        )
    round_ = round_service.create_round(
        db,
        consultation.id,
        actor=admin,
        revision_id=published.id,
        title="Erste Beteiligungsrunde",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        working_group_ids=[group.id],
        visibility="round",
        notify=False,
    )

    def anchor(key: str, phrase: str) -> dict[str, Any]:
        start = sections[key].version.body.index(phrase)
        return {"start": start, "end": start + len(phrase), "quote": phrase}

    def comment(author: User, key: str, phrase: str | None, body: str) -> int:
        return feedback_service.create_comment(
            db,
            published.id,
            sections[key].section_id,
            actor=author,
            body=body,
            anchor=anchor(key, phrase) if phrase else None,
        ).id

    def suggest(author: User, key: str, phrase: str, replacement: str) -> int:
        return feedback_service.create_suggestion(
            db,
            published.id,
            sections[key].section_id,
            actor=author,
            anchor=anchor(key, phrase),
            replacement=replacement,
            reason="So steht es im Schulgesetz.",
        ).id

    comments = [
        comment(participant, "2", "in der Kita", "Bitte die Elternarbeit konkreter fassen."),
        comment(admin, "2.1", None, "Zahlen fehlen."),
    ]
    feedback_service.reply(db, comments[0], actor=admin, body="Danke, nehmen wir auf.")
    suggestions = [
        suggest(participant, "2.1", "drei Monaten", "sechs Wochen"),
        suggest(admin, "2", "früh", "sehr früh"),
    ]
    # Statements: a municipality with its mayor, a round that asks it, a statement received
    # by letter (with a section remark and the scan), and a draft of the next version.
    town = make_org("Siegburg", "municipality")
    mayor = make_user("Stefan Roth", organisation=town)
    consultation_service.set_member(
        db,
        consultation.id,
        mayor.id,
        actor=admin,
        role="municipality",
        signatory_function="Bürgermeister",
    )
    statement_round = round_service.create_round(
        db,
        consultation.id,
        actor=admin,
        revision_id=published.id,
        title="Stellungnahmen der Kommunen",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        municipalities=True,
        notify=False,
    )
    letter = statement_intake.record_paper(
        db,
        statement_round.id,
        actor=admin,
        organisation_id=town.id,
        position="consent_with_remarks",
        body="Die Stadt stimmt mit Anmerkungen zu.",
        signatory="Stefan Roth",
        channel="letter",
        remarks=[statements.RemarkInput(sections["2"].section_id, "Mehr Kita-Plätze.")],
    )
    scan = statement_files.add_attachment(
        db,
        letter.statement_id,
        actor=admin,
        stream=io.BytesIO(minimal_pdf()),
        filename="Brief.pdf",
    )
    statements.save_draft(
        db,
        statement_round.id,
        actor=mayor,
        organisation_id=town.id,
        position="consent",
        body="Entwurf der zweiten Fassung.",
    )
    remark_ids = [f.id for f in db.scalars(select(Feedback).where(Feedback.kind == "remark")).all()]
    draft = drafts.copy_revision(db, published.id, actor=admin, note="Zweite Fassung")
    draft_versions = [p.version_id for p in revision_service.outline(db, draft).placements]
    db.commit()

    revisions = [published.id, draft.id]
    section_ids = [p.section_id for p in sections.values()]
    groups = [group.id]
    users = [admin.id, editor.id, participant.id]
    mayor_headers = token_for(mayor)
    return Seeded(
        headers=token_for(admin),
        headers_for={
            "/rounds/{round_id}/statements/no-objections": mayor_headers,
            "/statements/{statement_id}/release": mayor_headers,
            "/statements/{statement_id}/return": mayor_headers,
        },
        ids={
            "consultation_id": [consultation.id],
            "revision_id": revisions,
            "against": revisions,
            "base_revision_id": revisions,
            "section_id": section_ids,
            "section_ids": section_ids,
            "parent_section_id": section_ids,
            "base_version_id": draft_versions,
            "group_id": groups,
            "working_group_ids": groups,
            "round_id": [round_.id, statement_round.id],
            "comment_id": comments,
            "suggestion_id": suggestions,
            "user_id": users,
            # The municipality first: a statement is given for one.
            "organisation_id": [
                town.id,
                *(u.organisation_id for u in (admin, editor, participant)),
            ],
            "statement_id": [letter.statement_id],
            "number": [letter.number],
            "attachment_id": [scan.id],
            "remark_id": remark_ids,
        },
        rows={},
    )


def aim(case: schemathesis.Case, seeded: Seeded) -> None:
    """Point most generated ids (in the path, the query and the body) at seeded objects.

    Of the integers that could be ids, four in five become a seeded id of their name (so
    the request gets past the 404); negative, too large and the fifth stay as generated.
    Deterministic in the generated value, so Hypothesis can still shrink a failure. (The
    coverage phase writes path ids as text: "0".)
    """

    def seeded_id(name: str, value: Any) -> Any:
        known = seeded.ids.get(name)
        if not known:
            return value
        text = isinstance(value, str) and value.isdecimal() and len(value) <= len(str(MAX_ID))
        number = int(value) if text else value
        if (
            isinstance(number, int)
            and not isinstance(number, bool)
            and 0 <= number <= MAX_ID
            and number % 5 != 4
        ):
            chosen = known[number % len(known)]
            return str(chosen) if text else chosen
        return value

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if isinstance(value, list):
                    node[name] = [seeded_id(name, v) for v in value]
                else:
                    node[name] = seeded_id(name, value)
                walk(node[name])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(case.path_parameters)
    walk(case.query)
    walk(case.body)


#: Schemathesis' own configuration for this API (no schemathesis.toml is read).
CONFIG = {
    # The token is the test's (every request is sent with the admin's, see below), so
    # schemathesis generates no Authorization header of its own: a negative case that
    # "removed" it would reach the API with the token anyway and be taken for a request
    # the API should have refused. No or bad tokens: tests/api/test_errors.py.
    "generation": {"with-security-parameters": False},
    "checks": {
        # A schema-valid request may still be refused with 422: API.md keeps that code for
        # "well-formed but invalid" input no JSON Schema can describe (an anchor quote that
        # is not the text, an organisation id that does not exist, a deadline before the
        # opening). Everything else (a 400 for a valid body, say) still fails the check.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
        },
    },
}


#: The document /api/v1/openapi.json serves (the route returns ``document()`` unchanged;
#: test_openapi.py checks its shape). Loaded eagerly, so that each operation is a test of its own: a
#: lazy ``schemathesis.pytest.from_fixture`` schema runs all of them in one test, and
#: fails under pytest 9.2 (it reads ``Function._nodeid``, which pytest no longer has).
schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config.from_dict(CONFIG))
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    # Every example starts from the seeded consultation (a savepoint is rolled back after
    # each), so the function-scoped fixtures are shared safely.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_fuzz(
    case: schemathesis.Case, app: Flask, connection: Connection, db: Session, seeded: Seeded
) -> None:
    """Schemathesis' checks, and: a write the API refuses (4xx) leaves every row as it was."""
    aim(case, seeded)
    savepoint = connection.begin_nested()
    try:
        response = case.call(headers=seeded.headers)
        case.validate_response(response, headers=seeded.headers)
        if case.method.upper() in WRITES and 400 <= response.status_code < 500:
            assert support.snapshot(db) == seeded.rows, (
                f"{case.method} {case.formatted_path} was refused with "
                f"{response.status_code} but wrote to the database"
            )
    finally:
        db.rollback()
        savepoint.rollback()


# --- what the fuzzing found, pinned down -----------------------------------------------

#: Beyond 64 bits: SQLite cannot even compare it with an id column (this answered 500).
HUGE = 10**25


@pytest.mark.parametrize(
    ("method", "url", "payload", "status"),
    [
        (
            "PUT",
            "/consultations/{consultation}/members/{participant}",
            {"role": "participant", "working_group_ids": [HUGE]},
            422,
        ),
        (
            "POST",
            "/consultations/{consultation}/rounds",
            {
                "title": "Zweite Runde",
                "opens_at": "2030-01-01T09:00:00",
                "closes_at": "2030-02-01T18:00:00",
                "working_group_ids": [HUGE],
            },
            422,
        ),
        (
            "POST",
            "/consultations/{consultation}/working-groups",
            {"name": "AK", "section_ids": [HUGE]},
            422,
        ),
        ("PUT", "/working-groups/{group}", {"name": "AK", "section_ids": [HUGE]}, 422),
        (
            "PUT",
            "/revisions/{draft}/sections",
            {"sections": [{"section_id": HUGE, "key": "1", "title": "Ziele"}]},
            422,
        ),
        ("GET", f"/revisions/{{published}}/diff?against={HUGE}", None, 404),
    ],
    ids=["member-groups", "round-groups", "group-sections", "group-update", "sections", "diff"],
)
def test_ids_beyond_the_id_columns_name_nothing(
    client: CSRFClient,
    db: Session,
    seeded: Seeded,
    method: str,
    url: str,
    payload: dict[str, Any] | None,
    status: int,
) -> None:
    ids = seeded.ids
    names = {
        "consultation": ids["consultation_id"][0],
        "participant": ids["user_id"][2],
        "group": ids["group_id"][0],
        "published": ids["revision_id"][0],
        "draft": ids["revision_id"][1],
    }
    if url.endswith("/rounds"):
        payload = {**(payload or {}), "revision_id": names["published"]}
    response = client.open(
        "/api/v1" + url.format(**names), method=method, json=payload, headers=seeded.headers
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.get_json()["error"]) >= {"code", "message"}
    assert support.snapshot(db) == seeded.rows


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/comments/2147483648"),
        ("PATCH", f"/comments/{HUGE}"),
        ("POST", f"/comments/{HUGE}/replies"),
        ("POST", f"/consultations/{HUGE}/working-groups"),
        ("DELETE", f"/consultations/1/members/{HUGE}"),
    ],
)
def test_an_id_out_of_range_is_unknown_for_every_method(
    client: CSRFClient, seeded: Seeded, method: str, path: str
) -> None:
    """404, as for GET: werkzeug said 405 where another method has a rule for the path."""
    response = client.open(f"/api/v1{path}", method=method, json={}, headers=seeded.headers)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_largest_id_still_reaches_the_endpoint(client: CSRFClient, seeded: Seeded) -> None:
    response = client.patch(
        f"/api/v1/comments/{MAX_ID}", json={"body": "Neu."}, headers=seeded.headers
    )
    # The endpoint's own 404 (no such comment), not the router's (no such page).
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "Diesen Beitrag gibt es nicht."


def test_a_method_not_allowed_names_the_allowed_ones(client: CSRFClient, seeded: Seeded) -> None:
    response = client.open("/api/v1/organisations", method="DELETE", headers=seeded.headers)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
