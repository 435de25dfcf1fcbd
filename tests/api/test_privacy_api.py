"""GET /me/data and POST /me/erasure (API.md, "Search, audit, personal data")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consult.models import User
from consult.services import privacy
from tests import support
from tests.conftest import CSRFClient

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


def test_my_data_is_everything_about_the_caller(
    client: CSRFClient, make_user: Callable[..., User], token_for: Callable[[User], dict[str, str]]
) -> None:
    user = make_user("Hanna Hoffmann", email="hanna@example.org")
    headers = token_for(user)
    response = client.get("/api/v1/me/data", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["account"]["name"] == "Hanna Hoffmann"
    assert data["account"]["email"] == "hanna@example.org"
    assert [t["name"] for t in data["api_tokens"]] == ["test"]
    assert headers["Authorization"].split()[1] not in response.get_data(as_text=True)
    for key in ("memberships", "working_groups", "feedback", "replies", "emails", "logins"):
        assert key in data
    assert set(data["statements"]) == {"versions", "drafts"}


def test_my_data_needs_a_token(client: CSRFClient) -> None:
    response = client.get("/api/v1/me/data")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_erasure_is_202_and_the_token_stops_working(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Jan Janssen", email="jan@example.org")
    headers = token_for(user)
    response = client.post("/api/v1/me/erasure", headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["status"] == "erased"

    again = client.get("/api/v1/me", headers=headers)
    assert again.status_code == 401
    assert again.get_json()["error"]["code"]
    assert client.post("/api/v1/me/erasure", headers=headers).status_code == 401
    db.expire_all()
    erased = db.get(User, user.id)
    assert erased is not None and erased.name == privacy.ERASED_NAME
    assert "jan@example.org" not in erased.email


def test_an_admin_sees_the_erased_account_anonymised(
    client: CSRFClient,
    make_user: Callable[..., User],
    admin: User,
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Lea Lorenz", email="lea@example.org")
    assert client.post("/api/v1/me/erasure", headers=token_for(user)).status_code == 202
    answer = client.get(f"/api/v1/users/{user.id}", headers=token_for(admin))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Lea Lorenz" not in text and "lea@example.org" not in text
    listed = client.get("/api/v1/users", headers=token_for(admin)).get_data(as_text=True)
    assert "Lea Lorenz" not in listed


def test_both_are_in_the_openapi_document(client: CSRFClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "202" in paths["/me/erasure"]["post"]["responses"]
    assert "200" in paths["/me/data"]["get"]["responses"]
