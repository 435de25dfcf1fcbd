"""The profile page: name and language, password, API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import ApiToken, User
from consult.services import api_tokens
from tests import support
from tests.conftest import PASSWORD, CSRFClient

NEW_PASSWORD = "Neues-Kennwort-2027"


# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user("Petra Profil", email="petra@example.org")


@pytest.fixture
def me(client: CSRFClient, db: Session, user: User) -> CSRFClient:
    return support.sign_in(client, db, user)


# --- name and language -----------------------------------------------------------------------


def test_profile_page_shows_the_user(me: CSRFClient, user: User) -> None:
    response = me.get("/profile/")
    assert response.status_code == 200
    html = support.page(response)
    assert "Ihr Profil" in html
    assert "petra@example.org" in html
    assert 'value="Petra Profil"' in html


def test_change_name_and_language(me: CSRFClient, db: Session, user: User) -> None:
    response = me.post("/profile/", data={"name": "  Petra   Paulsen ", "locale": "en"})
    assert response.status_code == 302
    db.refresh(user)
    assert (user.name, user.locale) == ("Petra Paulsen", "en")
    html = support.page(me.get("/profile/"))
    assert '<html lang="en">' in html
    assert "Petra Paulsen" in html

    response = me.post("/profile/", data={"name": "Petra Paulsen", "locale": "de"})
    assert response.status_code == 302
    assert '<html lang="de">' in support.page(me.get("/profile/"))

    me.post("/profile/", data={"name": "Petra Paulsen", "locale": ""})
    db.refresh(user)
    assert user.locale is None  # follows the browser again


def test_reply_notifications_can_be_turned_off_and_on(
    me: CSRFClient, db: Session, user: User
) -> None:
    checkbox = 'input checked id="notify_replies" name="notify_replies" type="checkbox"'
    assert checkbox in support.page(me.get("/profile/"))  # on by default
    me.post("/profile/", data={"name": "Petra Profil", "locale": ""})  # unticked
    db.refresh(user)
    assert user.notify_replies is False
    assert checkbox not in support.page(me.get("/profile/"))
    me.post("/profile/", data={"name": "Petra Profil", "locale": "", "notify_replies": "y"})
    db.refresh(user)
    assert user.notify_replies is True


def test_invalid_profile_changes_nothing(me: CSRFClient, db: Session) -> None:
    before = support.snapshot(db)
    for data, field, message in [
        ({"name": "", "locale": "de"}, "name", "Dieses Feld wird benötigt."),
        ({"name": "x" * 201, "locale": "de"}, "name", "200"),
        ({"name": "Petra", "locale": "fr"}, "locale", "Keine gültige Auswahl."),
    ]:
        response = me.post("/profile/", data=data)
        assert response.status_code == 422, data
        assert message in support.field_error(support.page(response), field), data
    assert support.snapshot(db) == before


# --- password --------------------------------------------------------------------------------


def password_form(current: str, new: str = NEW_PASSWORD, confirm: str | None = None) -> dict:
    return {"current_password": current, "password": new, "confirm": confirm or new}


def test_wrong_current_password_is_refused(me: CSRFClient, db: Session, user: User) -> None:
    old_hash = user.password_hash
    before = support.snapshot(db)
    response = me.post("/profile/password", data=password_form("Falsches-Passwort"))
    assert response.status_code == 422
    assert support.field_error(support.page(response), "current_password") == "Stimmt nicht."
    assert support.snapshot(db) == before
    db.refresh(user)
    assert user.password_hash == old_hash


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (password_form(PASSWORD, "kurz"), "password", "10"),
        (password_form(PASSWORD, "aaaaaaaaaaaa"), "password", "verschiedene"),
        (password_form(PASSWORD, "petra@example.org"), "password", "E-Mail"),
        (password_form(PASSWORD, "passwort123"), "password", "häufig verwendeter Passwörter"),
        (password_form(PASSWORD, "Hallo-2024!"), "password", "häufig verwendeter Passwörter"),
        (password_form(PASSWORD, "1qay2wsx3edc4rfv"), "password", "Tastaturfolge"),
        (password_form(PASSWORD, "Profil-Petra-99"), "password", "Enthält Ihren Namen"),
        (
            password_form(PASSWORD, NEW_PASSWORD, "Anderes-Kennwort-1"),
            "confirm",
            "Die Passwörter stimmen nicht überein.",
        ),
        (password_form(""), "current_password", "Dieses Feld wird benötigt."),
    ],
)
def test_weak_or_mismatched_new_password_is_refused(
    me: CSRFClient, db: Session, data: dict[str, str], field: str, message: str
) -> None:
    before = support.snapshot(db)
    response = me.post("/profile/password", data=data)
    assert response.status_code == 422
    assert message in support.field_error(support.page(response), field)
    assert support.snapshot(db) == before


def test_password_change_ends_the_other_sessions(
    app: Flask, client: CSRFClient, db: Session, user: User, login: Callable[..., CSRFClient]
) -> None:
    login(user)  # through the real form, as the owner of this browser
    laptop: CSRFClient = app.test_client()  # type: ignore[assignment]
    laptop_login = laptop.post("/login", data={"email": user.email, "password": PASSWORD})
    assert laptop_login.status_code == 302
    assert laptop.get("/profile/").status_code == 200

    response = client.post("/profile/password", data=password_form(PASSWORD))
    assert response.status_code == 302
    assert "Auf anderen Geräten sind Sie jetzt abgemeldet" in support.page(client.get("/profile/"))

    assert client.get("/profile/").status_code == 200  # this session goes on
    gone = laptop.get("/profile/")
    assert gone.status_code == 302 and gone.location.startswith("/login")

    fresh: CSRFClient = app.test_client()  # type: ignore[assignment]
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    ok = fresh.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert ok.status_code == 302


# --- API tokens ------------------------------------------------------------------------------


def test_create_token_shows_it_once_and_it_works(me: CSRFClient, db: Session, user: User) -> None:
    response = me.post("/profile/tokens", data={"token-name": "Ratsinformationssystem"})
    assert response.status_code == 201
    html = support.page(response)
    assert "Neues Token „Ratsinformationssystem“" in html
    match = re.search(r'<input id="new-token"[^>]*value="([^"]+)"', html)
    assert match, html
    raw = match.group(1)

    api = me.application.test_client()
    answer = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 200
    assert answer.get_json()["email"] == "petra@example.org"

    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token is not None and token.token_hash != raw
    again = support.page(me.get("/profile/"))
    assert raw not in again  # shown once only
    assert token.prefix in again and "Ratsinformationssystem" in again
    with me.session_transaction() as session:
        assert raw not in repr(dict(session))


def test_token_without_name_is_refused(me: CSRFClient, db: Session) -> None:
    before = support.snapshot(db)
    response = me.post("/profile/tokens", data={"token-name": ""})
    assert response.status_code == 422
    html = support.page(response)
    assert support.field_error(html, "token-name") == "Dieses Feld wird benötigt."
    assert "aria-invalid" not in re.search(r'<input[^>]*id="name"[^>]*>', html).group(0)
    assert 'id="new-token"' not in support.page(response)
    assert support.snapshot(db) == before


def test_revoke_token(me: CSRFClient, db: Session, user: User) -> None:
    token, raw = api_tokens.create_api_token(db, actor=user, name="Skript")
    db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    api = me.application.test_client()
    assert api.get("/api/v1/me", headers=headers).status_code == 200

    assert f'action="/profile/tokens/{token.id}/revoke"' in support.page(me.get("/profile/"))
    response = me.post(f"/profile/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert response.location == "/profile/#tokens"
    html = support.page(me.get("/profile/"))
    assert "Das Token ist widerrufen." in html
    assert re.search(r"Skript</td>.*?widerrufen", html, re.S)
    assert f'action="/profile/tokens/{token.id}/revoke"' not in html

    assert api.get("/api/v1/me", headers=headers).status_code == 401
    db.refresh(token)
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(
    me: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    other = make_user()
    token, raw = api_tokens.create_api_token(db, actor=other, name="Fremd")
    db.commit()
    before = support.snapshot(db)
    response = me.post(f"/profile/tokens/{token.id}/revoke")
    assert response.status_code == 404
    assert support.snapshot(db) == before
    api = me.application.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
