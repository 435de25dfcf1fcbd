"""Organisations, users, /me and the two ways to authenticate against /api/v1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import ApiToken, OneTimeToken, Organisation, OutboxMessage, User
from consult.services import api_tokens
from tests import support
from tests.conftest import PASSWORD, CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def admin_headers(admin: User, token_for: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return token_for(admin)


# --- organisations ---------------------------------------------------------------------------


def test_admin_creates_lists_and_gets_an_organisation(
    client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers=admin_headers,
        json={"name": "  Stadt   Musterhausen ", "kind": "municipality"},
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["name"] == "Stadt Musterhausen"  # whitespace is tidied
    assert created["kind"] == "municipality"
    assert isinstance(created["id"], int)
    stored = db.get(Organisation, created["id"])
    assert stored is not None and stored.name == "Stadt Musterhausen"

    listed = client.get("/api/v1/organisations", headers=admin_headers).get_json()
    assert created in listed["organisations"]

    one = client.get(f"/api/v1/organisations/{created['id']}", headers=admin_headers)
    assert one.status_code == 200
    assert one.get_json() == created


@pytest.mark.parametrize(
    "kind",
    [
        "municipality",
        "welfare",
        "school",
        "police",
        "migrant_org",
        "administration",
        "political_group",
        "other",
    ],
)
def test_every_kind_of_api_md_is_accepted(
    client: CSRFClient, admin_headers: dict[str, str], kind: str
) -> None:
    response = client.post(
        "/api/v1/organisations", headers=admin_headers, json={"name": f"Org {kind}", "kind": kind}
    )
    assert response.status_code == 201
    assert response.get_json()["kind"] == kind


def test_any_signed_in_user_may_list_organisations(
    client: CSRFClient,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    org = make_org("Polizeiinspektion Nord", kind="police")
    headers = token_for(make_user())
    names = [
        o["name"]
        for o in client.get("/api/v1/organisations", headers=headers).json["organisations"]
    ]
    assert "Polizeiinspektion Nord" in names
    assert names == sorted(names, key=str.lower)
    one = client.get(f"/api/v1/organisations/{org.id}", headers=headers)
    assert one.status_code == 200
    assert one.get_json()["kind"] == "police"


# --- users -----------------------------------------------------------------------------------


def test_user_with_password_can_log_in_and_gets_no_invitation(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin_headers: dict[str, str],
    make_org: Callable[..., Organisation],
) -> None:
    org = make_org()
    db.commit()
    outbox_before = count(db, OutboxMessage)
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={
            "email": "Jana.Jung@Example.org",
            "name": "Jana Jung",
            "organisation_id": org.id,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "Jana.Jung@Example.org"
    assert body["organisation_id"] == org.id
    assert body["invited"] is False
    assert body["is_admin"] is False and body["is_active"] is True
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    assert "password" not in body and "password_hash" not in body
    assert count(db, OutboxMessage) == outbox_before
    assert support.mails(app) == []

    # e-mail addresses are case-insensitive at log-in
    login = client.post("/login", data={"email": "jana.jung@example.org", "password": PASSWORD})
    assert login.status_code == 302


def test_user_without_password_gets_an_invitation(
    app: Flask, client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"email": "ole.otto@example.org", "name": "Ole Otto"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["invited"] is True
    assert body["organisation_id"] is None

    queued = db.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "ole.otto@example.org")
    ).all()
    assert len(queued) == 1
    assert queued[0].sent_at is not None  # delivered right after the request

    [mail] = support.mails(app)
    assert mail["to"] == "ole.otto@example.org"
    assert mail["subject"] == "Einladung zu consult"
    link = support.link_in(mail)
    invite = db.scalar(select(OneTimeToken).where(OneTimeToken.user_id == body["id"]))
    assert invite is not None and invite.purpose == "invite"
    assert link.rsplit("/", 1)[1] != invite.token_hash  # only a hash of the link is stored
    assert client.get(link).status_code == 200


def test_user_with_an_organisation_is_listed_and_fetched(
    client: CSRFClient,
    admin: User,
    admin_headers: dict[str, str],
    make_user: Callable[..., User],
) -> None:
    other = make_user("Bernd Berger")
    listed = client.get("/api/v1/users", headers=admin_headers).get_json()["users"]
    emails = {u["email"] for u in listed}
    assert {admin.email, other.email} <= emails
    fetched = client.get(f"/api/v1/users/{other.id}", headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.get_json()["name"] == "Bernd Berger"
    assert fetched.get_json()["organisation_id"] == other.organisation_id


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@example.org", " taken@Example.org"])
def test_duplicate_email_is_409_and_writes_nothing(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin_headers: dict[str, str],
    make_user: Callable[..., User],
    email: str,
) -> None:
    make_user(email="taken@example.org")
    db.commit()
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/users", headers=admin_headers, json={"email": email, "name": "Doppelt"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "duplicate_email"
    assert support.snapshot(db) == before
    assert support.mails(app) == []


def test_admin_flag_can_be_set(client: CSRFClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"email": "zweite@example.org", "name": "Zweite Admin", "is_admin": True},
    )
    assert response.status_code == 201
    assert response.get_json()["is_admin"] is True


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("passwort123", "Liste häufig verwendeter Passwörter"),
        ("yxcvbnm-asdfgh", "Tastaturfolge"),
        ("Jana.Jung-2026", "E-Mail-Adresse"),
    ],
)
def test_weak_password_is_422_and_writes_nothing(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin_headers: dict[str, str],
    password: str,
    reason: str,
) -> None:
    before = support.snapshot(db)
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"email": "jana.jung@example.org", "name": "Jana Jung", "password": password},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert reason in error["message"]
    assert reason in error["fields"]["password"]
    assert support.snapshot(db) == before
    assert support.mails(app) == []


# --- /me and tokens --------------------------------------------------------------------------


def test_me_returns_the_tokens_user(
    client: CSRFClient,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Mia Meier")
    response = client.get("/api/v1/me", headers=token_for(user))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == user.id
    assert body["name"] == "Mia Meier"
    assert body["email"] == user.email
    assert body["is_admin"] is False


def test_token_use_is_recorded(
    client: CSRFClient,
    db: Session,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    assert client.get("/api/v1/me", headers=admin_headers).status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == admin.id))
    assert token is not None
    db.refresh(token)
    assert token.last_used_at is not None


def test_revoked_token_is_401(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
) -> None:
    user = make_user()
    token, raw = api_tokens.create_api_token(db, actor=user, name="Skript")
    db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    api_tokens.revoke_api_token(db, token.id, actor=user)
    db.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_token_of_a_deactivated_user_is_401(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user()
    headers = token_for(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    user.is_active = False
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    token, raw = api_tokens.create_api_token(db, actor=user, name="Skript")
    assert raw not in (token.token_hash, token.prefix)
    assert raw.startswith(token.prefix)
    assert len(token.token_hash) == 64


# --- session cookie instead of a token -------------------------------------------------------


def test_session_cookie_works_for_get(
    client: CSRFClient, make_user: Callable[..., User], login: Callable[[User], CSRFClient]
) -> None:
    user = make_user("Clara Cookie")
    login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["name"] == "Clara Cookie"
    assert client.get("/api/v1/organisations").status_code == 200


def test_session_cookie_post_needs_the_csrf_header(
    client: CSRFClient, db: Session, admin: User, login: Callable[[User], CSRFClient]
) -> None:
    login(admin)
    orgs = count(db, Organisation)
    body = {"name": "Schule am See", "kind": "school"}

    response = client.post("/api/v1/organisations", json=body, csrf=False)
    assert response.status_code == 400
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "csrf_failed"
    assert error["message"]
    assert count(db, Organisation) == orgs

    response = client.post(
        "/api/v1/organisations", json=body, csrf=False, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    assert count(db, Organisation) == orgs

    response = client.post("/api/v1/organisations", json=body)  # the client adds X-CSRFToken
    assert response.status_code == 201
    assert count(db, Organisation) == orgs + 1


def test_session_cookie_post_of_a_non_admin_is_403(
    client: CSRFClient, make_user: Callable[..., User], login: Callable[[User], CSRFClient]
) -> None:
    login(make_user())
    response = client.post("/api/v1/organisations", json={"name": "X", "kind": "other"})
    assert response.status_code == 403


def test_after_logout_the_cookie_no_longer_works(
    client: CSRFClient, make_user: Callable[..., User], login: Callable[[User], CSRFClient]
) -> None:
    login(make_user())
    assert client.get("/api/v1/me").status_code == 200
    client.post("/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_requests_need_no_csrf_token(
    client: CSRFClient, db: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers=admin_headers,
        json={"name": "Ohne CSRF", "kind": "other"},
        csrf=False,
    )
    assert response.status_code == 201
