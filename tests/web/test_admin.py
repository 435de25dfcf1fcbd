"""Administration pages: organisations and users, invitations by e-mail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import ApiToken, Organisation, User
from consult.services import accounts
from tests import support
from tests.conftest import CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def as_admin(client: CSRFClient, db: Session, admin: User) -> CSRFClient:
    return support.sign_in(client, db, admin)


# --- organisations ---------------------------------------------------------------------------


def test_admin_creates_an_organisation(as_admin: CSRFClient, db: Session) -> None:
    listing = as_admin.get("/admin/organisations")
    assert listing.status_code == 200
    assert "Neue Organisation" in support.page(listing)

    response = as_admin.post(
        "/admin/organisations", data={"name": "Stadt Beispielfeld", "kind": "municipality"}
    )
    assert response.status_code == 302
    assert response.location == "/admin/organisations"
    org = db.scalar(select(Organisation).where(Organisation.name == "Stadt Beispielfeld"))
    assert org is not None and org.kind == "municipality" and org.is_active

    listing = support.page(as_admin.get("/admin/organisations"))
    assert "Organisation „Stadt Beispielfeld“ angelegt." in listing
    assert "Kommune (Stadt/Gemeinde)" in listing  # the kind's German label


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "kind": "welfare"}, "name", "Dieses Feld wird benötigt."),
        ({"name": "   ", "kind": "welfare"}, "name", "Dieses Feld wird benötigt."),
        ({"name": "Neu", "kind": "village"}, "kind", "Keine gültige Auswahl."),
        ({"name": "x" * 201, "kind": "welfare"}, "name", "201"),
        ({"name": "diakonie  musterkreis", "kind": "welfare"}, "name", "schon vergeben"),
    ],
)
def test_invalid_organisation_shows_the_error_at_the_field(
    as_admin: CSRFClient,
    db: Session,
    make_org: Callable[..., Organisation],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_org("Diakonie Musterkreis")
    db.commit()
    before = support.snapshot(db)
    response = as_admin.post("/admin/organisations", data=data)
    assert response.status_code == 422
    html = support.page(response)
    shown = support.field_error(html, field)
    if message == "201":
        assert "Zeichen" in shown  # "Feld kann nicht länger als 200 Zeichen sein."
    else:
        assert message in shown
    assert "Bitte prüfen Sie Ihre Eingaben" in html
    assert support.snapshot(db) == before


def test_admin_edits_and_deactivates_an_organisation(
    as_admin: CSRFClient, db: Session, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Jugendamt", kind="administration")
    db.commit()
    form = support.page(as_admin.get(f"/admin/organisations/{org.id}"))
    assert 'value="Jugendamt"' in form

    response = as_admin.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Kreisjugendamt", "kind": "administration", "is_active": "y"},
    )
    assert response.status_code == 302
    db.refresh(org)
    assert (org.name, org.kind, org.is_active) == ("Kreisjugendamt", "administration", True)

    # an unticked checkbox is not sent: the organisation is deactivated
    response = as_admin.post(
        f"/admin/organisations/{org.id}", data={"name": "Kreisjugendamt", "kind": "other"}
    )
    assert response.status_code == 302
    db.refresh(org)
    assert org.is_active is False and org.kind == "other"
    listing = support.page(as_admin.get("/admin/organisations"))
    assert re.search(r"Kreisjugendamt</td>\s*<td>Sonstige</td>\s*<td>deaktiviert", listing)
    # deactivated organisations are not offered for new users
    assert "Kreisjugendamt" not in support.page(as_admin.get("/admin/users/new"))


def test_invalid_organisation_edit_changes_nothing(
    as_admin: CSRFClient, db: Session, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Caritas", kind="welfare")
    make_org("AWO", kind="welfare")
    db.commit()
    before = support.snapshot(db)
    for data, field in [
        ({"name": "", "kind": "welfare", "is_active": "y"}, "name"),
        ({"name": "awo", "kind": "welfare", "is_active": "y"}, "name"),
        ({"name": "Caritas", "kind": "kirche", "is_active": "y"}, "kind"),
    ]:
        response = as_admin.post(f"/admin/organisations/{org.id}", data=data)
        assert response.status_code == 422, data
        assert support.field_error(support.page(response), field), data
    assert support.snapshot(db) == before


def test_unknown_organisation_is_404(as_admin: CSRFClient) -> None:
    response = as_admin.get("/admin/organisations/999999")
    assert response.status_code == 404
    assert "Nicht gefunden" in support.page(response)


# --- users and invitations -------------------------------------------------------------------


def test_admin_invites_a_user_who_sets_a_password(
    app: Flask,
    as_admin: CSRFClient,
    db: Session,
    make_org: Callable[..., Organisation],
) -> None:
    org = make_org("Gemeinde Seedorf", kind="municipality")
    db.commit()
    form = support.page(as_admin.get("/admin/users/new"))
    assert "Gemeinde Seedorf" in form

    response = as_admin.post(
        "/admin/users/new",
        data={
            "name": "Nina Neumann",
            "email": "nina.neumann@seedorf.example",
            "organisation_id": str(org.id),
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    assert response.location == "/admin/users"
    listing = support.page(as_admin.get("/admin/users"))
    assert "Einladung an nina.neumann@seedorf.example verschickt." in listing
    assert re.search(r"Nina Neumann.*?eingeladen", listing, re.S)

    user = db.scalar(select(User).where(User.email_key == "nina.neumann@seedorf.example"))
    assert user is not None
    assert user.password_hash is None and user.organisation_id == org.id
    assert not user.is_admin

    [mail] = support.mails(app)
    assert mail["to"] == "nina.neumann@seedorf.example"
    assert mail["subject"] == "Einladung zu consult"
    assert "Guten Tag Nina Neumann" in mail["body"]
    link = support.link_in(mail)

    # the invited person follows the link in a browser of their own
    invitee: CSRFClient = app.test_client()  # type: ignore[assignment]
    welcome = invitee.get(link)
    assert welcome.status_code == 200
    assert "Willkommen bei consult" in support.page(welcome)
    response = invitee.post(
        link, data={"password": "Seedorf-Rathaus-7", "confirm": "Seedorf-Rathaus-7"}
    )
    assert response.status_code == 302
    assert response.location == "/"
    home = support.page(invitee.get("/"))
    assert "Ihr Passwort ist gespeichert. Sie sind angemeldet." in home
    assert "Angemeldet als" in home and "Nina Neumann" in home

    db.refresh(user)
    assert user.password_hash is not None
    assert accounts.authenticate(db, "Nina.Neumann@seedorf.example", "Seedorf-Rathaus-7") == user

    # the link works once
    stranger: CSRFClient = app.test_client()  # type: ignore[assignment]
    again = stranger.get(link)
    assert again.status_code == 404
    assert "Dieser Link ist ungültig oder abgelaufen" in support.page(again)


def test_invitation_link_rejects_a_bad_password(
    app: Flask, as_admin: CSRFClient, db: Session
) -> None:
    as_admin.post("/admin/users/new", data={"name": "Tom Test", "email": "tom@example.org"})
    link = support.link_in(support.mails(app)[0])
    invitee: CSRFClient = app.test_client()  # type: ignore[assignment]
    before = support.snapshot(db)
    for data, field, message in [
        ({"password": "kurz", "confirm": "kurz"}, "password", "10"),
        (
            {"password": "Lange-Genug-123", "confirm": "Anders-Genug-123"},
            "confirm",
            "Die Passwörter stimmen nicht überein.",
        ),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "password", "verschiedene"),
        ({"password": "tom@example.org", "confirm": "tom@example.org"}, "password", "E-Mail"),
        ({"password": "passwort123", "confirm": "passwort123"}, "password", "häufig verwendet"),
        ({"password": "Test-Tom-2026", "confirm": "Test-Tom-2026"}, "password", "Ihren Namen"),
    ]:
        response = invitee.post(link, data=data)
        assert response.status_code == 422, data
        assert message in support.field_error(support.page(response), field), data
    assert support.snapshot(db) == before
    assert invitee.get(link).status_code == 200  # the link still works


def test_the_admin_form_sets_no_password(app: Flask, as_admin: CSRFClient, db: Session) -> None:
    """Admins invite; the person chooses the password on the invitation page, under the
    same rules as everywhere. A password sent along with the form is not used."""
    form = support.page(as_admin.get("/admin/users/new"))
    assert 'type="password"' not in form and 'name="password"' not in form
    response = as_admin.post(
        "/admin/users/new",
        data={"name": "Uwe Ulm", "email": "uwe@example.org", "password": "passwort123"},
    )
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email_key == "uwe@example.org"))
    assert user is not None and user.password_hash is None
    link = support.link_in(support.mails(app)[0])
    invitee: CSRFClient = app.test_client()  # type: ignore[assignment]
    response = invitee.post(link, data={"password": "passwort123", "confirm": "passwort123"})
    assert response.status_code == 422
    assert "häufig verwendet" in support.field_error(support.page(response), "password")


def test_reinvite_sends_a_new_link_and_ends_the_old_one(
    app: Flask, as_admin: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    invited = make_user("Rita Reh", email="rita@example.org", password=None)
    db.commit()
    assert f'action="/admin/users/{invited.id}/invite"' in support.page(
        as_admin.get("/admin/users")
    )

    response = as_admin.post(f"/admin/users/{invited.id}/invite")
    assert response.status_code == 302
    first = support.link_in(support.mails(app)[-1])
    assert "Neue Einladung an rita@example.org verschickt." in support.page(
        as_admin.get("/admin/users")
    )

    as_admin.post(f"/admin/users/{invited.id}/invite")
    sent = support.mails(app)
    assert len(sent) == 2 and all(m["to"] == "rita@example.org" for m in sent)
    second = support.link_in(sent[-1])
    assert first != second

    visitor: CSRFClient = app.test_client()  # type: ignore[assignment]
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200


def test_reinviting_an_inactive_user_is_a_conflict(
    app: Flask, as_admin: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    gone = make_user(password=None, active=False)
    db.commit()
    before = support.snapshot(db)
    response = as_admin.post(f"/admin/users/{gone.id}/invite")
    assert response.status_code == 409
    assert "Konflikt" in support.page(response)
    assert support.snapshot(db) == before
    assert support.mails(app) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Neu", "email": "kein-at-zeichen"}, "email", "E-Mail-Adresse"),
        ({"name": "Neu", "email": ""}, "email", "Dieses Feld wird benötigt."),
        ({"name": "", "email": "neu@example.org"}, "name", "Dieses Feld wird benötigt."),
        ({"name": "Neu", "email": "TAKEN@example.org"}, "email", "Schon registriert."),
        (
            {"name": "Neu", "email": "neu@example.org", "organisation_id": "999999"},
            "organisation_id",
            "Keine gültige Auswahl.",
        ),
    ],
)
def test_invalid_invitation_shows_the_error_at_the_field(
    app: Flask,
    as_admin: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_user(email="taken@example.org")
    db.commit()
    before = support.snapshot(db)
    response = as_admin.post("/admin/users/new", data={**data, "is_active": "y"})
    assert response.status_code == 422
    assert message in support.field_error(support.page(response), field)
    assert support.snapshot(db) == before
    assert support.mails(app) == []


def test_admin_edits_a_user(
    as_admin: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
) -> None:
    user = make_user("Emil Alt", email="emil@example.org")
    org = make_org("Polizei Nord", kind="police")
    db.commit()
    form = support.page(as_admin.get(f"/admin/users/{user.id}"))
    assert 'value="Emil Alt"' in form and "Person bearbeiten" in form

    response = as_admin.post(
        f"/admin/users/{user.id}",
        data={
            "name": "Emil Neu",
            "email": "Emil.Neu@example.org",
            "organisation_id": str(org.id),
            "is_admin": "y",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.refresh(user)
    assert (user.name, user.email, user.email_key) == (
        "Emil Neu",
        "Emil.Neu@example.org",
        "emil.neu@example.org",
    )
    assert user.organisation_id == org.id and user.is_admin and user.is_active


def test_user_edit_with_a_taken_email_changes_nothing(
    as_admin: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(email="eins@example.org")
    make_user(email="zwei@example.org")
    db.commit()
    before = support.snapshot(db)
    response = as_admin.post(
        f"/admin/users/{user.id}",
        data={"name": "Eins", "email": "ZWEI@example.org", "is_active": "y"},
    )
    assert response.status_code == 422
    assert "Schon registriert." in support.field_error(support.page(response), "email")
    assert support.snapshot(db) == before


def test_deactivating_a_user_ends_their_sessions_and_tokens(
    app: Flask,
    as_admin: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    user = make_user("Dora Dienst", email="dora@example.org")
    headers = token_for(user)
    theirs = support.sign_in(app.test_client(), db, user)  # type: ignore[arg-type]
    assert theirs.get("/profile/").status_code == 200
    assert as_admin.get("/api/v1/me", headers=headers).status_code == 200

    response = as_admin.post(
        f"/admin/users/{user.id}", data={"name": "Dora Dienst", "email": "dora@example.org"}
    )
    assert response.status_code == 302
    db.refresh(user)
    assert user.is_active is False
    assert re.search(r"Dora Dienst.*?deaktiviert", support.page(as_admin.get("/admin/users")), re.S)

    assert theirs.get("/profile/").status_code == 302  # logged out
    assert as_admin.get("/api/v1/me", headers=headers).status_code == 401
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token is not None and token.revoked_at is not None
    denied = app.test_client().post(
        "/login", data={"email": "dora@example.org", "password": "Richtig-Geheim-2026"}
    )
    assert denied.status_code == 401


def test_admin_cannot_lock_themselves_out(as_admin: CSRFClient, db: Session, admin: User) -> None:
    before = support.snapshot(db)
    for data in [
        {"name": admin.name, "email": admin.email, "is_active": "y"},  # not admin any more
        {"name": admin.name, "email": admin.email, "is_admin": "y"},  # inactive
    ]:
        response = as_admin.post(f"/admin/users/{admin.id}", data=data)
        assert response.status_code == 422
        assert "Sie können sich nicht selbst" in support.page(response)
    assert support.snapshot(db) == before
    assert as_admin.get("/admin/users").status_code == 200


def test_users_page_lists_everyone(
    as_admin: CSRFClient, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Volkshochschule", kind="school")
    make_user("Zora Zander", organisation=org)
    make_user("Anton Abel", password=None)
    html = support.page(as_admin.get("/admin/users"))
    assert "Zora Zander" in html and "Volkshochschule" in html
    assert html.index("Anton Abel") < html.index("Zora Zander")  # sorted by name
    assert re.search(r"Anton Abel.*?eingeladen.*?Erneut einladen", html, re.S)
