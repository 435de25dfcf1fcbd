"""Personal data (issue 14 item 4): erasure, the data download, retention.

Erasure is checked on the demo (real names in every corner: feedback, replies, decisions,
statements drafted by staff, the published response table): every page, export and API
answer the app has is walked before and after, and the old name and e-mail address must be
in some before and in none after.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from itertools import product
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing.converters import AnyConverter

from consult import demo
from consult.errors import Conflict, NotPermitted
from consult.models import (
    ApiToken,
    Consultation,
    ExportJob,
    Feedback,
    Membership,
    OutboxMessage,
    Placement,
    Reply,
    Revision,
    Round,
    Statement,
    StatementAttachment,
    StatementVersion,
    User,
    WorkingGroup,
)
from consult.services import accounts, api_tokens, mail, privacy
from tests import support
from tests.conftest import PASSWORD, CSRFClient

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def story(app: Flask, db: Session) -> Iterator[None]:
    """The demo, loaded (cheap password hashes: tests.support.app)."""
    with app.app_context():
        demo.load_demo(db)
        db.commit()
    yield


def person(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


# --- walking every page -----------------------------------------------------------------


def _text(response: Any) -> str:
    """What a reader of the response sees: HTML and JSON as text, documents unpacked."""
    data: bytes = response.get_data()
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        text = " ".join(page.extract_text() or "" for page in reader.pages)
    elif data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = []
            for name in archive.namelist():
                inner = archive.read(name)
                if inner.startswith(b"%PDF"):
                    reader = PdfReader(io.BytesIO(inner))
                    parts.append(" ".join(p.extract_text() or "" for p in reader.pages))
                else:
                    parts.append(inner.decode("utf-8", "replace"))
            text = " ".join(parts)
    else:
        text = data.decode("utf-8", "replace")
        if response.mimetype == "application/json":
            text = json.dumps(response.get_json(), ensure_ascii=False)
    text = re.sub(r"<[^>]+>", " ", html.unescape(text))  # "Jonas <b>Becker</b>" as well
    return re.sub(r"\s+", " ", text)


def _arguments(db: Session, people: list[int]) -> dict[str, list[Any]]:
    """Candidate values of the path arguments of the app's GET routes (of feedback: what
    ``people`` wrote or answered)."""
    replied = select(Reply.feedback_id).where(Reply.author_id.in_(people))
    feedback = list(
        db.scalars(
            select(Feedback).where(Feedback.author_id.in_(people) | Feedback.id.in_(replied))
        )
    )
    return {
        "consultation_id": list(db.scalars(select(Consultation.id))),
        "revision_id": list(db.scalars(select(Revision.id))),
        "round_id": list(db.scalars(select(Round.id))),
        "statement_id": list(db.scalars(select(Statement.id))),
        "feedback_id": [f.id for f in feedback],
        "comment_id": [f.id for f in feedback if f.kind == "comment"],
        "suggestion_id": [f.id for f in feedback if f.kind == "suggestion"],
        "remark_id": [f.id for f in feedback if f.kind == "remark"],
        "user_id": list(db.scalars(select(User.id))),
        "organisation_id": list(db.scalars(select(User.organisation_id).distinct()))[:20],
        "group_id": list(db.scalars(select(WorkingGroup.id))),
        "job_id": list(db.scalars(select(ExportJob.id))),
    }


def _pairs(db: Session) -> dict[frozenset[str], list[dict[str, Any]]]:
    """Arguments that go together (a version of a statement, a section of a revision)."""
    first_sections = db.execute(
        select(Placement.revision_id, func.min(Placement.section_id)).group_by(
            Placement.revision_id
        )
    )
    return {
        frozenset({"statement_id", "number"}): [
            {"statement_id": s, "number": n}
            for s, n in db.execute(select(StatementVersion.statement_id, StatementVersion.number))
        ],
        frozenset({"statement_id", "attachment_id"}): [
            {"statement_id": s, "attachment_id": a}
            for s, a in db.execute(select(StatementAttachment.statement_id, StatementAttachment.id))
        ],
        frozenset({"revision_id", "section_id"}): [
            {"revision_id": r, "section_id": s} for r, s in first_sections
        ],
        frozenset({"round_id", "job_id"}): [
            {"round_id": r, "job_id": j}
            for r, j in db.execute(select(ExportJob.round_id, ExportJob.id))
        ],
    }


def page_urls(app: Flask, db: Session, people: list[int]) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET page, export and API answer about the demo's objects."""
    values = _arguments(db, people)
    pairs = _pairs(db)
    adapter = app.url_map.bind("consult.test")
    urls: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in ("static", "auth.redeem"):
            continue
        converters = rule._converters
        choices = {n: list(c.items) for n, c in converters.items() if isinstance(c, AnyConverter)}
        ids = frozenset(n for n in converters if n not in choices)
        if ids in pairs:
            combos = pairs[ids]
        elif all(n in values for n in ids):
            combos = [dict(zip(ids, v, strict=True)) for v in product(*(values[n] for n in ids))]
        else:
            continue  # an argument this walk knows nothing about
        for combo in combos:
            for extra in product(*choices.values()):
                arguments = {**combo, **dict(zip(choices, extra, strict=True))}
                urls.append((rule.endpoint, adapter.build(rule.endpoint, arguments)))
    return sorted(set(urls))


def walk(client: CSRFClient, urls: list[tuple[str, str]], **headers: str) -> dict[str, str]:
    """The text of every URL that answers 200, by URL."""
    seen = {}
    for endpoint, url in urls:
        if endpoint.startswith("api.") != bool(headers):
            continue
        response = client.get(url, headers=headers)
        assert response.status_code < 500, url
        if response.status_code == 200:
            seen[url] = _text(response)
    return seen


def where(pages: dict[str, str], *needles: str) -> set[str]:
    return {url for url, text in pages.items() if any(n in text for n in needles)}


MUST_WALK = (
    "/revisions/",  # the reading view
    "/responses",  # the response table
    "/responses.csv",
    "/responses.xlsx",
    "/responses.docx",
    "/statements/board",
    "/statements/annex.pdf",
    "/api/v1/rounds/",
)


def test_erased_names_are_gone_from_every_page_export_and_answer(
    app: Flask, db: Session, story: None, client: CSRFClient, token_for: Any
) -> None:
    admin = person(db, "admin@consult.example")
    jonas = person(db, "caritas@consult.example")  # participant: feedback, replies
    tobias = person(db, "verwaltung.much@consult.example")  # drafts Much's statements
    names = [(jonas.name, jonas.email), (tobias.name, tobias.email)]
    caritas = jonas.organisation_id
    kept = db.scalar(select(func.count(Feedback.id)).where(Feedback.organisation_id == caritas))
    headers = token_for(admin)
    support.sign_in(client, db, admin)
    urls = page_urls(app, db, [jonas.id, tobias.id])

    before = walk(client, urls) | walk(client, urls, **headers)
    assert where(before, tobias.name)  # the statements he drafted
    found = where(before, jonas.name)
    assert any("/responses" in u for u in found) and any("/api/v1/" in u for u in found)
    assert where(before, jonas.name) & {u for u in before if re.fullmatch(r"/revisions/\d+", u)}
    assert where(before, "caritas@consult.example")
    for part in MUST_WALK:
        assert any(part in url for url in before), part

    with app.app_context():
        privacy.erase(db, actor=admin, user_id=jonas.id)
        privacy.erase(db, actor=admin, user_id=tobias.id)
    db.commit()

    after = walk(client, urls) | walk(client, urls, **headers)
    assert set(after) >= set(before) - {u for u in before if "/users/" in u}
    # The audit log (services.audit) is checked last, apart: see the end.
    pages = {url: text for url, text in after.items() if "/audit" not in url}
    for name, email in names:
        assert not where(pages, name), (name, sorted(where(pages, name)))
        assert not where(pages, email), (email, sorted(where(pages, email)))
    assert where(after, privacy.ERASED_NAME)
    # The organisation's feedback stays, under the organisation's name.
    assert (
        db.scalar(select(func.count(Feedback.id)).where(Feedback.organisation_id == caritas))
        == kept
    )
    assert kept and where(after, "Caritasverband im Kreis Siegtal")

    # The audit log's entries keep the names of their time (hash-chained, never changed);
    # its pages, CSV and API show a person's name as the account has it now.
    assert not where(after, *(n for pair in names for n in pair))


def test_an_erased_person_cannot_sign_in_and_their_tokens_fail(
    app: Flask, db: Session, client: CSRFClient, make_user: Any, token_for: Any
) -> None:
    user = make_user("Greta Gärtner", email="greta@example.org")
    headers = token_for(user)
    accounts.issue_one_time_token(db, user, "reset", 2)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        privacy.erase(db, actor=user)
    db.commit()

    assert client.get("/api/v1/me", headers=headers).status_code == 401
    response = client.post("/login", data={"email": "greta@example.org", "password": PASSWORD})
    assert response.status_code != 302
    db.expire_all()
    assert accounts.find_user_by_email(db, "greta@example.org") is None
    assert user.name == privacy.ERASED_NAME
    assert user.email.endswith(".invalid") and user.password_hash is None
    assert not user.is_active and user.erased_at is not None
    assert db.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id)) == 0
    with pytest.raises(Conflict), app.app_context():
        privacy.erase(db, actor=make_user(admin=True), user_id=user.id)


def test_only_admins_erase_other_people(app: Flask, db: Session, make_user: Any) -> None:
    one, other = make_user(), make_user()
    with pytest.raises(NotPermitted), app.app_context():
        privacy.erase(db, actor=one, user_id=other.id)
    assert other.erased_at is None


def test_the_last_admin_cannot_erase_themselves(app: Flask, db: Session, make_user: Any) -> None:
    for user in db.scalars(select(User).where(User.is_admin.is_(True))):
        user.is_admin = False
    only = make_user(admin=True)
    with pytest.raises(Conflict), app.app_context():
        privacy.erase(db, actor=only)


def test_erasure_drops_waiting_mail_and_memberships(app: Flask, db: Session, story: None) -> None:
    jonas = person(db, "caritas@consult.example")
    address = jonas.email
    mail.queue(db, address, "Erinnerung", "Hallo Jonas Becker")
    other = mail.queue(db, "redaktion@consult.example", "Neue Antwort", "Jonas Becker antwortete")
    assert db.scalar(select(func.count(Membership.id)).where(Membership.user_id == jonas.id))
    with app.app_context():
        privacy.erase(db, actor=jonas)
    assert not list(db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)))
    assert not db.scalar(select(func.count(Membership.id)).where(Membership.user_id == jonas.id))
    db.refresh(other)
    assert "Jonas Becker" not in other.body_text and privacy.ERASED_NAME in other.body_text


# --- the data download --------------------------------------------------------------------


def test_the_download_holds_everything_stored_about_the_person(
    app: Flask, db: Session, story: None
) -> None:
    jonas = person(db, "caritas@consult.example")
    tobias = person(db, "verwaltung.much@consult.example")
    mail.queue(db, jonas.email, "Einladung zur Runde", "Hallo Jonas Becker")
    api_tokens.create_api_token(db, actor=jonas, name="Ratsinfo")
    others = db.scalar(select(Feedback).where(Feedback.author_id != jonas.id).limit(1))
    assert others is not None
    db.add(
        Reply(
            feedback_id=others.id,
            author_id=jonas.id,
            organisation_id=jonas.organisation_id,
            body="Danke, das sehen wir genauso.",
        )
    )
    db.flush()
    with app.app_context():
        data = privacy.my_data(db, actor=jonas)
        staff = privacy.my_data(db, actor=tobias)
        mayor = privacy.my_data(db, actor=person(db, "buergermeisterin.much@consult.example"))
    json.dumps(data)  # JSON as it is

    assert data["account"]["name"] == "Jonas Becker"
    assert data["account"]["email"] == "caritas@consult.example"
    assert data["account"]["organisation"]["name"] == "Caritasverband im Kreis Siegtal"
    assert {m["role"] for m in data["memberships"]} == {"participant"}
    assert data["working_groups"]
    own = db.scalar(select(func.count(Feedback.id)).where(Feedback.author_id == jonas.id)) or 0
    assert len(data["feedback"]) == own > 0
    assert {f["kind"] for f in data["feedback"]} >= {"comment", "suggestion"}
    assert any(f["replies"] for f in data["feedback"])
    assert any(f["decision"] for f in data["feedback"])  # the first round's, published
    assert all(
        f["decision"] is None for f in data["feedback"] if f["round_id"] == max_round(db)
    )  # the current round's are the editors' work still
    assert [r["body"] for r in data["replies"]] == ["Danke, das sehen wir genauso."]
    assert [e["subject"] for e in data["emails"]] == ["Einladung zur Runde"]
    assert [t["name"] for t in data["api_tokens"]] == ["Ratsinfo"]
    assert "token_hash" not in json.dumps(data) and "cst_" not in json.dumps(data)
    assert set(data["logins"]) >= {"last_login_at"}
    assert [d["last_saved_by_you"] for d in staff["statements"]["drafts"]] == [True]
    assert mayor["statements"]["versions"][0]["submitted_by_you"]
    assert mayor["statements"]["versions"][0]["signatory_function"] == "Bürgermeisterin"


def max_round(db: Session) -> int:
    newest: int | None = db.scalar(select(func.max(Round.id)))
    assert newest is not None
    return newest


def test_a_signature_on_a_submitted_statement_stays_a_draft_loses_it(
    app: Flask, db: Session, story: None
) -> None:
    """A mayor signs a submitted statement in office (a public act): that stays; the name in
    a draft never submitted goes with the account."""
    petra = person(db, "buergermeisterin.much@consult.example")
    with app.app_context():
        privacy.erase(db, actor=petra)
    db.expire_all()
    signed = db.scalars(select(StatementVersion.signatory_name)).all()
    assert "Petra Lenz" in signed
    drafts = db.scalars(select(Statement).where(Statement.status == "draft")).all()
    assert drafts and all(d.draft_signatory_name != "Petra Lenz" for d in drafts)


def test_an_erased_account_cannot_be_revived_by_an_edit(
    app: Flask, db: Session, make_user: Any
) -> None:
    """Editing it back to life would put a new person's name on the old contributions."""
    user, admin = make_user(), make_user(admin=True)
    with app.app_context():
        privacy.erase(db, actor=admin, user_id=user.id)
        with pytest.raises(Conflict):
            accounts.update_user(
                db,
                user.id,
                actor=admin,
                name="Neue Person",
                email="neu@example.org",
                organisation_id=None,
                is_admin=False,
                is_active=True,
            )
