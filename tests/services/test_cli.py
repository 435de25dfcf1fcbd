"""The ``flask --app consult`` commands: user, token, demo, mail (API.md, "Command line")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import demo
from consult.config import Settings
from consult.models import (
    ApiToken,
    Consultation,
    Feedback,
    FeedbackDecision,
    Membership,
    Organisation,
    OutboxMessage,
    ResponseSnippet,
    Revision,
    Round,
    RoundPublication,
    Statement,
    StatementAttachment,
    StatementExtension,
    StatementVersion,
    User,
)
from consult.services import accounts, api_tokens, mail
from tests.conftest import PASSWORD, CSRFClient


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~0.2 s per hash; the demo alone hashes eleven passwords."""

    def fast(password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(accounts, "generate_password_hash", fast)
    monkeypatch.setattr(demo, "generate_password_hash", fast)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def settings(app: Flask) -> Settings:
    configured: Settings = app.extensions["consult_settings"]
    return configured


def run(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# --- user create ---------------------------------------------------------------------


def test_user_create_prints_only_the_id(
    runner: FlaskCliRunner, db: Session, make_org: Callable[..., Organisation]
) -> None:
    org = make_org("Stadt Troisdorf", kind="municipality")
    db.commit()
    result = run(
        runner,
        "user",
        "create",
        "Petra.Lenz@Example.org",
        "--name",
        "Petra Lenz",
        "--password",
        PASSWORD,
        "--organisation",
        str(org.id),
    )
    assert re.fullmatch(r"\d+\n", result.stdout)
    db.expire_all()
    user = db.get(User, int(result.stdout))
    assert user is not None
    assert (user.email_key, user.name, user.organisation_id) == (
        "petra.lenz@example.org",
        "Petra Lenz",
        org.id,
    )
    assert not user.is_admin
    assert accounts.authenticate(db, "petra.lenz@example.org", PASSWORD) is user
    assert count(db, OutboxMessage) == 0  # a password was given: no invitation


def test_user_create_admin(runner: FlaskCliRunner, db: Session) -> None:
    result = run(
        runner, "user", "create", "chef@example.org", "--name", "Chefin", "--password", PASSWORD
    )
    assert not db.get(User, int(result.stdout)).is_admin  # type: ignore[union-attr]
    result = run(
        runner,
        "user",
        "create",
        "root@example.org",
        "--name",
        "Root",
        "--password",
        PASSWORD,
        "--admin",
    )
    assert db.get(User, int(result.stdout)).is_admin  # type: ignore[union-attr]


def test_user_create_without_password_sends_an_invitation(
    runner: FlaskCliRunner, db: Session, settings: Settings
) -> None:
    result = run(runner, "user", "create", "neu@example.org", "--name", "Nina Neu")
    assert re.fullmatch(r"\d+\n", result.stdout)
    db.expire_all()
    user = db.get(User, int(result.stdout))
    assert user is not None and user.password_hash is None
    [message] = db.scalars(select(OutboxMessage)).all()
    assert message.to_address == "neu@example.org"
    assert message.subject == "Einladung zu consult"
    assert "/password/set/" in message.body_text
    # The command delivers it right away (file backend in the tests).
    assert message.sent_at is not None
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1


def test_user_create_output_stays_clean_with_the_console_backend(
    app: Flask, runner: FlaskCliRunner, db: Session, settings: Settings
) -> None:
    app.extensions["consult_settings"] = settings.replace(mail_backend="console")
    result = run(runner, "user", "create", "konsole@example.org", "--name", "K")
    assert re.fullmatch(r"\d+\n", result.stdout), result.stdout  # scripts read the id
    assert "Einladung zu consult" in result.stderr  # the mail is shown, beside the id


USER_CREATE_ERRORS = [
    (["taken@example.org", "--name", "Zwei", "--password", PASSWORD], "schon registriert"),
    (["neu@example.org", "--name", "Neu", "--password", "kurz"], "mindestens 10 Zeichen"),
    (["neu@example.org", "--name", "Neu", "--password", "passwort123"], "häufig verwendeter"),
    (["neu@example.org", "--name", "Neu", "--password", "#-mnbvcxy-lkjhg"], "Tastaturfolge"),
    (["nina.neu@example.org", "--name", "N", "--password", "Nina-Neu-2026"], "E-Mail-Adresse"),
    (["kein-at", "--name", "Neu", "--password", PASSWORD], "E-Mail-Adresse ist ungültig"),
    (["neu@example.org", "--name", "Neu", "--organisation", "999999"], "Organisation"),
]


def test_user_create_errors(
    runner: FlaskCliRunner, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="taken@example.org")
    db.commit()
    users = count(db, User)
    for args, message in USER_CREATE_ERRORS:
        result = runner.invoke(args=["user", "create", *args])
        assert result.exit_code == 1, args
        assert result.stdout == "", args
        assert message in result.stderr, (args, result.stderr)
    db.expire_all()
    assert count(db, User) == users
    assert count(db, OutboxMessage) == 0


# --- token create --------------------------------------------------------------------


def test_token_create_prints_only_a_working_token(
    runner: FlaskCliRunner, client: CSRFClient, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(email="Skript@Example.org")
    db.commit()
    result = run(runner, "token", "create", "skript@example.org")
    raw = result.stdout.removesuffix("\n")
    assert re.fullmatch(r"cst_[A-Za-z0-9_-]{40,}", raw)
    assert result.stdout == raw + "\n"

    db.expire_all()
    [token] = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert token.name == "CLI"
    assert token.token_hash != raw and raw not in token.token_hash

    response = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert user.organisation is not None
    names = [o["name"] for o in response.get_json()["organisations"]]
    assert user.organisation.name in names
    bad = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {raw}x"})
    assert bad.status_code == 401


def test_token_create_with_a_name(
    runner: FlaskCliRunner, db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    db.commit()
    raw = run(runner, "token", "create", user.email, "--name", "Ratsinfo").stdout.strip()
    db.expire_all()
    assert api_tokens.user_for_api_token(db, raw) == user
    assert [t.name for t in api_tokens.list_api_tokens(db, actor=user)] == ["Ratsinfo"]


def test_token_create_refuses_unknown_or_inactive_users(
    runner: FlaskCliRunner, db: Session, make_user: Callable[..., User]
) -> None:
    make_user(email="inaktiv@example.org", active=False)
    db.commit()
    for email in ["niemand@example.org", "inaktiv@example.org"]:
        result = runner.invoke(args=["token", "create", email])
        assert result.exit_code == 1
        assert result.stdout == ""
        assert f"no active user with e-mail {email}" in result.stderr
    db.expire_all()
    assert count(db, ApiToken) == 0


# --- demo load -----------------------------------------------------------------------


#: What the demo's story adds besides people: counted to show that loading again adds none.
STORY = (
    Revision,
    Round,
    Feedback,
    FeedbackDecision,
    ResponseSnippet,
    RoundPublication,
    Statement,
    StatementVersion,
    StatementExtension,
    StatementAttachment,
)


def demo_counts(db: Session, models: tuple[type, ...] = ()) -> dict[str, int]:
    db.expire_all()
    return {
        model.__name__: count(db, model)
        for model in (Organisation, User, Consultation, Membership, *models)
    }


def test_demo_load_is_idempotent_and_prints_the_logins(runner: FlaskCliRunner, db: Session) -> None:
    first = run(runner, "demo", "load")
    after_first = demo_counts(db)
    assert after_first == {
        "Organisation": len(demo.MUNICIPALITIES) + len(demo.PARTNERS),
        "User": len(demo.DEMO_USERS),
        "Consultation": 1,
        "Membership": sum(1 for entry in demo.DEMO_USERS if entry[4] is not None),
    }
    assert len(demo.MUNICIPALITIES) == 19

    story = demo_counts(db, STORY)
    assert story["Revision"] == 3 and story["RoundPublication"] == 3

    second = run(runner, "demo", "load")
    assert demo_counts(db, STORY) == story  # nothing duplicated
    assert second.stdout == first.stdout

    for _label, email, _name, _org, _role, is_admin, password in demo.DEMO_USERS:
        line = next(line for line in first.stdout.splitlines() if email in line)
        assert line.split()[-1] == password
        user = accounts.authenticate(db, email, password)
        assert user is not None, email  # the printed logins work
        assert user.is_admin is is_admin


def test_demo_roles_and_organisations(runner: FlaskCliRunner, db: Session) -> None:
    run(runner, "demo", "load")
    db.expire_all()
    kinds = {name: kind for name, kind in db.execute(select(Organisation.name, Organisation.kind))}
    assert {kinds[name] for name in demo.MUNICIPALITIES} == {"municipality"}
    assert {"welfare", "school", "police", "migrant_org", "administration"} <= set(kinds.values())
    consultation = db.scalar(
        select(Consultation).where(Consultation.title == demo.CONSULTATION_TITLE)
    )
    assert consultation is not None
    roles = {
        m.user.email: m.role
        for m in db.scalars(select(Membership).where(Membership.consultation_id == consultation.id))
    }
    assert set(roles.values()) == {"editor", "participant", "municipality", "observer"}
    assert "admin@consult.example" not in roles


def test_demo_load_completes_a_partial_demo(runner: FlaskCliRunner, db: Session) -> None:
    """What exists is left alone (including a changed password), what is missing is added."""
    run(runner, "demo", "load")
    db.expire_all()
    editor = accounts.find_user_by_email(db, "redaktion@consult.example")
    assert editor is not None
    accounts.change_password(db, actor=editor, current="Demo-Redaktion-2026", new=PASSWORD)
    observer = accounts.find_user_by_email(db, "fraktion@consult.example")
    assert observer is not None
    db.execute(delete(Membership).where(Membership.user_id == observer.id))
    db.execute(delete(Organisation).where(Organisation.name == "Windeck"))
    db.commit()
    complete = demo_counts(db)
    assert complete["Organisation"] == len(demo.MUNICIPALITIES) + len(demo.PARTNERS) - 1

    run(runner, "demo", "load")
    counts = demo_counts(db)
    assert counts["Organisation"] == len(demo.MUNICIPALITIES) + len(demo.PARTNERS)
    assert counts["Membership"] == complete["Membership"] + 1
    assert db.scalar(select(Membership.role).where(Membership.user_id == observer.id)) == (
        "observer"
    )
    # The changed password was kept, not reset to the printed one.
    assert accounts.authenticate(db, "redaktion@consult.example", PASSWORD) is not None
    assert accounts.authenticate(db, "redaktion@consult.example", "Demo-Redaktion-2026") is None


# --- mail send -----------------------------------------------------------------------


def test_mail_send_delivers_due_mail(
    runner: FlaskCliRunner, db: Session, settings: Settings
) -> None:
    mail.queue(db, "eins@example.org", "Frist verlängert", "Bis Freitag.\n")
    mail.queue(db, "zwei@example.org", "Erinnerung", "Nächste Woche.\n")
    db.commit()

    assert run(runner, "mail", "send").stdout == "sent 2, failed 0\n"
    files = list(settings.mail_dir.glob("*.eml"))
    assert len(files) == 2
    db.expire_all()
    assert all(m.sent_at is not None for m in db.scalars(select(OutboxMessage)))

    assert run(runner, "mail", "send").stdout == "sent 0, failed 0\n"
    assert len(list(settings.mail_dir.glob("*.eml"))) == 2


def test_mail_send_keeps_what_fails(
    app: Flask, runner: FlaskCliRunner, db: Session, settings: Settings, tmp_path: Path
) -> None:
    mail.queue(db, "eins@example.org", "Hallo", "Text\n")
    db.commit()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app.extensions["consult_settings"] = settings.replace(mail_dir=blocker)

    assert run(runner, "mail", "send").stdout == "sent 0, failed 1\n"
    db.expire_all()
    [message] = db.scalars(select(OutboxMessage)).all()
    assert message.sent_at is None and message.attempts == 1 and message.last_error
