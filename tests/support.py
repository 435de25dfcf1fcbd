"""Helpers for the web and API tiers: a module-wide app, fast sign-in, mail and page helpers.

Why a module-wide app: building the app (about a hundred URL rules) and compiling its
templates is most of the cost of a web test, so these tiers build one app per module and
put it on each test's own rolled-back transaction (``use_app``).

Why no app context is pushed around the requests (unlike ``tests/conftest.py``'s ``app``):
a pushed app context is shared by every request of the test, so they would share flask.g,
that is one database session (whose objects never expire) and Flask-Login's cached user;
two browsers of one test would even see each other's user. Here every request gets its own
app context, as in production.

A module uses it by overriding the ``app`` fixture::

    module_app = pytest.fixture(scope="module")(support.module_app)
    app = pytest.fixture(support.app)
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import create_app
from consult.db import Base, database
from consult.extensions import limiter
from consult.models import User
from tests import conftest
from tests.conftest import PASSWORD, CSRFClient, make_settings


def make_app(tmp_path: Path, database_url: str, **settings: Any) -> Flask:
    app = create_app(make_settings(tmp_path, database_url, **settings))
    app.test_client_class = CSRFClient
    return app


def module_app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Flask:
    """Fixture body (module scope): one app for all tests of a module."""
    return make_app(tmp_path_factory.mktemp("app"), database_url)


#: Password hashing made cheap for these tiers (as Django's test settings do): scrypt costs
#: about 0.1 s per hash on purpose. The hashing itself is tested in tests/services.
FAST_HASH = "pbkdf2:sha256:1000"


def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from consult.services import accounts

    def generate(password: str, method: str = FAST_HASH, salt_length: int = 16) -> str:
        return generate_password_hash(password, method=FAST_HASH, salt_length=salt_length)

    monkeypatch.setattr(accounts, "generate_password_hash", generate)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", generate("not-a-password"))
    fast = generate(PASSWORD)
    monkeypatch.setattr(conftest, "_password_hash", lambda: fast)


def app(
    module_app: Flask, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """Fixture body (overrides conftest's ``app``): the module's app on this test's transaction."""
    fast_password_hashing(monkeypatch)
    database(module_app).sessionmaker.configure(
        bind=connection, join_transaction_mode="create_savepoint"
    )
    limiter.reset()
    mail_dir: Path = module_app.extensions["consult_settings"].mail_dir
    shutil.rmtree(mail_dir, ignore_errors=True)
    yield module_app
    shutil.rmtree(mail_dir, ignore_errors=True)


def sign_in(client: CSRFClient, db: Session, user: User) -> CSRFClient:
    """Log in without the (deliberately slow) password check: put the user in the session.

    The log-in form itself is tested in tests/web/test_auth.py.
    """
    db.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a rejected request wrote nothing."""
    db.expire_all()
    return {
        table.name: sorted(db.execute(select(table)).all(), key=repr)
        for table in Base.metadata.sorted_tables
    }


def mails(app: Flask) -> list[dict[str, str]]:
    """The e-mails the file backend wrote, oldest first: to, subject, body."""
    directory: Path = app.extensions["consult_settings"].mail_dir
    found = []
    for path in sorted(directory.glob("*.eml")) if directory.exists() else []:
        message: Any = message_from_bytes(path.read_bytes(), policy=policy.default)
        # (a message with attachments is multipart: its text is the plain part)
        text = message.get_body(preferencelist=("plain",))
        found.append(
            {"to": message["To"], "subject": message["Subject"], "body": text.get_content()}
        )
    return found


def link_in(mail: dict[str, str]) -> str:
    """The local path of the set-password link in an e-mail (an absolute URL there)."""
    match = re.search(r"http://consult\.test(/password/set/[A-Za-z0-9_-]+)", mail["body"])
    assert match, mail["body"]
    return match.group(1)


def page(response: Any) -> str:
    """The response body as text, HTML entities resolved."""
    return html_lib.unescape(response.get_data(as_text=True))


def field_error(html: str, field_id: str) -> str:
    """The error shown at a form field; checks that the input points at it.

    The input must carry aria-invalid and name the error's id in aria-describedby.
    """
    tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    assert described and f"{field_id}-error" in described.group(1).split(), tag.group(0)
    message = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert message, f"no error text for {field_id}"
    return html_lib.unescape(message.group(1)).strip()
