"""The English interface: chosen with the language switch (or in the profile), pages speak English.

The app reads its catalog from the compiled ``messages.mo`` that ``make translations``
writes next to the ``.po`` file (and git ignores). So that these tests run without that
step and never against a stale ``.mo``, this module compiles the ``.po`` into a temporary
folder and points its app there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy.orm import Session

import consult
from consult.extensions import babel
from consult.models import Consultation, Membership, User
from tests import support
from tests.conftest import CSRFClient

TRANSLATIONS = Path(consult.__file__).parent / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

#: German words of the page frame: skip link, header, main and consultation navigation, footer.
GERMAN_NAVIGATION = (
    "Zum Inhalt springen",
    "Beteiligung an Konzeptentwürfen",
    "Hauptnavigation",
    "Verfahren",
    "Beteiligungsverfahren",
    "Organisationen",
    "Personen",
    "Profil",
    "Abmelden",
    "Anmelden",
    "Angemeldet als",
    "Übersicht",
    "Verlauf",
    "Beteiligungsrunden",
    "Beteiligte",
    "Arbeitskreise",
)


def compile_english(target: Path) -> Path:
    """The English catalog compiled into ``target`` (as ``make translations`` would)."""
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    mo = target / "en" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as f:
        write_mo(f, catalog, use_fuzzy=True)
    return target


def forget_loaded_catalogs(app: Flask) -> None:
    """Flask-Babel caches loaded catalogs per process, by locale alone (not by folder)."""
    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Flask]:
    app = support.module_app(tmp_path_factory, database_url)
    config = app.extensions["babel"]
    # The app looks for its catalogs where the .po lives ...
    assert [Path(d).resolve() for d in config.translation_directories] == [TRANSLATIONS.resolve()]
    # ... and here reads them freshly compiled from it.
    config.translation_directories = [str(compile_english(tmp_path_factory.mktemp("i18n")))]
    forget_loaded_catalogs(app)
    yield app
    forget_loaded_catalogs(app)  # the next module's app reads the real catalog again


app = pytest.fixture(support.app)


def english(client: CSRFClient) -> CSRFClient:
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert client.get_cookie("lang").value == "en"
    return client


def assert_english(html: str, *expected: str) -> None:
    assert '<html lang="en">' in html
    for text in expected:
        assert text in html, f"{text!r} missing"
    german = [w for w in GERMAN_NAVIGATION if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", html)]
    assert not german, f"German on an English page: {german}"
    # the switch offers the way back, in German
    assert 'name="lang" value="de"' in html
    assert ">Deutsch<" in html


@pytest.fixture
def member(db: Session, make_user: Callable[..., User]) -> User:
    """An administrator (sees every menu); the ``consultation`` fixture makes them its editor."""
    return make_user("Ada Admin", email="ada@example.org", admin=True)


@pytest.fixture
def consultation(db: Session, member: User, add_member: Callable[..., Membership]) -> Consultation:
    consultation = Consultation(
        title="Integration strategy for the district",
        description="Draft for comment.",
        created_by_id=member.id,
    )
    db.add(consultation)
    db.flush()
    add_member(consultation.id, member, "editor")
    db.commit()
    return consultation


def test_login_page(client: CSRFClient) -> None:
    html = support.page(english(client).get("/login"))
    assert_english(
        html,
        "<title>Log in – consult</title>",
        "Log in to take part in consultations.",
        "Email address",
        "Password",
        "Keep me logged in",
        "Forgotten your password?",
        "Skip to content",
        "Consultation on draft concepts",
    )


def test_messages_and_form_errors(client: CSRFClient) -> None:
    english(client)
    # flashed by a Python view
    html = support.page(client.get("/profile/", follow_redirects=True))
    assert_english(html, "Please log in to view this page.")
    # lazily translated form labels and WTForms' own messages
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = support.page(response)
    assert_english(html, "Please check your entries", "This field is required.")


def test_start_page(
    client: CSRFClient, db: Session, member: User, consultation: Consultation
) -> None:
    support.sign_in(english(client), db, member)
    html = support.page(client.get("/"))
    assert_english(
        html,
        "<h1>Consultations</h1>",
        ">Consultations</a>",
        ">Organisations</a>",
        ">People</a>",
        ">Profile</a>",
        ">Log out</button>",
        "Logged in as",
        "New consultation",
        "Your role:",
        "Integration strategy for the district",
        "Consultations on draft concepts",
    )


def test_consultation_page(
    client: CSRFClient, db: Session, member: User, consultation: Consultation
) -> None:
    support.sign_in(english(client), db, member)
    html = support.page(client.get(f"/consultations/{consultation.id}"))
    assert_english(
        html,
        "Integration strategy for the district",
        ">Overview</a>",
        ">History</a>",
        ">Consultation rounds</a>",
        ">Members</a>",
        ">Working groups</a>",
        "Edit consultation",
        "Your role in this consultation:",
        "Revisions",
        "Import draft",
        "No revisions yet.",
    )


def test_profile_page(client: CSRFClient, db: Session, member: User) -> None:
    support.sign_in(english(client), db, member)
    html = support.page(client.get("/profile/"))
    assert_english(
        html,
        "<title>Profile – consult</title>",
        "Your profile",
        "Name, language and notifications",
        "Language",
        "Default (German)",
        "Change password",
        "Current password",
        "New password",
        "At least 10 characters.",
        "Repeat password",
        "API tokens",
        "Create token",
    )


def test_the_profile_language_alone_is_enough(
    client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("Eve English", email="eve@example.org")
    user.locale = "en"
    support.sign_in(client, db, user)  # no language cookie
    assert client.get_cookie("lang") is None
    assert_english(support.page(client.get("/profile/")), "Your profile")


# --- messages from the services ----------------------------------------------------------


def test_service_messages_on_forms_are_english(
    client: CSRFClient, db: Session, member: User, consultation: Consultation
) -> None:
    support.sign_in(english(client), db, member)
    url = f"/consultations/{consultation.id}/import"
    # the domain's outline check (a template marked with N_, translated by the service)
    response = client.post(url, data={"source": "markdown", "text": "Nur Text.", "action": "save"})
    assert response.status_code == 422
    assert_english(support.page(response), "No headings found.")
    # a service's own check, past the form's validators
    url = f"/consultations/{consultation.id}/working-groups"
    assert client.post(url, data={"name": "Schools"}).status_code == 302
    response = client.post(url, data={"name": "schools"})
    assert response.status_code == 422
    html = support.page(response)
    assert_english(html, "Already taken.")
    assert "Schon vergeben" not in html


def test_api_errors_speak_the_users_language(
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Eve English", email="eve@example.org", admin=True)
    user.locale = "en"
    db.commit()
    headers = token_for(user)
    response = client.post(
        "/api/v1/organisations", headers=headers, json={"name": "New", "kind": "x"}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_kind"  # codes are the contract and stay as they are
    assert error["message"].startswith("Unknown type of organisation. Allowed: ")
    assert error["fields"] == {"kind": "Please choose a type from the list."}
    response = client.post("/api/v1/organisations", headers=headers, json={"kind": "welfare"})
    assert response.get_json()["error"]["message"] == "The field “name” is missing."
    # a German reader of the same API still reads German
    user.locale = "de"
    db.commit()
    response = client.post("/api/v1/organisations", headers=headers, json={"kind": "welfare"})
    assert response.get_json()["error"]["message"] == "Das Feld „name“ fehlt."


def test_limits_in_messages_are_written_as_the_reader_writes_numbers(app: Flask) -> None:
    from flask_babel import force_locale

    from consult.errors import Invalid
    from consult.services import feedback_input

    messages = {}
    with app.test_request_context():
        for locale in ("de_DE", "en_GB"):
            with force_locale(locale), pytest.raises(Invalid) as caught:
                feedback_input.clean_text("x" * 10_001, "body", "Der Kommentar")
            messages[locale] = caught.value.message
    assert messages["de_DE"] == "Der Kommentar ist zu lang (10.001 Zeichen, höchstens 10.000)."
    assert messages["en_GB"].endswith("is too long (10,001 characters, at most 10,000).")
