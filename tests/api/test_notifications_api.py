"""GET and PUT /api/v1/me/notifications (issue 14)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consult.models import NotificationKind, NotificationMode, User
from consult.services import notification_settings
from tests import support
from tests.conftest import CSRFClient

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)

ALL_IMMEDIATELY = {kind.value: "immediately" for kind in NotificationKind}


def test_get_and_put_the_settings(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Nina Notiz")
    headers = token_for(user)
    response = client.get("/api/v1/me/notifications", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == ALL_IMMEDIATELY
    response = client.put(
        "/api/v1/me/notifications",
        json={"revision": "digest", "reply": "off"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {**ALL_IMMEDIATELY, "revision": "digest", "reply": "off"}
    db.expire_all()
    assert notification_settings.get_mode(db, user, NotificationKind.REVISION) is (
        NotificationMode.DIGEST
    )
    assert user.notify_replies is False


@pytest.mark.parametrize(
    "body", [{"revision": "sometimes"}, {"reply": True}, {"reply": None, "decisions": 3}]
)
def test_bad_settings_are_422_and_change_nothing(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
    body: dict[str, object],
) -> None:
    user = make_user("Nina Notiz")
    headers = token_for(user)
    response = client.put("/api/v1/me/notifications", json=body, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["fields"]
    assert client.get("/api/v1/me/notifications", headers=headers).get_json() == ALL_IMMEDIATELY


def test_settings_need_a_token(client: CSRFClient) -> None:
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.put("/api/v1/me/notifications", json={}).status_code == 401
