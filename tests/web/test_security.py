"""Security baseline of the HTML side: headers, cookies, no inline script, error pages, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, NumberConverter

from consult.db import database
from consult.errors import Conflict, Invalid
from consult.models import Consultation, Organisation, User
from consult.security import _up_to
from consult.services import accounts
from tests import support
from tests.conftest import PASSWORD, CSRFClient

# --- helpers ---------------------------------------------------------------------------------


def fail(status: int) -> str:
    """A test-only view that fails in the way asked for."""
    if status == 500:
        raise RuntimeError("geheimer Zustand in /srv/consult/secret.py, Zeile 42")
    if status == 409:
        raise Conflict("Die Aktion passt nicht zum aktuellen Stand.")
    if status == 422:
        raise Invalid("Die Eingaben sind nicht gültig.")
    abort(status)


def fail_lookup() -> str:
    raise KeyError("geheimer_schluessel")


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Flask:
    """The module's app, with test-only routes that fail (added before the first request)."""
    app = support.module_app(tmp_path_factory, database_url)
    app.add_url_rule("/_test/fehler/<int:status>", "test_fail", fail)
    app.add_url_rule("/_test/fehler/key", "test_fail_lookup", fail_lookup)
    return app


# The module's app on each test's own transaction, one app context per request.
app = pytest.fixture(support.app)


TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b([^>]*)>", re.S)
EVENT_HANDLER = re.compile(r"""(?:^|[\s"'/])on[a-z]+\s*=""", re.I)
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def check_headers(response: Any, where: object = "") -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, where
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, where
    assert "*" not in script_src, where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert "'unsafe-inline'" not in directives.get("style-src", []), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }, where


def check_html(html: str, where: object = "") -> None:
    """No inline script of any kind (the CSP would block it), and CSRF in every POST form."""
    for tag, attributes in TAG.findall(html):
        assert not EVENT_HANDLER.search(attributes), (where, f"<{tag}{attributes}>")
        assert "javascript:" not in attributes.lower(), (where, f"<{tag}{attributes}>")
        assert not re.search(r"\sstyle\s*=", attributes, re.I), (where, f"<{tag}{attributes}>")
        if tag.lower() == "script":
            assert re.search(r"\ssrc\s*=", attributes), (where, "inline <script>")
    for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I):
        assert not body.strip(), (where, "script with content")
    assert not re.search(r"<style\b", html, re.I), (where, "inline <style>")
    for attributes, body in FORM.findall(html):
        if re.search(r"""method\s*=\s*["']?post""", attributes, re.I):
            assert re.search(r'name="([a-z]+-)?csrf_token"', body), (
                where,
                f"POST form without CSRF: {attributes}",
            )
    ids = [
        re.search(r'\bid="([^"]+)"', attributes).group(1)  # type: ignore[union-attr]
        for tag, attributes in TAG.findall(html)
        if re.search(r'\bid="', attributes) and 'type="hidden"' not in attributes
    ]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, (where, f"duplicate ids: {duplicates}")


def check_page(response: Any, where: object = "") -> str:
    check_headers(response, where)
    html: str = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        if not 300 <= response.status_code < 400:  # redirects carry Werkzeug's stub
            assert re.search(r'<html lang="(de|en)">', html), where
        check_html(html, where)
    return html


def test_the_html_checks_catch_what_they_should() -> None:
    """The regular expressions above are not vacuous."""
    bad = [
        '<button onclick="x()">',
        "<a href='#' onMouseOver='x()'>",
        '<img src="a.png" onerror=alert(1)>',
        "<script>alert(1)</script>",
        '<script type="module">import "./x.js"</script>',
        '<a href="javascript:alert(1)">',
        '<p style="color:red">',
        "<style>p{}</style>",
        '<form method="post"><input name="x"></form>',
        '<input id="name"><input id="name">',
    ]
    for html in bad:
        with pytest.raises(AssertionError):
            check_html(html)
    check_html(
        '<script type="module" src="/static/js/a.js"></script><p class="one">Person</p>'
        '<form method="post"><input type="hidden" name="csrf_token" value="t"></form>'
        '<form method="get"><input name="q"></form><button data-online="x">'
    )


# --- every page ------------------------------------------------------------------------------


@pytest.fixture
def objects(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
) -> dict[str, Any]:
    org = make_org("Schulamt Musterkreis", kind="school")
    invited = make_user("Ivo Invited", organisation=org, password=None)
    consultation = Consultation(title="Integrationskonzept", description="", created_by=admin)
    db.add(consultation)
    db.flush()
    link = accounts.issue_one_time_token(db, invited, "invite", 72)
    db.commit()
    return {
        "organisation_id": org.id,
        "user_id": invited.id,
        "consultation_id": consultation.id,
        "token": link,
        "filename": "css/app.css",
    }


def path_values(rule: Rule, ids: dict[str, Any]) -> dict[str, Any]:
    """Values for a rule's path arguments: known ids, else made-up values of the right kind."""
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if name in ids:
            values[name] = ids[name]
        elif isinstance(converter, NumberConverter):
            values[name] = 2_000_000_000
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "unbekannt"
    return values


def get_pages(app: Flask, ids: dict[str, Any]) -> list[str]:
    """A URL for every GET route of the HTML side (known ids filled in)."""
    adapter = app.url_map.bind("consult.test")
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "test_")) or "GET" not in (rule.methods or set()):
            continue
        urls.append(adapter.build(rule.endpoint, path_values(rule, ids)))
    assert len(urls) >= 8
    return sorted(urls)


@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])
def test_every_page_has_the_headers_and_no_inline_script(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    objects: dict[str, Any],
    role: str,
) -> None:
    if role == "admin":
        support.sign_in(client, db, admin)
    elif role == "user":
        support.sign_in(client, db, make_user())
    html_pages = 0
    for url in get_pages(app, objects):
        response = client.get(url)
        assert response.status_code < 500, url
        check_page(response, url)
        html_pages += response.mimetype == "text/html"
    assert html_pages >= 5


def test_api_and_static_responses_have_the_headers(client: CSRFClient) -> None:
    for url in ["/api/v1/openapi.json", "/api/v1/me", "/static/css/app.css", "/healthz"]:
        check_headers(client.get(url), url)


def test_pages_with_form_errors_have_no_inline_script(
    client: CSRFClient, db: Session, admin: User
) -> None:
    support.sign_in(client, db, admin)
    for url, data in [
        ("/admin/organisations", {"name": "", "kind": "welfare"}),
        ("/admin/users/new", {"name": "", "email": ""}),
        ("/profile/password", {"current_password": "", "password": "x", "confirm": "y"}),
        ("/profile/tokens", {"token-name": ""}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 422, url
        html = check_page(response, url)
        assert 'aria-invalid="true"' in html, url


def test_pages_are_not_cached(client: CSRFClient, db: Session, admin: User) -> None:
    support.sign_in(client, db, admin)
    assert client.get("/profile/").headers.get("Cache-Control") == "no-store"


# --- cookies ---------------------------------------------------------------------------------


def set_cookies(response: Any) -> dict[str, dict[str, Any]]:
    """name -> attributes (lower-case keys) of every Set-Cookie header of a response."""
    found: dict[str, dict[str, Any]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0].strip()
        parts = [p.strip() for p in header.split(";")[1:]]
        attributes: dict[str, Any] = {}
        for part in parts:
            key, _, value = part.partition("=")
            attributes[key.lower()] = value or True
        found[name] = attributes
    return found


def log_in_with_form(client: CSRFClient, user: User, remember: bool = False, **kwargs: Any) -> Any:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def test_cookies_are_httponly_and_samesite_lax(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    db.commit()
    cookies = set_cookies(log_in_with_form(client, user, remember=True))
    assert {"consult_session", "remember_token"} <= set(cookies)
    cookies.update(set_cookies(client.post("/language", data={"lang": "en"})))
    for name in ("consult_session", "remember_token", "lang"):
        attributes = cookies[name]
        assert attributes.get("httponly") is True, name
        assert attributes.get("samesite") == "Lax", name
        assert "secure" not in attributes, name  # plain http base URL in the tests


@pytest.fixture
def https_client(connection: Connection, tmp_path: Path, database_url: str) -> CSRFClient:
    """A client of an app whose base URL is https (same test database)."""
    secure_app = support.make_app(tmp_path, database_url, base_url="https://consult.test")
    database(secure_app).sessionmaker.configure(
        bind=connection, join_transaction_mode="create_savepoint"
    )
    return secure_app.test_client()  # type: ignore[return-value]


def test_cookies_are_secure_when_the_base_url_is_https(
    https_client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    db.commit()
    secure = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    response = log_in_with_form(https_client, user, remember=True, **secure)
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    cookies = set_cookies(response)
    cookies.update(set_cookies(https_client.post("/language", data={"lang": "en"}, **secure)))
    assert {"consult_session", "remember_token", "lang"} <= set(cookies)
    for name, attributes in cookies.items():
        assert attributes.get("secure") is True, name
        assert attributes.get("httponly") is True, name
        assert attributes.get("samesite") == "Lax", name


def test_session_cookie_is_a_new_one_after_login(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    db.commit()
    client.get("/login")
    before = client.get_cookie("consult_session")
    log_in_with_form(client, user)
    after = client.get_cookie("consult_session")
    assert after is not None
    assert before is None or before.value != after.value


# --- error pages -----------------------------------------------------------------------------

GERMAN_TITLES = {
    400: "Ungültige Anfrage",
    403: "Kein Zugriff",
    404: "Nicht gefunden",
    405: "Nicht erlaubt",
    409: "Konflikt",
    413: "Zu groß",
    422: "Ungültige Eingabe",
    429: "Zu viele Versuche",
    500: "Interner Fehler",
}
INTERNALS = [
    "Traceback",
    'File "',
    ".py",
    "werkzeug",
    "Werkzeug",
    "sqlalchemy",
    "Exception",
    "Error:",
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Conflict",
    "Request Entity Too Large",
    "Unprocessable",
    "Too Many Requests",
    "Internal Server Error",
    "The requested URL",
    "geheim",
]


def check_error_page(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    html = check_page(response, status)
    assert '<html lang="de">' in html
    assert GERMAN_TITLES[status] in html, status
    assert f"Fehler {status}" in html
    for text in INTERNALS:
        assert text not in html, (status, text)


@pytest.mark.parametrize("status", sorted(GERMAN_TITLES))
def test_error_pages_are_german_and_show_no_internals(
    app: Flask,
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    status: int,
) -> None:
    support.sign_in(client, db, make_user())
    check_error_page(client.get(f"/_test/fehler/{status}"), status)


def test_unexpected_exceptions_give_the_german_500_page(
    app: Flask,
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
) -> None:
    support.sign_in(client, db, make_user())
    before = support.snapshot(db)
    check_error_page(client.get("/_test/fehler/key"), 500)
    assert support.snapshot(db) == before


def test_real_error_pages(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    client: CSRFClient,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
) -> None:
    """The error pages as real requests produce them (not only through abort())."""
    inactive = make_user(active=False, password=None)
    plain = make_user()
    db.commit()
    check_error_page(client.post("/login", data={"email": "a@b.de"}, csrf=False), 400)
    check_error_page(client.get("/gibt-es-nicht"), 404)
    check_error_page(client.get("/logout"), 405)
    check_error_page(client.get("/password/set/ungueltig"), 404)

    with monkeypatch.context() as patch:
        patch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
        big = {"email": "x" * 4096, "password": "y"}
        check_error_page(client.post("/login", data=big), 413)

    for _ in range(5):
        assert client.post("/password/forgot", data={"email": ""}).status_code == 422
    check_error_page(client.post("/password/forgot", data={"email": ""}), 429)

    support.sign_in(client, db, admin)
    check_error_page(client.post(f"/admin/users/{inactive.id}/invite"), 409)
    check_error_page(client.get("/admin/users/2000000000"), 404)
    support.sign_in(client, db, plain)
    check_error_page(client.get("/admin/users"), 403)


def test_english_error_page_when_english_is_chosen(client: CSRFClient) -> None:
    client.post("/language", data={"lang": "en"})
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert '<html lang="en">' in response.get_data(as_text=True)


# --- CSRF ------------------------------------------------------------------------------------


#: Form posts without a CSRF token, each for its reason: the one-click unsubscribe of
#: RFC 8058 comes from a mail program, not a page (the signed token in its path is the
#: permission, and a bad one is 404: tests/services/test_notification_settings.py).
CSRF_EXEMPT = {"notifications.unsubscribe_confirm"}


def post_routes(app: Flask, ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(endpoint, URL) of every non-GET route of the HTML side (but CSRF_EXEMPT)."""
    adapter = app.url_map.bind("consult.test")
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= CSRF_EXEMPT
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "test_")) or rule.endpoint in CSRF_EXEMPT:
            continue
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            url = adapter.build(rule.endpoint, path_values(rule, ids), method=method)
            routes.append((method, url))
    assert len(routes) >= 10
    return routes


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_every_form_post_needs_a_csrf_token(
    app: Flask,
    client: CSRFClient,
    db: Session,
    admin: User,
    objects: dict[str, Any],
    role: str,
) -> None:
    if role == "admin":
        support.sign_in(client, db, admin)
    before = support.snapshot(db)
    form = {"name": "Neu", "kind": "other", "email": "neu@example.org", "lang": "en"}
    for method, url in post_routes(app, objects):
        response = client.open(url, method=method, data=form, csrf=False)
        assert response.status_code == 400, (method, url, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), (method, url)
        forged = client.open(
            url, method=method, data={**form, "csrf_token": "gefälscht"}, csrf=False
        )
        assert forged.status_code == 400, (method, url, forged.status_code)
    assert support.snapshot(db) == before
    if role == "admin":  # still logged in: the rejected logout did nothing
        assert client.get("/profile/").status_code == 200


def test_csrf_token_of_another_session_is_rejected(
    app: Flask, client: CSRFClient, db: Session, admin: User
) -> None:
    other: CSRFClient = app.test_client()  # type: ignore[assignment]
    foreign = other.csrf_token()
    support.sign_in(client, db, admin)
    response = client.post(
        "/admin/organisations",
        data={"name": "Fremd", "kind": "other", "csrf_token": foreign},
        csrf=False,
    )
    assert response.status_code == 400
    assert db.scalar(select(Organisation).where(Organisation.name == "Fremd")) is None


@given(limit=st.integers(0, 2**40), number=st.integers(0, 2**42), zeros=st.integers(0, 3))
def test_the_id_pattern_matches_exactly_the_numbers_up_to_its_limit(
    limit: int, number: int, zeros: int
) -> None:
    pattern = re.compile(_up_to(limit) + r"\Z")
    for n in (number, limit, limit + 1, max(limit - 1, 0)):
        assert bool(pattern.match("0" * zeros + str(n))) == (n <= limit), (limit, n)
