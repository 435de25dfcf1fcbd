"""The API's error contract: status codes, the error shape, and nothing written on a rejection."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from consult.api.base import PUBLIC
from consult.models import User
from tests import support
from tests.conftest import CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


def assert_error(
    response: Any, status: int, code: str | None = None, context: object = ""
) -> dict[str, Any]:
    assert response.status_code == status, (context, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert error["code"] == error["code"].lower() and " " not in error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def api_operations(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every API endpoint that needs a token, with 1 for each path id."""
    operations = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", "1", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations.append((method, path))
    assert len(operations) >= 7
    return operations


@pytest.fixture
def admin_headers(admin: User, token_for: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return token_for(admin)


@pytest.fixture
def user_headers(
    make_user: Callable[..., User], token_for: Callable[[User], dict[str, str]]
) -> dict[str, str]:
    return token_for(make_user("Paula Plain"))


# --- 401 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cst_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer " + "x" * 500},
    ],
    ids=["no-token", "bad-token", "empty-bearer", "basic-scheme", "overlong-token"],
)
def test_no_or_bad_token_is_401(
    app: Flask, client: CSRFClient, db: Session, headers: dict[str, str]
) -> None:
    before = support.snapshot(db)
    for method, path in api_operations(app):
        response = client.open(
            path,
            method=method,
            headers=headers,
            json={"name": "Neu", "kind": "other", "email": "neu@example.org"},
        )
        assert_error(response, 401, context=(method, path))
    assert support.snapshot(db) == before


def test_no_token_and_bad_token_codes(client: CSRFClient) -> None:
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": "Bearer cst_nope"}),
        401,
        "invalid_token",
    )


def test_bad_token_wins_over_a_session_cookie(
    client: CSRFClient, admin: User, login: Callable[[User], CSRFClient]
) -> None:
    login(admin)
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer cst_nope"})
    assert_error(response, 401, "invalid_token")


# --- 403 -------------------------------------------------------------------------------------


def test_non_admin_creating_an_organisation_is_403(
    client: CSRFClient, db: Session, user_headers: dict[str, str]
) -> None:
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/organisations",
        headers=user_headers,
        json={"name": "Gemeinde Neu", "kind": "municipality"},
    )
    assert_error(response, 403, "forbidden")
    assert support.snapshot(db) == before


def test_non_admin_creating_a_user_is_403(
    client: CSRFClient, db: Session, user_headers: dict[str, str]
) -> None:
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/users",
        headers=user_headers,
        json={"email": "neu@example.org", "name": "Neu"},
    )
    assert_error(response, 403)
    assert support.snapshot(db) == before


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/users/1"])
def test_non_admin_reading_users_is_403(
    client: CSRFClient, user_headers: dict[str, str], path: str
) -> None:
    assert_error(client.get(path, headers=user_headers), 403)


# --- 422 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Gemeinde Neu", "kind": "village"},
        {"name": "Gemeinde Neu", "kind": ""},
        {"name": "Gemeinde Neu", "kind": "MUNICIPALITY "},
    ],
)
def test_unknown_organisation_kind_is_422(
    client: CSRFClient, db: Session, admin_headers: dict[str, str], body: dict[str, Any]
) -> None:
    before = support.snapshot(db)
    response = client.post("/api/v1/organisations", headers=admin_headers, json=body)
    error = assert_error(response, 422)
    assert error["code"] == "invalid_kind"
    assert support.snapshot(db) == before


INVALID_BODIES: dict[str, list[dict[str, Any]]] = {
    "/api/v1/organisations": [
        {"name": 123, "kind": "other"},
        {"name": "Neu", "kind": ["other"]},
        {"name": ["Neu"], "kind": "other"},
        {"name": True, "kind": "other"},
        {"kind": "other"},
        {"name": None, "kind": "other"},
        {"name": "Neu"},
        {"name": "   ", "kind": "other"},
        {"name": "x" * 201, "kind": "other"},
        {},
    ],
    "/api/v1/users": [
        {"email": 5, "name": "Neu"},
        {"email": "neu@example.org", "name": {"first": "N"}},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": "1"},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": True},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": 1.5},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": 999999},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": 10**30},
        {"email": "neu@example.org", "name": "Neu", "organisation_id": -(2**63)},
        {"email": "neu@example.org", "name": "Neu", "is_admin": "yes"},
        {"email": "neu@example.org", "name": "Neu", "is_admin": 1},
        {"email": "neu@example.org", "name": "Neu", "password": 1234567890},
        {"email": "neu@example.org", "name": "Neu", "password": "kurz"},
        {"email": "neu@example.org", "name": "Neu", "password": "aaaaaaaaaaaa"},
        {"email": "neu@example.org", "name": "Neu", "password": "NEU@example.org"},
        {"email": "no-at-sign", "name": "Neu"},
        {"email": "two@at@example.org", "name": "Neu"},
        {"name": "Neu"},
        {"email": "neu@example.org"},
    ],
}


@pytest.mark.parametrize("path", sorted(INVALID_BODIES))
def test_wrong_or_missing_fields_are_422(
    client: CSRFClient, db: Session, admin_headers: dict[str, str], path: str
) -> None:
    before = support.snapshot(db)
    for body in INVALID_BODIES[path]:
        response = client.post(path, headers=admin_headers, json=body)
        assert_error(response, 422, context=body)
    assert support.snapshot(db) == before


# --- 400 -------------------------------------------------------------------------------------


MALFORMED: list[tuple[bytes, str]] = [
    (b'{"name": "Neu", "kind": ', "application/json"),
    (b"{name: 'Neu'}", "application/json"),
    (b"", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b'{"name": "Neu", "kind": "other"', "application/json; charset=utf-8"),
    (b"name=Neu&kind=other", "application/x-www-form-urlencoded"),
    (b'{"name": "Neu", "kind": "other"}', "text/plain"),
    (b'{"name": "Neu", "kind": "other"}', ""),
]


@pytest.mark.parametrize("path", ["/api/v1/organisations", "/api/v1/users"])
def test_malformed_json_is_400(
    client: CSRFClient, db: Session, admin_headers: dict[str, str], path: str
) -> None:
    before = support.snapshot(db)
    for data, content_type in MALFORMED:
        response = client.post(path, headers=admin_headers, data=data, content_type=content_type)
        assert_error(response, 400, context=(data, content_type))
    assert support.snapshot(db) == before


def test_non_object_json_is_400(
    client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    before = support.snapshot(db)
    for payload in [[{"name": "Neu", "kind": "other"}], "Neu", 42, None, True, []]:
        response = client.post(
            "/api/v1/organisations",
            headers=admin_headers,
            data=json.dumps(payload),
            content_type="application/json",
        )
        assert_error(response, 400, "malformed_json", context=payload)
    assert support.snapshot(db) == before


# --- 413 -------------------------------------------------------------------------------------


def test_oversized_body_is_413(
    app: Flask, client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    limit = app.extensions["consult_settings"].max_json_length
    body = json.dumps({"name": "x" * (limit + 1), "kind": "other"})
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/organisations", headers=admin_headers, data=body, content_type="application/json"
    )
    assert_error(response, 413, "too_large")
    assert support.snapshot(db) == before


def test_body_above_the_request_limit_is_413(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the app-wide limit (Flask's MAX_CONTENT_LENGTH), set below the JSON limit
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"email": "neu@example.org", "name": "x" * 2000},
    )
    assert_error(response, 413)
    assert support.snapshot(db) == before


def test_body_just_below_the_limit_is_accepted_as_json(
    app: Flask,
    client: CSRFClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The limit is not off by a lot: a body just under it is parsed (and the name rejected).
    monkeypatch.setattr(app.extensions["consult_settings"], "max_json_length", 1000)
    body = json.dumps({"name": "x" * 900, "kind": "other"})
    assert len(body) < 1000
    response = client.post(
        "/api/v1/organisations", headers=admin_headers, data=body, content_type="application/json"
    )
    assert_error(response, 422)
    body = json.dumps({"name": "x" * 1000, "kind": "other"})
    response = client.post(
        "/api/v1/organisations", headers=admin_headers, data=body, content_type="application/json"
    )
    assert_error(response, 413)


# --- 404 and 405 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/organisations/abc", "/api/v1/", "/api/v2/me"]
)
def test_unknown_api_path_is_404_json(
    client: CSRFClient, admin_headers: dict[str, str], path: str
) -> None:
    assert_error(client.get(path, headers=admin_headers), 404, "not_found")
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/999999",
        "/api/v1/users/999999",
        "/api/v1/organisations/99999999999999999999999",
        "/api/v1/users/9223372036854775808",
    ],
)
def test_unknown_object_is_404_json(
    client: CSRFClient, admin_headers: dict[str, str], path: str
) -> None:
    assert_error(client.get(path, headers=admin_headers), 404, "not_found")


def test_wrong_method_is_405_json(
    client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    before = support.snapshot(db)
    assert_error(client.delete("/api/v1/me", headers=admin_headers), 405)
    assert_error(client.put("/api/v1/organisations", headers=admin_headers, json={}), 405)
    assert support.snapshot(db) == before


# --- conflicts -------------------------------------------------------------------------------


def test_duplicate_organisation_name_is_409(
    client: CSRFClient, db: Session, admin_headers: dict[str, str], make_org: Callable[..., Any]
) -> None:
    make_org("Caritasverband Musterkreis")
    db.commit()
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/organisations",
        headers=admin_headers,
        json={"name": "caritasverband   musterkreis", "kind": "welfare"},
    )
    assert_error(response, 409, "duplicate_name")
    assert support.snapshot(db) == before


def test_error_messages_are_german(client: CSRFClient, admin_headers: dict[str, str]) -> None:
    error = assert_error(
        client.post(
            "/api/v1/organisations", headers=admin_headers, json={"name": "Neu", "kind": "x"}
        ),
        422,
    )
    assert "Art der Organisation" in error["message"]
    # the input at fault, with its own message (as the web form shows it next to the field)
    assert error["fields"] == {"kind": "Bitte eine Art aus der Liste wählen."}
