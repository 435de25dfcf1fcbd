"""The privacy page, the profile's "Ihre Daten" and erasing an account in the browser."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consult.models import User
from consult.services import privacy
from tests import support
from tests.conftest import PASSWORD, CSRFClient

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


def test_the_privacy_page_is_public_and_linked_in_the_footer(client: CSRFClient) -> None:
    response = client.get("/datenschutz")
    assert response.status_code == 200
    text = support.page(response)
    for heading in ("Was gespeichert wird", "Wer was sieht", "Wie lange", "Ihre Rechte"):
        assert heading in text
    assert privacy.ERASED_NAME in text
    assert 'href="/datenschutz"' in client.get("/login").get_data(as_text=True)


def test_the_privacy_page_names_the_retention(
    client: CSRFClient, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.extensions["consult_settings"]  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "retention_months", 24)
    assert "24 Monate lang" in support.page(client.get("/datenschutz"))


def test_the_profile_offers_the_download(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("Nora Neumann", email="nora@example.org")
    support.sign_in(client, db, user)
    text = support.page(client.get("/profile/"))
    assert "Ihre Daten" in text and 'href="/profile/data"' in text
    assert "data-confirm=" in text and "Konto löschen" in text

    download = client.get("/profile/data")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.get_data())["account"]["email"] == "nora@example.org"


def test_erasing_asks_first_then_needs_the_password(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("Otto Ostermann", email="otto@example.org")
    support.sign_in(client, db, user)

    asked = client.post("/profile/erasure", data={"current_password": PASSWORD})
    assert asked.status_code == 200
    page = support.page(asked)
    assert "Ihr Konto endgültig löschen?" in page and 'name="confirmed"' in page
    assert PASSWORD not in page  # never written into a page
    db.expire_all()
    assert db.get(User, user.id).erased_at is None  # type: ignore[union-attr]

    wrong = client.post("/profile/erasure", data={"current_password": "falsch", "confirmed": "1"})
    assert wrong.status_code == 422
    assert "Stimmt nicht." in support.field_error(support.page(wrong), "current_password")
    db.expire_all()
    assert db.get(User, user.id).erased_at is None  # type: ignore[union-attr]

    done = client.post("/profile/erasure", data={"current_password": PASSWORD, "confirmed": "1"})
    assert done.status_code == 302 and done.location.endswith("/datenschutz")
    db.expire_all()
    assert db.get(User, user.id).name == privacy.ERASED_NAME  # type: ignore[union-attr]
    assert client.get("/profile/").status_code == 302  # signed out


def test_an_admin_erases_an_account_after_confirming(
    client: CSRFClient, db: Session, make_user: Callable[..., User], admin: User
) -> None:
    user = make_user("Paul Peters", email="paul@example.org")
    support.sign_in(client, db, admin)
    edit = support.page(client.get(f"/admin/users/{user.id}"))
    assert f'action="/admin/users/{user.id}/erase"' in edit

    asked = client.post(f"/admin/users/{user.id}/erase")
    assert asked.status_code == 200 and "Paul Peters" in support.page(asked)
    db.expire_all()
    assert db.get(User, user.id).erased_at is None  # type: ignore[union-attr]

    done = client.post(f"/admin/users/{user.id}/erase", data={"confirmed": "1"})
    assert done.status_code == 302
    listing = support.page(client.get("/admin/users"))
    assert "Paul Peters" not in listing and "paul@example.org" not in listing
    assert "gelöscht" in support.page(client.get(f"/admin/users/{user.id}"))


def test_people_cannot_erase_others_through_the_admin_page(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    one, other = make_user(), make_user()
    support.sign_in(client, db, one)
    for target in (other, one):
        answer = client.post(f"/admin/users/{target.id}/erase", data={"confirmed": "1"})
        assert answer.status_code == 403
    db.expire_all()
    assert db.get(User, one.id).erased_at is None  # type: ignore[union-attr]
