"""Role x endpoint: every route of the app, walked from app.url_map, for three kinds of caller.

- anonymous: every non-public web page redirects to /login (GET) or answers 401 (other
  methods); every non-public API endpoint answers 401 in the API's error shape;
- a plain signed-in user: 403 on every /admin page, and never 401 elsewhere;
- an admin: 200 on every /admin page (GET), never 401 or 403 there;
- nobody ever gets a 500.

New endpoints are picked up automatically. Path arguments are filled with ids of objects
created here (see ``ARGUMENTS``); an id this test does not know is filled with an id that
does not exist, which must give a 404, not a 500.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine
from werkzeug.routing.converters import AnyConverter, BaseConverter, NumberConverter

from consult import create_app
from consult.db import database
from consult.extensions import limiter
from consult.models import Consultation, Membership, Organisation, User
from consult.services import accounts, permissions
from tests.conftest import CSRFClient, _password_hash, make_settings

#: Web endpoints that anyone may reach without logging in. Kept by hand on purpose: a new
#: public endpoint needs a conscious change here and in services/permissions.py.
PUBLIC_WEB_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.forgot_password",
        "auth.redeem",
        "main.health",
        "main.set_language",
        "privacy.page",
        "notifications.unsubscribe",
        "notifications.unsubscribe_confirm",
    }
)
#: API endpoints that need no token.
PUBLIC_API_ENDPOINTS = frozenset({"api.openapi"})

UNKNOWN_ID = 2_000_000_000
ROLES = ("anonymous", "user", "admin")


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str
    #: (name, made-up value) of each path argument; the value is used for unknown names.
    arguments: tuple[tuple[str, Any], ...]

    @property
    def is_api(self) -> bool:
        return self.endpoint.startswith("api.")

    @property
    def is_admin_page(self) -> bool:
        return self.rule.startswith("/admin/") or self.rule == "/admin"

    @property
    def is_public(self) -> bool:
        return self.endpoint in PUBLIC_WEB_ENDPOINTS | PUBLIC_API_ENDPOINTS

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def made_up(converter: BaseConverter) -> Any:
    """A value of the right kind for a path argument this test knows nothing about."""
    if isinstance(converter, NumberConverter):
        return UNKNOWN_ID
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "unbekannt"


def _routes() -> list[Route]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings(Path(tmp), "sqlite://"))
        routes = []
        for rule in app.url_map.iter_rules():
            arguments = tuple(
                sorted((name, made_up(conv)) for name, conv in rule._converters.items())
            )
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append(Route(rule.endpoint, rule.rule, method, arguments))
        return sorted(routes, key=str)


ROUTES = _routes()


# --- a module-wide app and the objects the URLs point at -------------------------------------


@dataclass
class World:
    app: Flask
    connection: Connection
    ids: dict[str, Any]
    user: User
    admin: User


@pytest.fixture(scope="module")
def world(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app for the whole module (fast), in a transaction rolled back at the end."""
    connection: Connection = engine.connect()
    outer = connection.begin()
    app = create_app(make_settings(tmp_path_factory.mktemp("roles"), database_url))
    app.test_client_class = CSRFClient
    database(app).sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    session = database(app).sessionmaker()

    org = Organisation(name="Rollenprüfung e. V.", kind="welfare", is_active=True)
    session.add(org)
    hashed = _password_hash()

    def person(name: str, email: str, *, admin: bool = False, password: bool = True) -> User:
        user = User(
            email=email,
            email_key=email,
            name=name,
            organisation=org,
            is_admin=admin,
            is_active=True,
            password_hash=hashed if password else None,
        )
        session.add(user)
        return user

    user = person("Paula Plain", "plain@roles.example")
    admin = person("Ada Admin", "admin@roles.example", admin=True)
    invited = person("Ina Invited", "invited@roles.example", password=False)
    session.flush()
    consultation = Consultation(title="Kita-Bedarfsplan", description="", created_by=admin)
    session.add(consultation)
    session.flush()
    session.add(Membership(consultation_id=consultation.id, user_id=user.id, role="participant"))
    link = accounts.issue_one_time_token(session, invited, "invite", 72)
    session.commit()

    ids: dict[str, Any] = {
        "organisation_id": org.id,
        "user_id": invited.id,
        "consultation_id": consultation.id,
        "token": link,
        "filename": "css/app.css",
    }
    session.close()
    yield World(app, connection, ids, user, admin)
    outer.rollback()
    connection.close()


@pytest.fixture
def fresh_world(world: World) -> Iterator[World]:
    """The world as set up: whatever a test's requests change is rolled back after it."""
    savepoint = world.connection.begin_nested()
    limiter.reset()
    yield world
    if savepoint.is_active:
        savepoint.rollback()


def url_for_route(app: Flask, route: Route, ids: dict[str, Any]) -> str:
    """The route's URL, with known ids filled in and unknown ones made up."""
    values = {name: ids.get(name, fallback) for name, fallback in route.arguments}
    adapter = app.url_map.bind("consult.test")
    path: str = adapter.build(route.endpoint, values, method=route.method)
    return path


def client_as(world: World, role: str) -> CSRFClient:
    client: CSRFClient = world.app.test_client()  # type: ignore[assignment]
    if role != "anonymous":
        user = world.admin if role == "admin" else world.user
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def call(client: CSRFClient, route: Route, path: str) -> Any:
    kwargs: dict[str, Any] = {"method": route.method}
    if route.method != "GET":
        if route.is_api:
            kwargs["json"] = {}
        else:
            kwargs["data"] = {}
    return client.open(path, **kwargs)


# --- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_role_x_endpoint(fresh_world: World, route: Route, role: str) -> None:
    world = fresh_world
    path = url_for_route(world.app, route, world.ids)
    response = call(client_as(world, role), route, path)
    status = response.status_code
    where = f"{role}: {route.method} {path} -> {status}"

    assert status < 500, where
    if status >= 400 and route.is_api:
        error = response.get_json()["error"]
        assert error["code"] and error["message"], where

    if role == "anonymous":
        if route.is_public:
            assert status not in (401, 403), where
            assert not _is_login_redirect(response), where
        elif route.is_api:
            assert status == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        elif route.method == "GET":
            assert status == 302, where
            target = urlsplit(response.location)
            assert target.path == "/login", where
            assert parse_qs(target.query)["next"] == [path], where
        else:
            assert status == 401, where
            assert "Anmeldung erforderlich" in response.get_data(as_text=True), where
        return

    assert status != 401, where
    assert not _is_login_redirect(response) or route.endpoint == "auth.logout", where
    if route.is_admin_page:
        if role == "user":
            assert status == 403, where
            assert "Kein Zugriff" in response.get_data(as_text=True), where
        else:
            assert status != 403, where
            if route.method == "GET":
                assert status == 200, where


def _is_login_redirect(response: Any) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and urlsplit(
        response.location
    ).path.startswith("/login")


def test_public_endpoints_are_exactly_the_expected_ones() -> None:
    assert permissions.PUBLIC_ENDPOINTS == PUBLIC_WEB_ENDPOINTS
    endpoints = {route.endpoint for route in ROUTES}
    assert endpoints >= PUBLIC_WEB_ENDPOINTS | PUBLIC_API_ENDPOINTS
    from consult.api.base import PUBLIC

    assert PUBLIC == PUBLIC_API_ENDPOINTS


def test_the_walk_covers_the_foundation() -> None:
    """Guard against an empty or broken walk (which would make the matrix test vacuous)."""
    endpoints = {route.endpoint for route in ROUTES}
    assert {
        "main.index",
        "profile.show",
        "profile.create_token",
        "admin.organisations",
        "admin.edit_user",
        "admin.reinvite",
        "api.me",
        "api.create_organisation",
    } <= endpoints
    assert any(route.is_admin_page and route.method == "POST" for route in ROUTES)


@pytest.mark.parametrize("unknown", [UNKNOWN_ID, 2**31, 2**63, 10**30])
def test_unknown_ids_are_404_not_500(fresh_world: World, unknown: int) -> None:
    client = client_as(fresh_world, "admin")
    checked = 0
    for route in ROUTES:
        numeric = [name for name, value in route.arguments if value == UNKNOWN_ID]
        if route.method != "GET" or not numeric:
            continue
        ids = {name: unknown for name in numeric}
        path = url_for_route(fresh_world.app, route, ids)
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        checked += 1
    assert checked >= 3
