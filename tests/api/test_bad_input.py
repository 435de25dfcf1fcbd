"""A corpus of bad input through every operation of the API (issue 9).

API.md: "Bad input never yields 500, and a rejected request changes nothing. Text fields
refuse control characters other than newline and tab (422 naming the field)." The cases
are generated from the OpenAPI document (``consult.api.openapi.document()``), so that an
operation added later is covered without editing this file:

- every string field of every request body (``$ref``s resolved, fields of nested objects
  and of arrays of objects included: ``sections[0].title``, ``anchor.quote``) gets NUL,
  another C0 control, a C1 control, a lone surrogate (sent as ``\\ud800``, as an
  attacker's JSON would), the noncharacter U+FFFF and a text one longer than its
  ``maxLength``; names, titles, keys and e-mail addresses (the fields under a LINE rule of
  consult.domain.textrules) also a zero-width space, a right-to-left override and a BOM;
- every integer field (ids, offsets) wrong types, a number beyond 64 bits, digits that are
  digits only to ``str.isdigit`` (``"²"``, ``"٣"``), and numbers outside the documented
  range; every boolean field wrong types;
- every body nested 100,000 and 100 levels deep, and malformed JSON (400);
- every documented query parameter ``²``, ``abc``, ``-1``, a number beyond 64 bits and
  more (BAD_QUERY): a 4xx in the error shape.

Each request goes with the token of an admin who is the consultation's editor and in its
working group, to real ids (the seeded consultation of test_fuzz.py, plus a closed round
for the operations on one), with a body that is valid but for the one bad value (the same
body without it is sent first, as a control).
The answer must be a 4xx in the error shape naming the field in ``error.fields`` (a 413,
where an operation documents it, names it in the message), and nothing may be written.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, get_args

import pytest
from flask import Flask
from pydantic import AfterValidator, BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from consult.api.openapi import document
from consult.api.registry import operation_of
from consult.db import utcnow
from consult.domain import textrules
from consult.domain.textrules import Shape, TextRule
from consult.models import User
from consult.schemas.common import Model
from consult.services import rounds as round_service
from tests import support
from tests.api.test_fuzz import Seeded, seeded  # noqa: F401  (the seeded consultation)
from tests.conftest import CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)

DOCUMENT = document()
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]

#: Bad values for every string field (and a text one longer than its maxLength).
BAD_TEXT: dict[str, str] = {
    "nul": "Probe\x00Text",
    "c0-escape": "Probe\x1b[31mText",
    "c1-nel": "Probe\x85Text",
    "lone-surrogate": "x\ud800",
    "noncharacter": "Probe\uffff",
}
#: Bad values for names, titles, keys and e-mail addresses only (LINE rules).
BAD_LINE: dict[str, str] = {
    "zero-width-space": "Caritas\u200b Probe",
    "rtl-override": "\u202eevil",
    "bom": "\ufeffProbe",
}
#: Bad values for every integer field (besides those outside the documented range).
BAD_INTEGER: dict[str, Any] = {
    "text": "1",
    "float": 1.5,
    "bool": True,
    "beyond-64-bits": 2**64,
    "superscript": "²",
    "arabic-indic": "٣",
}
BAD_BOOLEAN: dict[str, Any] = {"integer": 1, "text": "true", "superscript": "²"}
#: Values for every documented query parameter.
BAD_QUERY = ("²", "abc", "-1", "99999999999999999999", "٣", "1.5", "")

#: Values of fields that must be of a particular form to be accepted (the control request).
EXAMPLES: dict[str, Any] = {
    "email": "neu.person@example.org",
    "opens_at": "2030-01-01T09:00:00",
    "closes_at": "2030-02-01T18:00:00",
    "password": "Sehr-Geheim-2030",
}
#: Valid objects of a kind, where no generic filling is accepted: an anchor must quote the
#: text it points at (section 1 of the seeded revision starts with "Der Kreis").
OBJECT_EXAMPLES: dict[str, dict[str, Any]] = {
    "AnchorInput": {"start": 0, "end": 9, "quote": "Der Kreis"},
}
#: Optional fields an object of a kind needs to be accepted (filled with seeded ids): a
#: round invites someone; a revision starts from another (the seeded draft makes it 409).
ALSO: dict[str, tuple[str, ...]] = {
    "RoundInput": ("working_group_ids",),
    "RevisionInput": ("base_revision_id",),
    # The admin records a statement received by letter (the seeded round asks Siegburg).
    "StatementInput": ("channel", "position", "signatory"),
}
#: Ids of other names than the seeded objects' (test_fuzz.Seeded.ids).
ID_ALIASES: dict[str, tuple[str, ...]] = {
    "feedback_id": ("comment_id", "suggestion_id"),
    "assignee_id": ("user_id",),
}


def seeded_ids(name: str, ids: dict[str, list[int]]) -> list[int]:
    """The seeded ids an id field or path parameter of this name can take ("section_ids":
    the sections'), so that requests name real objects on every database."""
    singular = name.removesuffix("s")
    for key in (name, singular):
        if key in ids:
            return ids[key]
        if key in ID_ALIASES:
            return [i for alias in ID_ALIASES[key] for i in ids[alias]]
    raise AssertionError(f"no seeded ids for {name!r}: add them to ID_ALIASES")


# --- the document, walked -----------------------------------------------------------------


def resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The schema behind ``$ref``s and ``anyOf: [X, null]``, and its component's name."""
    name = None
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = SCHEMAS[name]
            continue
        options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**options[0], **merged}
            continue
        return schema, name


Path = tuple[str | int, ...]


def field_name(path: Path) -> str:
    """``("sections", 0, "title")`` -> ``sections[0].title`` (as error.fields names it)."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


@dataclass(frozen=True)
class Leaf:
    """A field of a request body that takes one value: a string, integer or boolean."""

    path: Path
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return field_name(self.path)

    @property
    def kind(self) -> str:
        return str(self.schema.get("type"))


def leaves(schema: dict[str, Any], path: Path = ()) -> Iterator[Leaf]:
    """Every string, integer and boolean field of a body schema, nested ones included
    (an array's items as its first element)."""
    schema, _name = resolve(schema)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from leaves(sub, (*path, name))
    elif kind == "array":
        yield from leaves(schema.get("items", {}), (*path, 0))
    elif kind in ("string", "integer", "boolean"):
        yield Leaf(path, schema)
    else:
        raise AssertionError(f"{field_name(path)}: no cases for a field of type {kind!r}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody", {}).get("content", {}).get("application/json")
        return body["schema"] if body else None

    @property
    def path_parameters(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    @property
    def query_parameters(self) -> list[str]:
        """The query parameters that take a number or one of a set of words (free text
        such as a search query or an action filter has no bad value among BAD_QUERY)."""
        return [
            p["name"]
            for p in self.spec.get("parameters", [])
            if p["in"] == "query"
            and (p.get("schema", {}).get("type") != "string" or "enum" in p.get("schema", {}))
        ]

    @property
    def statuses(self) -> set[int]:
        return {int(s) for s in self.spec["responses"]}


OPERATIONS = [
    Operation(method, path, spec)
    for path, methods in DOCUMENT["paths"].items()
    for method, spec in methods.items()
]
WITH_BODY = [op for op in OPERATIONS if op.body_schema is not None]
WITH_QUERY = [op for op in OPERATIONS if op.query_parameters]


# --- which text rule a field is under (from the request models) ---------------------------


def _rule_in(parts: tuple[Any, ...]) -> TextRule | None:
    """The text rule among a field's type and metadata: the rule its AfterValidator
    checks by (consult.schemas.common.text)."""
    for part in parts:
        if isinstance(part, AfterValidator):
            function = part.func
            cells = dict(
                zip(
                    function.__code__.co_freevars,
                    (c.cell_contents for c in function.__closure__ or ()),
                    strict=True,
                )
            )
            rule = cells.get("rule")
            if isinstance(rule, TextRule):
                return rule
        found = _rule_in(get_args(part))
        if found is not None:
            return found
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for part in get_args(annotation) for m in _models_in(part)]


def text_rule(model: type[BaseModel], path: Path) -> TextRule | None:
    """The rule of consult.domain.textrules the field at ``path`` of ``model`` is checked
    by (None: a text the service checks, such as an enum or a date)."""
    names = [part for part in path if isinstance(part, str)]
    for name in names[:-1]:
        (model,) = _models_in(model.model_fields[name].annotation)
    info = model.model_fields[names[-1]]
    return _rule_in((info.annotation, *info.metadata))


def body_models(app: Flask) -> dict[tuple[str, str], type[Model]]:
    """(method, document path) -> the request model its view parses."""
    found = {}
    for rule in app.url_map.iter_rules():
        op = operation_of(app.view_functions[rule.endpoint])
        if not rule.endpoint.startswith("api.") or op is None or op.body is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found[(method.lower(), path)] = op.body
    return found


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    leaf: Leaf
    value: Any


def cases_for(leaf: Leaf, rule: TextRule | None) -> list[Case]:
    schema = leaf.schema
    found: list[Case] = []
    if leaf.kind == "string":
        for label, value in BAD_TEXT.items():
            found.append(Case(label, leaf, value))
        if rule is not None and rule.shape is Shape.LINE:
            for label, value in BAD_LINE.items():
                found.append(Case(label, leaf, value))
        if "maxLength" in schema:
            found.append(Case("too-long", leaf, "a" * (schema["maxLength"] + 1)))
    elif leaf.kind == "integer":
        for label, value in BAD_INTEGER.items():
            found.append(Case(label, leaf, value))
        if "minimum" in schema:
            found.append(Case("below-minimum", leaf, schema["minimum"] - 1))
        if "maximum" in schema:
            found.append(Case("above-maximum", leaf, schema["maximum"] + 1))
    elif leaf.kind == "boolean":
        for label, value in BAD_BOOLEAN.items():
            found.append(Case(label, leaf, value))
    return found


# --- valid bodies to put the bad values into --------------------------------------------------

_counter = itertools.count(1)


def example(schema: dict[str, Any], name: str, ids: dict[str, list[int]]) -> Any:
    """A valid value of ``schema`` (only required properties of objects)."""
    schema, component = resolve(schema)
    if component in OBJECT_EXAMPLES:
        return dict(OBJECT_EXAMPLES[component])
    if name in EXAMPLES:
        return EXAMPLES[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            key: example(sub, key, ids)
            for key, sub in schema.get("properties", {}).items()
            if key in schema.get("required", []) or key in ALSO.get(component or "", ())
        }
    if kind == "array":
        return [example(schema.get("items", {}), name, ids)]
    if kind == "integer":
        return seeded_ids(name, ids)[0]
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "email":
            return EXAMPLES["email"]
        return f"Probe {next(_counter)}"
    raise AssertionError(f"no example for {name}: {schema}")


def with_value(
    body: dict[str, Any], schema: dict[str, Any], path: Path, value: Any, ids: dict[str, list[int]]
) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at ``path`` (containers on the way created valid)."""
    result: dict[str, Any] = json.loads(json.dumps(body))
    node: Any = result
    node_schema, _ = resolve(schema)
    for step, next_step in itertools.pairwise((*path, None)):
        if isinstance(step, int):
            sub = node_schema.get("items", {})
            while len(node) <= step:
                node.append(None)
            present = node[step]
        else:
            sub = node_schema["properties"][step]
            present = node.get(step)
        if next_step is None:
            node[step] = value
            break
        if present is None:
            present = node[step] = example(sub, str(step), ids)
        node, node_schema = present, resolve(sub)[0]
    return result


# --- requests -------------------------------------------------------------------------------


@dataclass
class Target:
    """An operation with real ids in its path, and the answer to its valid body."""

    op: Operation
    url: str
    body: dict[str, Any] | None
    control: int
    failures: list[str] = field(default_factory=list)


def assert_error_shape(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    data = response.get_json()
    assert isinstance(data, dict) and set(data) == {"error"}, data
    error = data["error"]
    assert isinstance(error, dict)
    assert isinstance(error.get("code"), str) and re.fullmatch(r"[a-z0-9_]+", error["code"])
    assert isinstance(error.get("message"), str) and error["message"].strip()
    assert "Traceback" not in error["message"]
    fields = error.get("fields", {})
    assert isinstance(fields, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()), fields
    return error


class Sender:
    """Sends one request of a test inside a savepoint (rolled back after it) and checks
    that a refused one wrote nothing."""

    def __init__(
        self, client: CSRFClient, connection: Connection, db: Session, world: Seeded
    ) -> None:
        self.client, self.connection, self.db, self.seeded = client, connection, db, world

    def send(
        self, method: str, url: str, *, data: bytes | str | None = None, path: str = ""
    ) -> tuple[Any, bool]:
        """The response, and whether every row is as seeded after it. ``path``: the
        operation's document path (some are sent by another person than the admin)."""
        savepoint = self.connection.begin_nested()
        try:
            response = self.client.open(
                "/api/v1" + url,
                method=method.upper(),
                data=data,
                content_type="application/json" if data is not None else None,
                headers=self.seeded.headers_for.get(path, self.seeded.headers),
            )
            response.get_data()
            unchanged = support.snapshot(self.db) == self.seeded.rows
        finally:
            self.db.rollback()
            savepoint.rollback()
        return response, unchanged


def encode(body: Any) -> str:
    """JSON as a client sends it: non-ASCII escaped, so a lone surrogate is ``\\ud800``."""
    return json.dumps(body, ensure_ascii=True)


def target(sender: Sender, op: Operation) -> Target:
    """The operation with seeded ids in its path: the first choice of them with which its
    valid body is accepted (else the first choice). The valid body must get past the
    router, the token and the permission checks: the bad values reach the endpoint."""
    ids = sender.seeded.ids
    schema = op.body_schema
    choices = [seeded_ids(name, ids) for name in op.path_parameters]
    first: Target | None = None
    for values in itertools.islice(itertools.product(*choices), 24):
        url = op.path.format(**dict(zip(op.path_parameters, values, strict=True)))
        body = example(schema, "", ids) if schema is not None else None
        response, _ = sender.send(
            op.method, url, data=encode(body) if schema else None, path=op.path
        )
        found = Target(op, url, body, response.status_code)
        if response.status_code < 300:
            return found
        first = first or found
    assert first is not None, op.id
    assert first.control in (409, 422), (
        f"{op.id}: no seeded ids in the path reach the endpoint with a valid body "
        f"(answered {first.control}; add what it needs to OBJECT_EXAMPLES or ALSO)"
    )
    return first


def check_refused(
    t: Target, response: Any, unchanged: bool, what: str, expect_field: str | None
) -> None:
    """Records in ``t.failures`` what is wrong with the answer to a bad request."""
    status = response.status_code
    problem = None
    if not 400 <= status < 500:
        problem = f"answered {status}"
    elif not unchanged:
        problem = f"answered {status} but wrote to the database"
    else:
        try:
            error = assert_error_shape(response)
        except AssertionError as exc:
            problem = f"answered {status} without the error shape: {exc}"
        else:
            if expect_field is not None:
                if status == 413 and 413 in t.op.statuses:
                    if expect_field not in error["message"]:
                        problem = f"413 without the field in its message: {error}"
                elif status != 422:
                    problem = f"answered {status}, not 422: {error}"
                elif expect_field not in error.get("fields", {}):
                    problem = f"422 without naming {expect_field}: {error}"
            elif status != 400:
                problem = f"answered {status}, not 400: {error}"
    if problem is not None:
        body = response.get_data(as_text=True)[:300]
        t.failures.append(f"{what}: {problem} (valid body: {t.control}) {body}")


# --- the seeded world ------------------------------------------------------------------------


def close_a_round(app: Flask, db: Session, base: Seeded) -> int:
    """A second round of the seeded consultation, closed (for the operations that need a
    closed one: reopening); returns its id."""
    admin = db.get(User, base.ids["user_id"][0])
    assert admin is not None
    now = utcnow()
    with app.app_context():  # the services render e-mail templates
        closed = round_service.create_round(
            db,
            base.ids["consultation_id"][0],
            actor=admin,
            revision_id=base.ids["revision_id"][0],
            title="Vorrunde",
            opens_at=now - timedelta(days=2),
            closes_at=now + timedelta(days=1),
            working_group_ids=base.ids["group_id"],
            visibility="round",
            notify=False,
        )
        round_service.close_round(db, closed.id, actor=admin)
    db.commit()
    return closed.id


@pytest.fixture
def world(app: Flask, db: Session, seeded: Seeded) -> Seeded:  # noqa: F811
    """The seeded consultation of test_fuzz.py with a closed round besides its open one."""
    closed = close_a_round(app, db, seeded)
    ids = {**seeded.ids, "round_id": [*seeded.ids["round_id"], closed]}
    rows = support.snapshot(db)
    db.rollback()  # (ends the snapshot's transaction: each request has a savepoint of its own)
    return Seeded(seeded.headers, ids, rows, headers_for=seeded.headers_for)


# --- the tests ------------------------------------------------------------------------------


def test_the_generator_finds_every_operation_with_a_body(app: Flask) -> None:
    models = body_models(app)
    documented = {(op.method, op.path) for op in WITH_BODY}
    assert documented == set(models), "the document and the views disagree on request bodies"
    assert len(WITH_BODY) >= 17
    names = set()
    for op in WITH_BODY:
        assert op.body_schema is not None
        found = list(leaves(op.body_schema))
        assert found, f"{op.id}: a body without fields"
        model = models[(op.method, op.path)]
        for leaf in found:
            assert cases_for(leaf, text_rule(model, leaf.path)), (op.id, leaf.name)
            names.add(leaf.name)
    # Nested fields and arrays of objects are walked into.
    assert {"sections[0].title", "sections[0].key", "anchor.quote", "anchor.start"} <= names
    assert {"working_group_ids[0]", "section_ids[0]", "is_admin", "municipalities"} <= names
    # LINE fields are told from bodies.
    revision = models[("post", "/consultations/{consultation_id}/revisions")]
    line = textrules.Shape.LINE
    title_rule = text_rule(revision, ("sections", 0, "title"))
    assert title_rule is not None and title_rule.shape is line
    body_rule = text_rule(revision, ("sections", 0, "body"))
    assert body_rule is not None and body_rule.shape is not line
    user = models[("post", "/users")]
    email_rule = text_rule(user, ("email",))
    assert email_rule is not None and email_rule.shape is line
    assert WITH_QUERY, "no documented query parameter"


@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: op.id)
def test_bad_values_in_a_body_are_refused_naming_the_field(
    app: Flask,
    client: CSRFClient,
    connection: Connection,
    db: Session,
    world: Seeded,
    op: Operation,
) -> None:
    sender = Sender(client, connection, db, world)
    t = target(sender, op)
    schema = op.body_schema
    assert schema is not None and t.body is not None
    model = body_models(app)[(op.method, op.path)]
    count = 0
    for leaf in leaves(schema):
        for case in cases_for(leaf, text_rule(model, leaf.path)):
            body = with_value(t.body, schema, leaf.path, case.value, world.ids)
            response, unchanged = sender.send(op.method, t.url, data=encode(body), path=op.path)
            check_refused(t, response, unchanged, f"{leaf.name} {case.label}", leaf.name)
            count += 1
    assert count
    assert not t.failures, f"{op.method.upper()} {t.url}:\n" + "\n".join(t.failures)


@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: op.id)
def test_deep_and_malformed_bodies_are_400(
    client: CSRFClient,
    connection: Connection,
    db: Session,
    world: Seeded,
    op: Operation,
) -> None:
    sender = Sender(client, connection, db, world)
    t = target(sender, op)
    bodies: dict[str, str | bytes] = {
        "arrays-100000-deep": "[" * 100_000,
        "arrays-100000-deep-closed": "[" * 100_000 + "]" * 100_000,
        "objects-100-deep": '{"a": ' * 100 + "1" + "}" * 100,
        "deep-inside-a-field": encode(t.body)[:-1]
        + (", " if t.body else "")
        + '"x": '
        + "[" * 1000
        + "]" * 1000
        + "}",
        "malformed": '{"title": "Probe",',
        "not-json": "title=Probe",
        "invalid-utf8": b'{"title": "\xff\xfe"}',
        "top-level-array": "[]",
        "empty": "",
    }
    for label, data in bodies.items():
        response, unchanged = sender.send(op.method, t.url, data=data, path=op.path)
        check_refused(t, response, unchanged, label, None)
    assert not t.failures, f"{op.method.upper()} {t.url}:\n" + "\n".join(t.failures)


@pytest.mark.parametrize("op", WITH_QUERY, ids=lambda op: op.id)
def test_bad_query_parameters_are_4xx(
    client: CSRFClient,
    connection: Connection,
    db: Session,
    world: Seeded,
    op: Operation,
) -> None:
    sender = Sender(client, connection, db, world)
    t = target(sender, op)
    for name in op.query_parameters:
        for value in BAD_QUERY:
            savepoint = connection.begin_nested()
            try:
                response = client.open(
                    "/api/v1" + t.url,
                    method=op.method.upper(),
                    query_string={name: value},
                    headers=world.headers,
                )
            finally:
                db.rollback()
                savepoint.rollback()
            if not 400 <= response.status_code < 500:
                t.failures.append(f"{name}={value!r}: answered {response.status_code}")
                continue
            try:
                assert_error_shape(response)
            except AssertionError as exc:
                t.failures.append(f"{name}={value!r}: {exc}")
    assert not t.failures, f"{op.method.upper()} {t.url}:\n" + "\n".join(t.failures)
