"""Log-in, log-out, rate limits and CSRF through the web forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from consult.db import database, utcnow
from consult.extensions import limiter
from consult.models import OneTimeToken, OutboxMessage, User
from consult.services import accounts
from tests import support
from tests.conftest import PASSWORD, CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


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


# --- logging out: the session and the "remember me" cookie end -------------------------------

SESSION_COOKIE = "consult_session"
REMEMBER_COOKIE = "remember_token"


def held_cookies(client: CSRFClient) -> dict[str, str]:
    """The session and "remember me" cookies the client holds now, by name."""
    found = {}
    for name in (SESSION_COOKIE, REMEMBER_COOKIE):
        cookie = client.get_cookie(name)
        if cookie is not None:
            found[name] = cookie.value
    return found


def signed_in(client: CSRFClient) -> bool:
    response = client.get("/profile/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def log_in(client: CSRFClient, user: User, *, remember: bool = False) -> None:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert signed_in(client)


def test_logout_after_remember_me_deletes_the_remember_cookie(
    client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    db.commit()
    log_in(client, user, remember=True)
    assert held_cookies(client).keys() == {SESSION_COOKIE, REMEMBER_COOKIE}

    assert client.post("/logout").status_code == 302
    assert REMEMBER_COOKIE not in held_cookies(client)  # the answer deleted it
    assert not signed_in(client)  # and the next request is not logged in again
    assert not signed_in(client)


def test_cookies_kept_through_the_logout_log_nobody_in(
    app: Flask, client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    """A client that keeps both cookies through the logout (a copy, or a browser that
    ignores the deletion) is anonymous afterwards: they carry the login id of before."""
    user = make_user()
    db.commit()
    log_in(client, user, remember=True)
    kept = held_cookies(client)
    assert kept.keys() == {SESSION_COOKIE, REMEMBER_COOKIE}

    assert client.post("/logout").status_code == 302
    for name, value in kept.items():
        client.set_cookie(name, value)
    assert not signed_in(client)
    # Nor does the "remember me" cookie alone, in a browser without a session.
    other: CSRFClient = app.test_client()  # type: ignore[assignment]
    other.set_cookie(REMEMBER_COOKIE, kept[REMEMBER_COOKIE])
    assert not signed_in(other)


def test_a_copied_session_cookie_is_dead_after_logout(
    app: Flask, client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    db.commit()
    log_in(client, user)
    copy = held_cookies(client)[SESSION_COOKIE]  # e.g. taken from a shared computer
    thief: CSRFClient = app.test_client()  # type: ignore[assignment]
    thief.set_cookie(SESSION_COOKIE, copy)
    assert signed_in(thief)  # the copy works while the session lasts ...

    assert client.post("/logout").status_code == 302
    assert not signed_in(thief)  # ... and not after the logout
    thief.set_cookie(SESSION_COOKIE, copy)
    assert not signed_in(thief)


def test_logout_ends_the_persons_other_sessions_too(
    app: Flask, client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    """Like a password change, a logout ends every session of the person (the session
    nonce in the login id changes); the message says so. Logging in again works."""
    user = make_user()
    db.commit()
    laptop: CSRFClient = app.test_client()  # type: ignore[assignment]
    log_in(laptop, user, remember=True)
    log_in(client, user)

    client.post("/logout")
    assert "Sie haben sich abgemeldet. Auch Ihre Sitzungen auf anderen Geräten sind beendet." in (
        support.page(client.get("/login"))
    )
    assert not signed_in(laptop)
    log_in(laptop, user)
    log_in(client, user)


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


def from_address(address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": address}


def test_a_flood_from_one_address_does_not_lock_the_account_out_elsewhere(
    client: CSRFClient, make_user: Callable[..., User], db
) -> None:
    """The account limit counts per address: whoever knows an e-mail address can stop
    their own guessing, not the person it belongs to."""
    user = make_user()
    db.commit()
    attacker = from_address("203.0.113.9")
    for _ in range(10):
        response = client.post(
            "/login", data={"email": user.email, "password": "falsch"}, environ_base=attacker
        )
        assert response.status_code == 401
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base=attacker
    )
    assert response.status_code == 429
    # The owner, elsewhere, logs in (and a mistyped password there is a plain 401).
    owner = from_address("198.51.100.7")
    response = client.post(
        "/login", data={"email": user.email, "password": "vertippt"}, environ_base=owner
    )
    assert response.status_code == 401
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, environ_base=owner
    )
    assert response.status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    tmp_path: Path,
    database_url: str,
    connection: Connection,
    make_user: Callable[..., User],
    db: Session,
) -> None:
    """With CONSULT_TRUSTED_PROXIES=1 the limits count the client's address as the proxy
    forwarded it, not the proxy's own (which every request would share)."""
    proxied = support.make_app(tmp_path, database_url, trusted_proxies=1)
    database(proxied).sessionmaker.configure(
        bind=connection, join_transaction_mode="create_savepoint"
    )
    limiter.reset()
    client = proxied.test_client()
    user = make_user()
    db.commit()
    proxy = from_address("127.0.0.1")
    for _ in range(10):
        response = client.post(
            "/login",
            data={"email": user.email, "password": "falsch"},
            headers={"X-Forwarded-For": "203.0.113.30"},
            environ_base=proxy,
        )
        assert response.status_code == 401
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.30"},
        environ_base=proxy,
    )
    assert response.status_code == 429
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.31"},
        environ_base=proxy,
    )
    assert response.status_code == 302


def test_one_address_guessing_many_accounts_is_limited(client: CSRFClient) -> None:
    address = from_address("203.0.113.10")
    for n in range(50):
        response = client.post(
            "/login",
            data={"email": f"person{n}@example.org", "password": "falsch"},
            environ_base=address,
        )
        assert response.status_code == 401, n
    response = client.post(
        "/login", data={"email": "noch-eine@example.org", "password": "x"}, environ_base=address
    )
    assert response.status_code == 429
    # Another address is not affected.
    response = client.post(
        "/login",
        data={"email": "noch-eine@example.org", "password": "x"},
        environ_base=from_address("203.0.113.11"),
    )
    assert response.status_code == 401


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


# --- password reset by e-mail ----------------------------------------------------------------

RESET_SENT = (
    "Wenn die Adresse bei uns registriert ist, haben wir einen Link zum Zurücksetzen "
    "geschickt. Er gilt 2 Stunden."
)
NEW_PASSWORD = "Frisches-Kennwort-99"


def request_reset(client: CSRFClient, email: str) -> str:
    """Ask for a reset link; returns the page shown after the redirect."""
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 302
    assert response.location == "/login"
    return support.page(client.get("/login"))


def test_forgot_password_page(client: CSRFClient) -> None:
    html = support.page(client.get("/password/forgot"))
    assert "Passwort vergessen" in html
    assert 'for="email"' in html
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in support.page(
        client.get("/login")
    )


def test_password_reset_by_email(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("Rolf Reset", email="rolf@example.org")
    db.commit()
    assert RESET_SENT in request_reset(client, "ROLF@example.org")

    [mail] = support.mails(app)
    assert mail["to"] == "rolf@example.org"
    assert mail["subject"] == "Passwort zurücksetzen"
    assert "Guten Tag Rolf Reset" in mail["body"]
    assert "gültig 2 Stunden" in mail["body"]
    link = support.link_in(mail)

    form = support.page(client.get(link))
    assert "Neues Passwort festlegen" in form and "rolf@example.org" in form
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Ihr Passwort ist gespeichert. Sie sind angemeldet." in support.page(client.get("/"))
    client.post("/logout")

    old = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 302


def test_unknown_email_gets_the_same_message_and_nothing_is_sent(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="bekannt@example.org")
    inactive = make_user(email="inaktiv@example.org", active=False)
    db.commit()
    outbox = db.scalar(select(func.count()).select_from(OutboxMessage))
    links = db.scalar(select(func.count()).select_from(OneTimeToken))

    unknown = request_reset(client, "unbekannt@example.org")
    assert RESET_SENT in unknown
    assert RESET_SENT in request_reset(client, inactive.email)
    assert support.mails(app) == []
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == outbox
    assert db.scalar(select(func.count()).select_from(OneTimeToken)) == links

    # a known address shows exactly the same page (apart from the CSRF token)
    known = request_reset(client, "bekannt@example.org")
    assert len(support.mails(app)) == 1

    def without_tokens(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert without_tokens(known) == without_tokens(unknown)


def test_reset_link_works_once(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="einmal@example.org")
    db.commit()
    request_reset(client, "einmal@example.org")
    link = support.link_in(support.mails(app)[0])
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    client.post("/logout")

    other: CSRFClient = app.test_client()  # type: ignore[assignment]
    for response in (
        other.get(link),
        other.post(
            link, data={"password": "Noch-Ein-Kennwort-1", "confirm": "Noch-Ein-Kennwort-1"}
        ),
    ):
        assert response.status_code == 404
        html = support.page(response)
        assert "Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie einen neuen an." in html
        assert '<html lang="de">' in html
    assert other.get("/profile/").status_code == 302  # not logged in


def test_expired_reset_link_shows_a_german_message(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(email="alt@example.org")
    db.commit()
    request_reset(client, "alt@example.org")
    link = support.link_in(support.mails(app)[0])
    assert client.get(link).status_code == 200

    row = db.scalar(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    assert row is not None
    assert timedelta(hours=1, minutes=59) < row.expires_at - utcnow() <= timedelta(hours=2)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    before = user.password_hash

    for response in (
        client.get(link),
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ):
        assert response.status_code == 404
        assert "Dieser Link ist ungültig oder abgelaufen" in support.page(response)
    db.refresh(user)
    assert user.password_hash == before


def test_a_new_reset_link_ends_the_previous_one(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="zweimal@example.org")
    db.commit()
    request_reset(client, "zweimal@example.org")
    request_reset(client, "zweimal@example.org")
    first, second = (support.link_in(m) for m in support.mails(app))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_forgot_password_is_rate_limited(client: CSRFClient) -> None:
    for _ in range(5):
        assert client.post("/password/forgot", data={"email": "x@example.org"}).status_code == 302
    response = client.post("/password/forgot", data={"email": "x@example.org"})
    assert response.status_code == 429
    assert "Zu viele" in support.page(response)


def test_forgot_password_is_limited_per_address_over_many_accounts(client: CSRFClient) -> None:
    address = from_address("203.0.113.20")
    for n in range(10):
        response = client.post(
            "/password/forgot", data={"email": f"x{n}@example.org"}, environ_base=address
        )
        assert response.status_code == 302
    response = client.post(
        "/password/forgot", data={"email": "x99@example.org"}, environ_base=address
    )
    assert response.status_code == 429


def test_reset_link_rejects_weak_passwords(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="schwach@example.org")
    db.commit()
    request_reset(client, "schwach@example.org")
    link = support.link_in(support.mails(app)[0])
    response = client.post(link, data={"password": "kurz", "confirm": "kurz"})
    assert response.status_code == 422
    html = support.page(response)
    assert 'aria-describedby="password-hint password-error"' in html
    assert "Mindestens 10 Zeichen" in html
    assert client.get(link).status_code == 200  # still usable


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("passwort123", "Steht auf der Liste häufig verwendeter Passwörter"),
        ("Sommer2024!", "Steht auf der Liste häufig verwendeter Passwörter"),
        ("mnbvcxy-lkjhg", "Tastaturfolge"),
        ("Rolf-Reset-2026", "Enthält Ihren Namen"),
        ("RR@example.org", "Nicht die E-Mail-Adresse"),
        ("rr@example.org-1234", "Enthält Ihre E-Mail-Adresse"),
    ],
)
def test_reset_link_refuses_common_and_guessable_passwords(
    app: Flask,
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    password: str,
    reason: str,
) -> None:
    user = make_user("Rolf Reset", email="rr@example.org")
    db.commit()
    request_reset(client, user.email)
    link = support.link_in(support.mails(app)[0])
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 422
    assert reason in support.field_error(support.page(response), "password")
    assert not signed_in(client)
    db.refresh(user)
    assert accounts.authenticate(db, user.email, PASSWORD) is user  # unchanged
    assert client.get(link).status_code == 200  # still usable


def test_login_with_wrong_password_shows_a_german_message(
    client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    db.commit()
    response = client.post("/login", data={"email": user.email, "password": "falsch-falsch"})
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in support.page(response)
    unknown = client.post("/login", data={"email": "nie@example.org", "password": "x"})
    assert "E-Mail-Adresse oder Passwort ist falsch." in support.page(unknown)


def test_inactive_user_cannot_log_in(
    client: CSRFClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user(active=False)
    db.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


# --- language --------------------------------------------------------------------------------


def test_language_switch_to_english_and_back(client: CSRFClient) -> None:
    assert '<html lang="de">' in support.page(client.get("/login"))
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.location == "/login"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    html = support.page(client.get("/login"))
    assert '<html lang="en">' in html
    assert 'name="lang" value="de"' in html  # the switch now offers German

    client.post("/language", data={"lang": "de", "next": "/login"})
    assert '<html lang="de">' in support.page(client.get("/login"))


def test_language_switch_ignores_unknown_languages_and_foreign_targets(
    client: CSRFClient,
) -> None:
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.location == "/"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "de"


def test_language_switch_without_csrf_is_400(client: CSRFClient) -> None:
    response = client.post("/language", data={"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert client.get_cookie("lang") is None


def test_german_is_the_default_until_english_is_chosen(client: CSRFClient) -> None:
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    assert '<html lang="de">' in support.page(client.get("/login", headers=english_browser))
    client.post("/language", data={"lang": "en"})
    assert '<html lang="en">' in support.page(client.get("/login", headers=english_browser))
    assert '<html lang="en">' in support.page(client.get("/login"))


def test_signed_in_users_language_choice_is_kept(
    app: Flask, client: CSRFClient, db: Session, make_user: Callable[..., User], login
) -> None:
    user = make_user()
    user.locale = "de"
    login(user)
    client.post("/language", data={"lang": "en", "next": "/profile/"})
    assert '<html lang="en">' in support.page(client.get("/profile/"))
    db.refresh(user)
    assert user.locale == "en"
