"""Organisations, users, passwords, single-use links and API tokens (services tier)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import ApiToken, OneTimeToken, Organisation, OutboxMessage, User
from consult.services import accounts, api_tokens, organisations, passwords
from tests.conftest import PASSWORD

NEW_PASSWORD = "Ganz-Neues-Passwort-7"
#: scrypt costs ~0.2 s per hash; the tests below hash and check dozens of passwords.
FAST_METHOD = "pbkdf2:sha256:1000"
FAST_PASSWORD_HASH = generate_password_hash(PASSWORD, method=FAST_METHOD)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap hashes for speed; ``test_passwords_are_hashed_with_scrypt`` checks the real one."""

    def fast(password: str) -> str:
        return generate_password_hash(password, method=FAST_METHOD)

    monkeypatch.setattr(accounts, "generate_password_hash", fast)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", fast("dummy-password"))


@pytest.fixture
def make_user(make_user: Callable[..., User]) -> Callable[..., User]:
    """The shared factory, with a cheap hash of PASSWORD (also used by ``admin``)."""

    def make(*args: object, **kwargs: object) -> User:
        user = make_user(*args, **kwargs)
        if kwargs.get("password", PASSWORD) == PASSWORD:
            user.password_hash = FAST_PASSWORD_HASH
        return user

    return make


def outbox(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- organisations -------------------------------------------------------------------


def test_admin_creates_organisation(db: Session, admin: User) -> None:
    org = organisations.create_organisation(
        db, actor=admin, name="  Caritasverband   Siegtal ", kind="welfare"
    )
    assert org.id is not None
    assert org.name == "Caritasverband Siegtal"  # whitespace normalised
    assert org.kind == "welfare"
    assert org.is_active is True
    assert db.get(Organisation, org.id) is org


#: The kinds of API.md ("Organisations and users").
API_KINDS = [
    "municipality",
    "welfare",
    "school",
    "police",
    "migrant_org",
    "administration",
    "political_group",
    "other",
]


def test_every_kind_of_the_api_contract_is_accepted(db: Session, admin: User) -> None:
    for kind in API_KINDS:
        org = organisations.create_organisation(db, actor=admin, name=f"Org {kind}", kind=kind)
        assert org.kind == kind


def test_unknown_kind_is_invalid(db: Session, admin: User) -> None:
    for kind in ["verein", "", None, "Municipality", 3]:
        with pytest.raises(Invalid) as info:
            organisations.create_organisation(db, actor=admin, name="Irgendwer", kind=kind)
        assert info.value.status == 422, kind
        assert info.value.code == "invalid_kind", kind
        assert "kind" in info.value.fields
    assert db.scalar(select(Organisation).where(Organisation.name == "Irgendwer")) is None


def test_organisation_name_is_required_and_limited(db: Session, admin: User) -> None:
    for name in ["", "   ", None, "x" * 201]:
        with pytest.raises(Invalid) as info:
            organisations.create_organisation(db, actor=admin, name=name, kind="other")
        assert "name" in info.value.fields, name
    assert organisations.create_organisation(db, actor=admin, name="x" * 200, kind="other").id


def test_duplicate_organisation_name_is_a_conflict(db: Session, admin: User) -> None:
    organisations.create_organisation(
        db, actor=admin, name="Jobcenter Siegtal", kind="administration"
    )
    with pytest.raises(Conflict) as info:
        organisations.create_organisation(db, actor=admin, name="jobcenter  siegtal", kind="other")
    assert info.value.status == 409
    assert info.value.code == "duplicate_name"
    count = db.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(func.lower(Organisation.name) == "jobcenter siegtal")
    )
    assert count == 1
    # beyond ASCII too (SQLite's lower() leaves "Ä" as it is)
    organisations.create_organisation(db, actor=admin, name="Ärztekammer Nordrhein", kind="other")
    for name in ("ärztekammer nordrhein", "ÄRZTEKAMMER NORDRHEIN"):
        with pytest.raises(Conflict):
            organisations.create_organisation(db, actor=admin, name=name, kind="other")
    # an organisation may keep its own name, in another case
    org = db.scalar(select(Organisation).where(Organisation.name == "Ärztekammer Nordrhein"))
    assert org is not None
    organisations.update_organisation(
        db, org.id, actor=admin, name="ÄRZTEKAMMER Nordrhein", kind="other", is_active=True
    )


def test_update_organisation(
    db: Session, admin: User, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Schule am Berg", kind="school")
    updated = organisations.update_organisation(
        db, org.id, actor=admin, name="Schule am Berg (Hennef)", kind="other", is_active=False
    )
    assert updated is org
    assert (org.name, org.kind, org.is_active) == ("Schule am Berg (Hennef)", "other", False)
    # Keeping its own name (even re-cased) is not a conflict with itself.
    organisations.update_organisation(
        db, org.id, actor=admin, name="SCHULE AM BERG (HENNEF)", kind="school", is_active=True
    )
    assert org.name == "SCHULE AM BERG (HENNEF)"


def test_update_organisation_to_a_taken_name_is_a_conflict(
    db: Session, admin: User, make_org: Callable[..., Organisation]
) -> None:
    make_org("Diakonie")
    other = make_org("AWO")
    with pytest.raises(Conflict):
        organisations.update_organisation(
            db, other.id, actor=admin, name="Diakonie", kind="welfare", is_active=True
        )
    db.refresh(other)
    assert other.name == "AWO"


def test_update_organisation_rejects_unknown_kind_and_id(
    db: Session, admin: User, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("VHS")
    with pytest.raises(Invalid) as info:
        organisations.update_organisation(
            db, org.id, actor=admin, name="VHS", kind="university", is_active=True
        )
    assert info.value.code == "invalid_kind"
    with pytest.raises(NotFound):
        organisations.update_organisation(
            db, 999_999, actor=admin, name="VHS", kind="school", is_active=True
        )


def test_non_admins_may_not_manage_organisations(
    db: Session, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Polizei")
    member = make_user()
    inactive_admin = make_user(admin=True, active=False)
    for actor in (member, inactive_admin, None):
        with pytest.raises(NotPermitted) as info:
            organisations.create_organisation(db, actor=actor, name="Neu", kind="other")
        assert info.value.status == 403
        with pytest.raises(NotPermitted):
            organisations.update_organisation(
                db, org.id, actor=actor, name="Umbenannt", kind="other", is_active=True
            )
    assert db.scalar(select(Organisation).where(Organisation.name == "Neu")) is None
    assert org.name == "Polizei"


def test_signed_in_users_list_organisations_anonymous_do_not(
    db: Session, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    make_org("zeta e.V.")
    make_org("Alpha e.V.")
    user = make_user()
    names = [o.name for o in organisations.list_organisations(db, actor=user)]
    assert names.index("Alpha e.V.") < names.index("zeta e.V.")  # case-insensitive order
    with pytest.raises(NotPermitted):
        organisations.list_organisations(db, actor=None)


# --- users ---------------------------------------------------------------------------


def test_admin_creates_user_with_password(
    db: Session, admin: User, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Stadt Siegburg", kind="municipality")
    created = accounts.create_user(
        db,
        actor=admin,
        email=" Stefan.Roth@Siegburg.example ",
        name="Stefan Roth",
        organisation_id=org.id,
        password=PASSWORD,
    )
    user = created.user
    assert created.invitation_token is None
    assert user.email == "Stefan.Roth@Siegburg.example"
    assert user.email_key == "stefan.roth@siegburg.example"
    assert user.organisation is org
    assert user.is_active and not user.is_admin
    assert user.password_hash and PASSWORD not in user.password_hash
    assert outbox(db) == []  # no invitation when the password is set
    assert accounts.authenticate(db, "stefan.roth@siegburg.example", PASSWORD) is user


def test_email_is_unique_case_insensitively(db: Session, admin: User) -> None:
    accounts.create_user(db, actor=admin, email="Lea@Example.org", name="Lea", password=PASSWORD)
    with pytest.raises(Conflict) as info:
        accounts.create_user(
            db, actor=admin, email="lea@EXAMPLE.ORG", name="Lea 2", password=PASSWORD
        )
    assert info.value.code == "duplicate_email"
    assert accounts.find_user_by_email(db, "LEA@example.ORG ") is not None
    count = db.scalar(
        select(func.count()).select_from(User).where(User.email_key == "lea@example.org")
    )
    assert count == 1


def test_email_change_to_a_taken_address_is_a_conflict(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    make_user(email="taken@example.org")
    other = make_user(email="other@example.org")
    with pytest.raises(Conflict):
        accounts.update_user(
            db,
            other.id,
            actor=admin,
            name=other.name,
            email="TAKEN@example.org",
            organisation_id=other.organisation_id,
            is_admin=False,
            is_active=True,
        )


def test_invalid_email_is_rejected(db: Session, admin: User) -> None:
    for email in ["", "kein-at.example.org", "a@b", "zwei@@example.org", "a b@example.org", None]:
        with pytest.raises(Invalid) as info:
            accounts.create_user(db, actor=admin, email=email, name="X", password=PASSWORD)
        assert "email" in info.value.fields, email
    assert db.scalar(select(func.count()).select_from(User)) == 1  # only the admin


def test_unknown_organisation_is_invalid(db: Session, admin: User) -> None:
    for organisation_id in (999_999, "abc", True):
        with pytest.raises(Invalid) as info:
            accounts.create_user(
                db,
                actor=admin,
                email="neu@example.org",
                name="Neu",
                organisation_id=organisation_id,
                password=PASSWORD,
            )
        assert info.value.code == "unknown_organisation"
    assert accounts.find_user_by_email(db, "neu@example.org") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kurz-1", "mindestens 10 Zeichen"),
        ("a" * 257, "zu lang"),
        ("aaaaaaaaaaaa", "zu einfach"),
        ("abababababab", "zu einfach"),
        ("Mia@Example.org", "nicht die E-Mail-Adresse"),
        (1234567890123, "mindestens 10 Zeichen"),
    ],
)
def test_password_rules(password: object, reason: str) -> None:
    with pytest.raises(Invalid) as info:
        passwords.check_password_rules(password, email="mia@example.org")
    assert reason.lower() in info.value.message.lower()
    assert "password" in info.value.fields


def test_weak_password_creates_no_user(db: Session, admin: User) -> None:
    for password in ["kurz-1", "aaaaaaaaaaaa", "Mia@Example.org"]:
        with pytest.raises(Invalid):
            accounts.create_user(
                db, actor=admin, email="mia@example.org", name="Mia", password=password
            )
    assert accounts.find_user_by_email(db, "mia@example.org") is None


def test_passwords_are_hashed_with_scrypt(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real hashing of the service
    user = accounts.create_user(
        db, actor=None, system=True, email="s@example.org", name="S", password=NEW_PASSWORD
    ).user
    assert user.password_hash is not None and user.password_hash.startswith("scrypt:")
    assert NEW_PASSWORD not in user.password_hash
    assert accounts.authenticate(db, "s@example.org", NEW_PASSWORD) is user


def test_acceptable_password_passes_the_rules() -> None:
    assert passwords.check_password_rules("Sommer-im-Siegtal", email="a@example.org") == (
        "Sommer-im-Siegtal"
    )


def test_non_admins_may_not_create_or_edit_users(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    victim = make_user()
    with pytest.raises(NotPermitted):
        accounts.create_user(db, actor=user, email="x@example.org", name="X", password=PASSWORD)
    with pytest.raises(NotPermitted):
        accounts.create_user(db, actor=None, email="x@example.org", name="X", password=PASSWORD)
    with pytest.raises(NotPermitted):
        accounts.update_user(
            db,
            victim.id,
            actor=user,
            name="Gehackt",
            email=victim.email,
            organisation_id=None,
            is_admin=True,
            is_active=True,
        )
    with pytest.raises(NotPermitted):
        accounts.list_users(db, actor=user)
    assert accounts.find_user_by_email(db, "x@example.org") is None
    assert not victim.is_admin


def test_system_creation_needs_no_actor(db: Session) -> None:
    created = accounts.create_user(
        db, actor=None, system=True, email="root@example.org", name="Root", password=PASSWORD
    )
    assert created.user.id is not None


# --- invitations and password resets -------------------------------------------------


def test_invitation_queues_mail_with_a_single_use_expiring_token(db: Session, admin: User) -> None:
    before = utcnow()
    created = accounts.create_user(db, actor=admin, email="Neu@Example.org", name="Nina Neu")
    user, raw = created.user, created.invitation_token
    assert raw
    assert user.password_hash is None

    [message] = outbox(db)
    assert message.to_address == "Neu@Example.org"
    assert message.subject == "Einladung zu consult"
    assert f"http://consult.test/password/set/{raw}" in message.body_text
    assert "Nina Neu" in message.body_text
    assert message.sent_at is None and message.attempts == 0

    [row] = db.scalars(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    assert row.purpose == "invite"
    assert row.token_hash == digest(raw) and raw not in row.token_hash
    assert row.used_at is None
    hours = 72
    assert before + timedelta(hours=hours) <= row.expires_at <= utcnow() + timedelta(hours=hours)

    # An invited user cannot log in before setting a password.
    assert accounts.authenticate(db, "neu@example.org", "") is None


def test_invitation_is_redeemed_once_only(db: Session, admin: User) -> None:
    created = accounts.create_user(db, actor=admin, email="ina@example.org", name="Ina")
    raw = created.invitation_token
    assert raw
    nonce = created.user.session_nonce

    user = accounts.redeem_one_time_token(db, raw, NEW_PASSWORD)
    assert user is created.user
    assert user.session_nonce != nonce
    assert accounts.authenticate(db, "ina@example.org", NEW_PASSWORD) is user
    row = db.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == digest(raw)))
    assert row is not None and row.used_at is not None

    with pytest.raises(NotFound) as info:
        accounts.redeem_one_time_token(db, raw, "Noch-Ein-Passwort-8")
    assert info.value.code == "invalid_link"
    assert accounts.authenticate(db, "ina@example.org", "Noch-Ein-Passwort-8") is None
    assert accounts.authenticate(db, "ina@example.org", NEW_PASSWORD) is user


def test_redeem_with_a_weak_password_keeps_the_link_valid(db: Session, admin: User) -> None:
    raw = accounts.create_user(db, actor=admin, email="w@example.org", name="W").invitation_token
    assert raw
    with pytest.raises(Invalid):
        accounts.redeem_one_time_token(db, raw, "kurz")
    assert accounts.check_one_time_token(db, raw).used_at is None
    assert accounts.redeem_one_time_token(db, raw, NEW_PASSWORD).password_hash is not None


def test_expired_link_is_rejected(db: Session, admin: User) -> None:
    raw = accounts.create_user(db, actor=admin, email="e@example.org", name="E").invitation_token
    assert raw
    row = accounts.check_one_time_token(db, raw)
    # Valid until just before the expiry time, invalid from then on.
    assert accounts.check_one_time_token(db, raw, now=row.expires_at - timedelta(seconds=1))
    with pytest.raises(NotFound):
        accounts.check_one_time_token(db, raw, now=row.expires_at)
    with pytest.raises(NotFound):
        accounts.check_one_time_token(db, raw, now=utcnow() + timedelta(hours=73))

    row.expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    with pytest.raises(NotFound) as info:
        accounts.redeem_one_time_token(db, raw, NEW_PASSWORD)
    assert info.value.code == "invalid_link"
    user = accounts.find_user_by_email(db, "e@example.org")
    assert user is not None and user.password_hash is None


def test_unknown_link_is_rejected(db: Session) -> None:
    for raw in ["", "nicht-ausgegeben", "x" * 500]:
        with pytest.raises(NotFound) as info:
            accounts.check_one_time_token(db, raw)
        assert info.value.code == "invalid_link"


def test_new_invitation_invalidates_the_previous_link(db: Session, admin: User) -> None:
    created = accounts.create_user(db, actor=admin, email="r@example.org", name="R")
    first = created.invitation_token
    assert first
    second = accounts.reinvite_user(db, created.user.id, actor=admin)
    assert second != first
    with pytest.raises(NotFound):
        accounts.check_one_time_token(db, first)
    assert accounts.check_one_time_token(db, second).user is created.user
    assert len(outbox(db)) == 2


def test_reinviting_an_inactive_user_is_a_conflict(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user(active=False, password=None)
    with pytest.raises(Conflict):
        accounts.reinvite_user(db, user.id, actor=admin)
    assert outbox(db) == []


def test_password_reset_mails_a_link_that_sets_the_password(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(email="Reset@Example.org")
    accounts.request_password_reset(db, "  reset@example.ORG ")
    [message] = outbox(db)
    assert message.to_address == "Reset@Example.org"
    assert message.subject == "Passwort zurücksetzen"
    row = db.scalar(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    assert row is not None and row.purpose == "reset"
    assert timedelta(hours=1) < row.expires_at - utcnow() <= timedelta(hours=2)
    raw = message.body_text.split("/password/set/", 1)[1].split()[0]
    assert digest(raw) == row.token_hash

    accounts.redeem_one_time_token(db, raw, NEW_PASSWORD)
    assert accounts.authenticate(db, user.email, PASSWORD) is None
    assert accounts.authenticate(db, user.email, NEW_PASSWORD) is user


def test_password_reset_for_unknown_or_inactive_address_is_silent(
    db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="weg@example.org", active=False)
    for address in ["niemand@example.org", "weg@example.org", ""]:
        accounts.request_password_reset(db, address)  # no error that would tell them apart
    assert outbox(db) == []
    assert db.scalar(select(func.count()).select_from(OneTimeToken)) == 0


def test_link_of_a_deactivated_user_stops_working(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    created = accounts.create_user(db, actor=admin, email="d@example.org", name="D")
    raw = created.invitation_token
    assert raw
    created.user.is_active = False
    db.flush()
    with pytest.raises(NotFound):
        accounts.redeem_one_time_token(db, raw, NEW_PASSWORD)


# --- authentication and passwords ----------------------------------------------------


def test_authenticate(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user(email="Kim@Example.org")
    assert user.last_login_at is None
    assert accounts.authenticate(db, "kim@example.org", PASSWORD) is user
    assert user.last_login_at is not None
    assert accounts.authenticate(db, "KIM@EXAMPLE.ORG", PASSWORD) is user
    assert accounts.authenticate(db, "kim@example.org", PASSWORD + "x") is None
    assert accounts.authenticate(db, "kim@example.org", "") is None
    assert accounts.authenticate(db, "unbekannt@example.org", PASSWORD) is None
    assert accounts.authenticate(db, "", "") is None


def test_deactivated_user_cannot_log_in_and_tokens_stop_working(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user()
    _, raw = api_tokens.create_api_token(db, actor=user, name="Skript")
    assert api_tokens.user_for_api_token(db, raw) is user
    nonce = user.session_nonce

    accounts.update_user(
        db,
        user.id,
        actor=admin,
        name=user.name,
        email=user.email,
        organisation_id=user.organisation_id,
        is_admin=False,
        is_active=False,
    )
    assert user.is_active is False
    assert user.session_nonce != nonce  # open sessions end
    assert accounts.authenticate(db, user.email, PASSWORD) is None
    assert api_tokens.user_for_api_token(db, raw) is None
    [token] = api_tokens.list_api_tokens(db, actor=user)
    assert token.revoked_at is not None

    # Reactivation does not bring the revoked token back.
    accounts.update_user(
        db,
        user.id,
        actor=admin,
        name=user.name,
        email=user.email,
        organisation_id=user.organisation_id,
        is_admin=False,
        is_active=True,
    )
    assert accounts.authenticate(db, user.email, PASSWORD) is user
    assert api_tokens.user_for_api_token(db, raw) is None


def test_admin_edits_a_user(
    db: Session, admin: User, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    user = make_user()
    org = make_org("Neue Heimat")
    accounts.update_user(
        db,
        user.id,
        actor=admin,
        name=" Berta   Neu ",
        email="Berta@Example.org",
        organisation_id=org.id,
        is_admin=True,
        is_active=True,
    )
    assert (user.name, user.email, user.email_key) == (
        "Berta Neu",
        "Berta@Example.org",
        "berta@example.org",
    )
    assert user.organisation is org and user.is_admin


def test_admin_cannot_deactivate_or_demote_self(db: Session, admin: User) -> None:
    for is_admin, is_active in [(True, False), (False, True), (False, False)]:
        with pytest.raises(Conflict) as info:
            accounts.update_user(
                db,
                admin.id,
                actor=admin,
                name=admin.name,
                email=admin.email,
                organisation_id=admin.organisation_id,
                is_admin=is_admin,
                is_active=is_active,
            )
        assert info.value.code == "self_lockout"
    assert admin.is_active and admin.is_admin
    assert accounts.authenticate(db, admin.email, PASSWORD) is admin
    # Editing one's own name is fine.
    accounts.update_user(
        db,
        admin.id,
        actor=admin,
        name="Ada A. Admin",
        email=admin.email,
        organisation_id=admin.organisation_id,
        is_admin=True,
        is_active=True,
    )
    assert admin.name == "Ada A. Admin"


def test_another_admin_may_deactivate_an_admin(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    other = make_user(admin=True)
    accounts.update_user(
        db,
        other.id,
        actor=admin,
        name=other.name,
        email=other.email,
        organisation_id=other.organisation_id,
        is_admin=True,
        is_active=False,
    )
    assert accounts.authenticate(db, other.email, PASSWORD) is None


def test_change_password_changes_session_nonce(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    nonce, old_id = user.session_nonce, user.get_id()
    accounts.change_password(db, actor=user, current=PASSWORD, new=NEW_PASSWORD)
    assert user.session_nonce != nonce
    assert user.get_id() != old_id  # cookies holding the old id no longer load the user
    assert accounts.authenticate(db, user.email, PASSWORD) is None
    assert accounts.authenticate(db, user.email, NEW_PASSWORD) is user


def test_end_sessions_changes_the_login_id_and_keeps_the_password(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    old_id, hashed = user.get_id(), user.password_hash
    accounts.end_sessions(db, actor=user)
    assert user.get_id() != old_id  # cookies holding the old id no longer load the user
    assert user.password_hash == hashed
    assert accounts.authenticate(db, user.email, PASSWORD) is user


def test_the_rules_know_the_persons_name_on_every_path(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    """Creating, resetting and changing: a password that is the person's name and a
    year is refused on each (the name is left out of its length)."""
    with pytest.raises(Invalid) as info:
        accounts.create_user(
            db, actor=admin, email="x1@example.org", name="Gundula Gause", password="Gundula-2026!"
        )
    assert "Namen" in info.value.fields["password"]
    created = accounts.create_user(db, actor=admin, email="x2@example.org", name="Gundula Gause")
    assert created.invitation_token
    with pytest.raises(Invalid) as info:
        accounts.redeem_one_time_token(db, created.invitation_token, "Gause-Gundula-1")
    assert "Namen" in info.value.fields["password"]
    user = make_user("Gundula Gause")
    with pytest.raises(Invalid) as info:
        accounts.change_password(db, actor=user, current=PASSWORD, new="gundula.gause#7")
    assert "Namen" in info.value.fields["password"]


def test_change_password_checks_current_and_rules(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    nonce, hashed = user.session_nonce, user.password_hash
    with pytest.raises(Invalid) as info:
        accounts.change_password(db, actor=user, current="falsch-falsch", new=NEW_PASSWORD)
    assert "current_password" in info.value.fields
    with pytest.raises(Invalid) as info:
        accounts.change_password(db, actor=user, current=PASSWORD, new="kurz")
    assert "password" in info.value.fields
    assert (user.session_nonce, user.password_hash) == (nonce, hashed)
    assert accounts.authenticate(db, user.email, PASSWORD) is user


def test_update_profile(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    accounts.update_profile(db, actor=user, name="  Neuer   Name ", locale="en")
    assert (user.name, user.locale) == ("Neuer Name", "en")
    accounts.update_profile(db, actor=user, name="Neuer Name", locale="fr")
    assert user.locale is None
    assert user.notify_replies is True  # on unless turned off; None leaves it
    accounts.update_profile(db, actor=user, name="Neuer Name", notify_replies=False)
    assert user.notify_replies is False
    with pytest.raises(Invalid):
        accounts.update_profile(db, actor=user, name=" ")


# --- API tokens ----------------------------------------------------------------------


def test_api_token_is_stored_hashed_and_shown_once(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    token, raw = api_tokens.create_api_token(db, actor=user, name="Ratsinformationssystem")
    assert raw.startswith(api_tokens.TOKEN_PREFIX) and len(raw) >= 40
    assert token.token_hash == digest(raw)
    assert token.prefix == raw[:10]
    assert token.name == "Ratsinformationssystem"
    stored = db.execute(select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
    assert all(raw not in str(value) for value in stored)  # never stored in any column
    # Listing shows the token rows, which carry no way back to the raw value.
    [listed] = api_tokens.list_api_tokens(db, actor=user)
    assert listed.id == token.id and not hasattr(listed, "raw")
    assert api_tokens.user_for_api_token(db, raw) is user


def test_each_token_is_new(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    _, first = api_tokens.create_api_token(db, actor=user, name="")
    _, second = api_tokens.create_api_token(db, actor=user, name=None)
    assert first != second
    assert [t.name for t in api_tokens.list_api_tokens(db, actor=user)] == ["API-Token"] * 2


def test_revoked_token_is_rejected(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    token, raw = api_tokens.create_api_token(db, actor=user, name="alt")
    _, other_raw = api_tokens.create_api_token(db, actor=user, name="neu")
    revoked = api_tokens.revoke_api_token(db, token.id, actor=user)
    assert revoked.revoked_at is not None
    assert api_tokens.user_for_api_token(db, raw) is None
    assert api_tokens.user_for_api_token(db, other_raw) is user  # the other one still works


def test_only_the_owner_revokes_a_token(db: Session, make_user: Callable[..., User]) -> None:
    owner, stranger = make_user(), make_user()
    token, raw = api_tokens.create_api_token(db, actor=owner, name="meins")
    with pytest.raises(NotFound):
        api_tokens.revoke_api_token(db, token.id, actor=stranger)
    with pytest.raises(NotPermitted):
        api_tokens.revoke_api_token(db, token.id, actor=None)
    with pytest.raises(NotFound):
        api_tokens.revoke_api_token(db, 999_999, actor=owner)
    assert api_tokens.user_for_api_token(db, raw) is owner


def test_anonymous_and_inactive_users_get_no_tokens(
    db: Session, make_user: Callable[..., User]
) -> None:
    with pytest.raises(NotPermitted):
        api_tokens.create_api_token(db, actor=None, name="x")
    with pytest.raises(NotPermitted):
        api_tokens.create_api_token(db, actor=make_user(active=False), name="x")
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_unknown_token_is_rejected(db: Session, make_user: Callable[..., User]) -> None:
    _, raw = api_tokens.create_api_token(db, actor=make_user(), name="echt")
    for wrong in ["", "cst_unbekannt", raw[:-1], raw + "x", raw.upper(), "x" * 201]:
        assert api_tokens.user_for_api_token(db, wrong) is None, wrong
    assert api_tokens.user_for_api_token(db, raw) is not None


def test_token_use_updates_last_used_at(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    token, raw = api_tokens.create_api_token(db, actor=user, name="x")
    assert token.last_used_at is None
    before = utcnow()
    api_tokens.user_for_api_token(db, raw)
    # Written beside the caller's transaction (also a reading request may record it).
    db.expire(token)
    assert token.last_used_at is not None and token.last_used_at >= before

    # Within a few minutes it is not rewritten on every request ...
    first_use = token.last_used_at
    api_tokens.user_for_api_token(db, raw)
    db.expire(token)
    assert token.last_used_at == first_use
    # ... but an old stamp is renewed.
    token.last_used_at = utcnow() - timedelta(hours=1)
    db.flush()
    api_tokens.user_for_api_token(db, raw)
    db.expire(token)
    assert token.last_used_at >= before
