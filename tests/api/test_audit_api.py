"""GET /api/v1/consultations/{id}/audit (API.md): the shape, the filters, who may read it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from consult.models import Consultation, User
from consult.services import audit


@pytest.fixture
def setup(
    db: Session, admin: User, make_user: Callable[..., User], add_member: Callable[..., Any]
) -> dict[str, Any]:
    consultation = Consultation(title="Integrationskonzept")
    db.add(consultation)
    db.flush()
    editor = make_user("Miriam Redaktion")
    participant = make_user("Paula Teilnehmerin")
    add_member(consultation.id, editor, "editor")
    add_member(consultation.id, participant, "participant")
    cid = consultation.id
    audit.record(db, actor=editor, action="round.opened", object_type="round", object_id=4,
                 consultation_id=cid, details={"title": "Runde 1"})  # fmt: skip
    audit.record(db, actor=admin, action="round.closed", object_type="round", object_id=4,
                 consultation_id=cid)  # fmt: skip
    audit.record(db, actor=editor, action="member.set", object_type="user",
                 object_id=participant.id, consultation_id=cid,
                 details={"role": "participant"})  # fmt: skip
    db.commit()
    return {"cid": cid, "editor": editor, "participant": participant, "admin": admin}


def get(client: FlaskClient, headers: dict[str, str], cid: int, query: str = "") -> Any:
    return client.get(f"/api/v1/consultations/{cid}/audit{query}", headers=headers)


def test_editors_read_the_log_newest_first(
    client: FlaskClient, setup: dict[str, Any], token_for: Callable[[User], dict[str, str]]
) -> None:
    answer = get(client, token_for(setup["editor"]), setup["cid"])
    assert answer.status_code == 200
    body = answer.get_json()
    assert [e["action"] for e in body] == ["member.set", "round.closed", "round.opened"]
    opened = body[2]
    assert set(opened) == {"id", "at", "actor", "action", "object_type", "object_id", "details"}
    assert opened["actor"] == {"id": setup["editor"].id, "name": "Miriam Redaktion"}
    assert (opened["object_type"], opened["object_id"]) == ("round", 4)
    assert opened["details"] == {"title": "Runde 1"}


def test_filters(
    client: FlaskClient, setup: dict[str, Any], token_for: Callable[[User], dict[str, str]]
) -> None:
    headers, cid = token_for(setup["admin"]), setup["cid"]
    assert [e["action"] for e in get(client, headers, cid, "?action=round.closed").get_json()] == [
        "round.closed"
    ]
    assert [e["action"] for e in get(client, headers, cid, "?action=round.").get_json()] == [
        "round.closed",
        "round.opened",
    ]
    by_editor = get(client, headers, cid, f"?actor_id={setup['editor'].id}").get_json()
    assert [e["action"] for e in by_editor] == ["member.set", "round.opened"]
    assert get(client, headers, cid, "?limit=1&offset=1").get_json()[0]["action"] == "round.closed"
    bad = get(client, headers, cid, "?actor_id=abc")
    assert bad.status_code == 422 and "actor_id" in bad.get_json()["error"]["fields"]


def test_participants_and_strangers_may_not(
    client: FlaskClient,
    setup: dict[str, Any],
    token_for: Callable[[User], dict[str, str]],
    make_user: Callable[..., User],
) -> None:
    assert get(client, token_for(setup["participant"]), setup["cid"]).status_code == 403
    stranger = make_user("Fremd")
    answer = get(client, token_for(stranger), setup["cid"])
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/consultations/{setup['cid']}/audit").status_code == 401


def test_no_operation_changes_or_deletes_an_entry(
    client: FlaskClient, setup: dict[str, Any], token_for: Callable[[User], dict[str, str]]
) -> None:
    headers = token_for(setup["admin"])
    for method in ("put", "patch", "delete", "post"):
        answer = getattr(client, method)(
            f"/api/v1/consultations/{setup['cid']}/audit", headers=headers, json={}
        )
        assert answer.status_code == 405
    spec = client.get("/api/v1/openapi.json").get_json()
    [path] = [p for p in spec["paths"] if p.endswith("/audit")]
    assert set(spec["paths"][path]) - {"parameters"} == {"get"}
