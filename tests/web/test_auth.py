"""Log-in, log-out, rate limits and CSRF through the web forms."""

from __future__ import annotations

from collections.abc import Callable

from consult.models import User
from tests.conftest import PASSWORD, CSRFClient


def test_login_page_is_german(client: CSRFClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Anmelden" in html
    assert 'for="email"' in html and 'for="password"' in html


def test_pages_need_login(client: CSRFClient) -> None:
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/profile/")


def test_login_and_logout(client: CSRFClient, make_user: Callable[..., User], login) -> None:
    user = make_user("Lea Lehmann")
    login(user)
    assert "Lea Lehmann" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405  # logout is POST only
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/profile/").status_code == 302


def test_login_without_csrf_is_400(client: CSRFClient, make_user: Callable[..., User], db) -> None:
    user = make_user()
    db.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_eleventh_failed_login_is_429(
    client: CSRFClient, make_user: Callable[..., User], db
) -> None:
    user = make_user()
    db.commit()
    for _ in range(10):
        response = client.post("/login", data={"email": user.email, "password": "falsch-falsch"})
        assert response.status_code == 401
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Zu viele Anmeldeversuche" in response.get_data(as_text=True)


def test_next_only_to_local_paths(client: CSRFClient, make_user: Callable[..., User], db) -> None:
    user = make_user()
    db.commit()
    for target, expected in [
        ("/profile/", "/profile/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = client.post(
            f"/login?next={target}", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response.location == expected
        client.post("/logout")
