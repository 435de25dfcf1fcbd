"""Shared fixtures: a migrated test database, per-test rollback, app, clients, factories.

The database is SQLite in a temporary folder unless ``CONSULT_DATABASE_URL`` names
another one (``.ci/run`` points it at a PostgreSQL it starts). Every test runs in a
transaction that is rolled back afterwards; the app's own commits become savepoints.
"""

from __future__ import annotations

import functools
import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from consult import create_app
from consult.config import Settings, test_database_url
from consult.db import database, make_engine
from consult.extensions import limiter
from consult.models import Membership, Organisation, User
from consult.services import api_tokens

# CI runs the property tests with fixed examples (reproducible runs); local runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

PASSWORD = "Richtig-Geheim-2026"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def reset_schema(engine: Engine) -> None:
    """Drop everything in the test database (PostgreSQL) before migrating it."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    from consult.cli import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, revision)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return test_database_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    reset_schema(engine)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "instance_path": tmp_path / "instance",
        "database_url": database_url,
        "secret_key": "test-" + secrets.token_hex(8),
        "mail_backend": "file",
        "mail_dir": tmp_path / "mail",
        "mail_delivery": "sync",
        "testing": True,
        "base_url": "http://consult.test",
    }
    values.update(overrides)
    return Settings(**values)


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every non-GET, as a browser form would.

    Pass ``csrf=False`` to send none (to test the protection itself).
    """

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if not raw:
                raw = secrets.token_hex(20)
                sess["csrf_token"] = raw
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        send_csrf = kwargs.pop("csrf", True)
        method = str(kwargs.get("method", "GET")).upper()
        if send_csrf and method not in SAFE and not _has_bearer(kwargs):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # Each request gets its own app context (its own flask.g, database session and
        # signed-in user), as in production, even while the test holds one open.
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _has_bearer(kwargs: dict[str, Any]) -> bool:
    headers = kwargs.get("headers") or {}
    return any(k.lower() == "authorization" for k in dict(headers))


@pytest.fixture
def app(connection: Connection, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    app = create_app(make_settings(tmp_path, database_url))
    app.test_client_class = CSRFClient
    database(app).sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> CSRFClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test transaction (services tier)."""
    session = database(app).sessionmaker()
    yield session
    session.close()


_counter = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_org(db: Session) -> Callable[..., Organisation]:
    def make(name: str | None = None, kind: str = "welfare") -> Organisation:
        org = Organisation(name=name or f"Organisation {next(_counter)}", kind=kind, is_active=True)
        db.add(org)
        db.flush()
        return org

    return make


@pytest.fixture
def make_user(db: Session, make_org: Callable[..., Organisation]) -> Callable[..., User]:
    from werkzeug.security import generate_password_hash

    hashed = _password_hash()

    def make(
        name: str | None = None,
        *,
        email: str | None = None,
        admin: bool = False,
        organisation: Organisation | None = None,
        password: str | None = PASSWORD,
        active: bool = True,
    ) -> User:
        n = next(_counter)
        user = User(
            email=email or f"person{n}@example.org",
            email_key=(email or f"person{n}@example.org").lower(),
            name=name or f"Person {n}",
            organisation=organisation or make_org(),
            is_admin=admin,
            is_active=active,
            password_hash=(hashed if password == PASSWORD else generate_password_hash(password))
            if password
            else None,
        )
        db.add(user)
        db.flush()
        return user

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("Ada Admin", email="admin@example.org", admin=True)


@pytest.fixture
def add_member(db: Session) -> Callable[..., Membership]:
    def add(consultation_id: int, user: User, role: str) -> Membership:
        membership = Membership(consultation_id=consultation_id, user_id=user.id, role=role)
        db.add(membership)
        db.flush()
        return membership

    return add


@pytest.fixture
def login(client: CSRFClient, db: Session) -> Callable[[User], CSRFClient]:
    """Log the client in as a user (through the real login form)."""

    def do(user: User, password: str = PASSWORD) -> CSRFClient:
        db.commit()  # make the user visible to the app's session (a savepoint here)
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do


@pytest.fixture
def token_for(db: Session) -> Callable[[User], dict[str, str]]:
    """Authorization headers with a fresh API token of the user."""

    def make(user: User) -> dict[str, str]:
        _, raw = api_tokens.create_api_token(db, actor=user, name="test")
        db.commit()
        return {"Authorization": f"Bearer {raw}"}

    return make
