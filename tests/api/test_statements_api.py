"""Statements of the municipalities through /api/v1 (issue 12, API.md "Statements"): who may
submit, draft and read for which municipality, release and return, versions, attachments
checked by content (and a 60 MB upload refused before it is read), deadlines and a
per-municipality extension, paper intake, the status of every invited municipality, the
annex, and the remarks as decidable items."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import Membership, Organisation, Round, User
from tests import support
from tests.api.test_feedback_api import Api, assert_error, ok
from tests.conftest import CSRFClient
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class StatementApi(Api):
    towns: Municipalities

    def statements_url(self) -> str:
        assert self.towns.round is not None
        return f"/rounds/{self.towns.round.id}/statements"

    def send(self, user: User, organisation: Organisation, **fields: Any) -> Any:
        payload = {
            "organisation_id": organisation.id,
            "position": "consent_with_remarks",
            "body": "Die Stadt begrüßt den Entwurf.",
            "signatory": user.name,
            **fields,
        }
        return self.post(user, self.statements_url(), payload)

    def upload(self, user: User, statement_id: int, content: bytes, name: str) -> Any:
        return self.client.post(
            f"/api/v1/statements/{statement_id}/attachments",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
            headers=self.headers(user),
        )

    def move_deadline(self, delta: timedelta) -> None:
        db = self.world.db
        round_ = db.get(Round, self.towns.round.id)  # type: ignore[union-attr]
        assert round_ is not None
        round_.closes_at = utcnow() + delta
        db.commit()


@pytest.fixture
def api(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    client: CSRFClient,
    token_for: Callable[[User], dict[str, str]],
) -> StatementApi:
    world = build_world(db, admin, make_user, make_org, add_member)
    towns = add_municipalities(world)
    towns.open_round()
    db.commit()
    found = StatementApi(world, client, token_for)
    found.towns = towns
    return found


def test_the_members_endpoint_makes_staff_and_signatories(api: StatementApi) -> None:
    t = api.towns
    url = f"/consultations/{t.world.consultation.id}/members/{t.clerk.id}"
    shown = ok(api.put(t.editor, url, {"role": "municipality"}))
    assert (shown["signatory"], shown["signatory_function"]) == (False, None)  # kept
    shown = ok(
        api.put(
            t.editor,
            url,
            {
                "role": "municipality",
                "signatory": True,
                "signatory_function": "stellv. Bürgermeisterin",
            },
        )
    )
    assert (shown["signatory"], shown["signatory_function"]) == (True, "stellv. Bürgermeisterin")
    listed = ok(api.get(t.editor, f"/consultations/{t.world.consultation.id}/members"))
    roles = {m["user_id"]: (m["role"], m["signatory"]) for m in listed["members"]}
    assert roles[t.world.alice.id] == ("participant", None)
    assert_error(api.put(t.editor, url, {"role": "municipality", "signatory": "ja"}), 422)


def test_a_member_of_municipality_a_cannot_submit_draft_or_read_for_b(api: StatementApi) -> None:
    t = api.towns
    api.get(t.lohmar_mayor, api.statements_url())  # (its token used: the snapshot is after)
    before = support.snapshot(t.db)
    assert_error(api.send(t.lohmar_mayor, t.siegburg), 403)
    assert_error(api.send(t.lohmar_mayor, t.siegburg, draft=True), 403)
    assert support.snapshot(t.db) == before
    own = ok(api.send(t.mayor, t.siegburg), 201)
    assert (own["version"], own["organisation"], own["status"]) == (1, "Siegburg", "submitted")
    assert_error(api.get(t.lohmar_mayor, f"/statements/{own['id']}"), 403)
    assert_error(api.get(t.lohmar_mayor, f"/statements/{own['id']}/versions/1"), 403)
    listed = ok(api.get(t.lohmar_mayor, api.statements_url()))
    assert listed["statements"] == []
    assert [
        s["organisation"] for s in ok(api.get(t.editor, api.statements_url()))["statements"]
    ] == ["Siegburg"]


def test_staff_cannot_submit_without_release(api: StatementApi) -> None:
    t = api.towns
    error = assert_error(api.send(t.clerk, t.siegburg), 403)
    assert "Entwurf zur Freigabe" in error["message"]
    remark = {"section_id": t.section_id("2"), "body": "Mehr Kita-Plätze.", "anchor": None}
    draft = ok(api.send(t.clerk, t.siegburg, draft=True, section_remarks=[remark]), 201)
    assert draft["status"] == "draft" and draft["version"] is None
    assert draft["draft"]["drafted_by"]["id"] == t.clerk.id
    assert draft["draft"]["section_remarks"][0]["body"] == "Mehr Kita-Plätze."
    assert_error(api.post(t.clerk, f"/statements/{draft['id']}/release", {}), 403)
    # The editors see that there is a draft, not what it says.
    assert ok(api.get(t.editor, f"/statements/{draft['id']}"))["draft"] is None
    released = ok(
        api.post(
            t.mayor,
            f"/statements/{draft['id']}/release",
            {"draft_revision": draft["draft"]["draft_revision"]},
        ),
        201,
    )
    assert (released["version"], released["signatory"]) == (1, "Stefan Roth")
    version = ok(api.get(t.editor, f"/statements/{draft['id']}/versions/1"))
    assert version["section_remarks"][0]["status"] == "open"


def test_return_with_a_reason(api: StatementApi) -> None:
    t = api.towns
    draft = ok(api.send(t.clerk, t.siegburg, draft=True), 201)
    url = f"/statements/{draft['id']}/return"
    assert_error(api.post(t.mayor, url, {}), 422, "missing_field")
    returned = ok(api.post(t.mayor, url, {"reason": "Bitte die Kosten nennen."}))
    assert returned["status"] == "returned"
    assert returned["draft"]["returned_reason"] == "Bitte die Kosten nennen."
    assert returned["draft"]["returned_by"]["name"] == "Stefan Roth"
    assert_error(api.post(t.mayor, url, {"reason": "noch einmal"}), 409, "not_a_draft")
    mails = support.mails(api.client.application)
    assert mails[-1]["to"] == t.clerk.email and "Bitte die Kosten nennen." in mails[-1]["body"]


def test_unknown_position_is_422_and_writes_nothing(api: StatementApi) -> None:
    t = api.towns
    api.get(t.mayor, api.statements_url())  # (its token used: the snapshot is after)
    before = support.snapshot(t.db)
    error = assert_error(
        api.send(t.mayor, t.siegburg, position="vielleicht"), 422, "invalid_position"
    )
    assert "position" in error["fields"]
    assert_error(api.send(t.mayor, t.siegburg, position="rejection", body=""), 422, "body_required")
    assert support.snapshot(t.db) == before


def test_resubmission_is_version_2_and_version_1_stays_readable(api: StatementApi) -> None:
    t = api.towns
    first = ok(api.send(t.mayor, t.siegburg, body="Wir stimmen zu."), 201)
    second = ok(api.send(t.mayor, t.siegburg, position="rejection", body="Wir lehnen ab."), 201)
    assert (first["id"], first["version"], second["version"]) == (second["id"], 1, 2)
    v1 = ok(api.get(t.mayor, f"/statements/{first['id']}/versions/1"))
    assert (v1["number"], v1["body"], v1["position"]) == (
        1,
        "Wir stimmen zu.",
        "consent_with_remarks",
    )
    shown = ok(api.get(t.editor, f"/statements/{first['id']}"))
    assert [v["number"] for v in shown["versions"]] == [1, 2] and shown["position"] == "rejection"
    diff = ok(api.get(t.mayor, f"/statements/{first['id']}/diff?old=1&new=2"))
    assert diff["position_changed"] and ["delete", "stimmen zu"] in diff["ops"]
    assert_error(api.get(t.mayor, f"/statements/{first['id']}/diff?old=1&new=x"), 422)
    assert_error(api.get(t.mayor, f"/statements/{first['id']}/versions/3"), 404)


def test_keine_bedenken_in_one_step(api: StatementApi) -> None:
    t = api.towns
    url = f"{api.statements_url()}/no-objections"
    done = ok(api.post(t.lohmar_mayor, url, {"organisation_id": t.lohmar.id}), 201)
    assert (done["position"], done["body"]) == (
        "consent",
        "Gegen den Entwurf bestehen keine Bedenken.",
    )
    assert_error(api.post(t.clerk, url, {"organisation_id": t.siegburg.id}), 403)


# --- attachments -------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_and_downloaded_safely(api: StatementApi) -> None:
    t = api.towns
    draft = ok(api.send(t.clerk, t.siegburg, draft=True), 201)
    content = minimal_pdf("Ratsbeschluss")
    added = ok(api.upload(t.clerk, draft["id"], content, "Beschluss Rat – März.pdf"), 201)
    assert (added["name"], added["size"], added["pages"], added["in_draft"]) == (
        "Beschluss Rat – März.pdf",
        len(content),
        1,
        True,
    )
    response = api.client.get(added["url"], headers=api.headers(t.mayor))
    assert response.status_code == 200 and response.get_data() == content
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Beschluss%20Rat%20%E2%80%93%20M%C3%A4rz.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    # Not the editors' (nor another municipality's) before it is submitted.
    assert_error(api.client.get(added["url"], headers=api.headers(t.editor)), 404)
    ok(api.post(t.mayor, f"/statements/{draft['id']}/release", {}), 201)
    frozen = ok(api.get(t.editor, f"/statements/{draft['id']}/versions/1"))["attachments"]
    assert [a["id"] for a in frozen] == [added["id"]]


def test_html_renamed_to_pdf_is_422(api: StatementApi) -> None:
    t = api.towns
    draft = ok(api.send(t.clerk, t.siegburg, draft=True), 201)
    before = support.snapshot(t.db)
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    error = assert_error(
        api.upload(t.clerk, draft["id"], html, "stellungnahme.pdf"), 422, "not_pdf"
    )
    assert "kein PDF-Dokument" in error["message"] and "file" in error["fields"]
    assert support.snapshot(t.db) == before
    assert_error(
        api.client.post(
            f"/api/v1/statements/{draft['id']}/attachments",
            data={"other": "x"},
            content_type="multipart/form-data",
            headers=api.headers(t.clerk),
        ),
        422,
        "missing_field",
    )
    assert_error(
        api.client.post(
            f"/api/v1/statements/{draft['id']}/attachments",
            json={"file": "x"},
            headers=api.headers(t.clerk),
        ),
        400,
    )


class CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes that counts what the server reads of it (seekable,
    as the test client wants to measure it; nothing is held in memory)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[
            whence
        ] + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"x" * n
        self.position += n
        self.consumed += n
        return n


def test_a_60_mb_upload_is_413_before_it_is_read(api: StatementApi) -> None:
    t = api.towns
    draft = ok(api.send(t.clerk, t.siegburg, draft=True), 201)
    body = CountingStream(60 * 1024 * 1024)
    response = api.client.post(
        f"/api/v1/statements/{draft['id']}/attachments",
        input_stream=body,
        content_length=body.size,
        content_type="multipart/form-data; boundary=grenze",
        headers={**api.headers(t.clerk), "Idempotency-Key": "gross-1"},
    )
    error = assert_error(response, 413)
    assert "20 MB" in error["message"]
    assert body.consumed == 0  # refused by its Content-Length: not a byte read


# --- deadlines and paper intake ----------------------------------------------------------


def test_after_the_deadline_409_and_an_extension_for_one_municipality(api: StatementApi) -> None:
    t = api.towns
    api.move_deadline(timedelta(minutes=-5))
    error = assert_error(api.send(t.mayor, t.siegburg), 409, "round_closed")
    assert "Frist" in error["message"]
    extension = ok(
        api.post(
            t.editor,
            f"/rounds/{t.round.id}/extensions",  # type: ignore[union-attr]
            {
                "organisation_id": t.siegburg.id,
                "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
                "reason": "Der Stadtrat tagt am Donnerstag.",
            },
        ),
        201,
    )
    assert extension["reason"] == "Der Stadtrat tagt am Donnerstag."
    assert ok(api.send(t.mayor, t.siegburg), 201)["version"] == 1
    assert_error(api.send(t.lohmar_mayor, t.lohmar), 409, "round_closed")
    history = ok(api.get(t.editor, f"/rounds/{t.round.id}/extensions"))["extensions"]  # type: ignore[union-attr]
    assert [e["organisation_id"] for e in history] == [t.siegburg.id]
    assert_error(
        api.post(
            t.mayor,
            f"/rounds/{t.round.id}/extensions",  # type: ignore[union-attr]
            {"organisation_id": t.lohmar.id, "closes_at": "2031-01-01T12:00", "reason": "x"},
        ),
        403,
    )


def test_a_letter_received_in_time_is_recorded_after_the_close(api: StatementApi) -> None:
    t = api.towns
    received = (utcnow() - timedelta(hours=2)).isoformat()
    api.move_deadline(timedelta(hours=-1))
    recorded = ok(
        api.send(
            t.editor,
            t.much,
            position="rejection",
            body="Aus Kostengründen abgelehnt.",
            signatory="Hans Much",
            channel="letter",
            received_at=received,
            receipt_number="E-17/2026",
        ),
        201,
    )
    assert recorded["recorded_by_editor"] and recorded["channel"] == "letter"
    late = (utcnow() - timedelta(minutes=10)).isoformat()
    assert_error(
        api.send(t.editor, t.eitorf, signatory="Erik Engel", channel="fax", received_at=late),
        409,
        "received_after_deadline",
    )
    assert_error(api.send(t.mayor, t.siegburg, channel="letter"), 403)


# --- the status of every invited municipality --------------------------------------------


def test_statement_status_lists_every_invited_municipality(api: StatementApi) -> None:
    t = api.towns
    ok(api.send(t.lohmar_mayor, t.lohmar, position="consent", body=""), 201)
    draft = ok(api.send(t.clerk, t.siegburg, draft=True), 201)
    eitorf = ok(api.send(t.eitorf_deputy, t.eitorf, draft=True), 201)
    ok(api.post(t.eitorf_deputy, f"/statements/{eitorf['id']}/return", {"reason": "Neu fassen"}))
    url = f"/rounds/{t.round.id}/statement-status"  # type: ignore[union-attr]
    rows = ok(api.get(t.editor, url))
    assert [(r["name"], r["status"]) for r in rows] == [
        ("Eitorf", "returned"),
        ("Lohmar", "submitted"),
        ("Much", "pending"),  # no member yet
        ("Siegburg", "draft"),
    ]
    assert rows[1]["position"] == "consent" and rows[1]["submitted_at"]
    assert_error(api.get(t.mayor, url), 403)
    board = ok(api.get(t.editor, f"/rounds/{t.round.id}/statement-board"))  # type: ignore[union-attr]
    assert board["positions"]["consent"] == 1 and board["statuses"]["pending"] == 1
    much = next(r for r in board["rows"] if r["name"] == "Much")
    assert much["members"] == 0 and much["statement_id"] is None
    api.move_deadline(timedelta(minutes=-1))
    rows = ok(api.get(t.editor, url))
    assert [r["status"] for r in rows] == ["overdue", "submitted", "overdue", "overdue"]
    assert draft["id"]


def test_remind_the_pending_municipalities(api: StatementApi) -> None:
    t = api.towns
    url = f"/rounds/{t.round.id}/statements/remind"  # type: ignore[union-attr]
    assert_error(api.post(t.mayor, url), 403)
    done = ok(api.post(t.editor, url))
    assert sorted(done["reminded"]) == sorted([t.siegburg.id, t.lohmar.id, t.eitorf.id])
    assert done["without_members"] == [t.much.id] and done["mails"] == 4
    again = ok(api.post(t.editor, url))
    assert again["reminded"] == [] and again["mails"] == 0
    reminders = [m for m in support.mails(api.client.application) if "Erinnerung" in m["subject"]]
    assert len(reminders) == 4


# --- publication, the annex, the remarks --------------------------------------------------


def test_publication_the_annex_and_the_remarks(api: StatementApi) -> None:
    t = api.towns
    remark = {
        "section_id": t.section_id("2"),
        "body": "Kita-Plätze beziffern.",
        "anchor": t.world.anchor("2", "Kita"),
    }
    ok(api.send(t.mayor, t.siegburg, section_remarks=[remark]), 201)
    ok(api.send(t.lohmar_mayor, t.lohmar, position="abstention", body="Wir enthalten uns."), 201)
    feedback = f"/revisions/{t.world.revision.id}/feedback"
    [item] = ok(api.get(t.editor, feedback))["remarks"]
    assert (item["kind"], item["author"]["organisation"]) == ("remark", "Siegburg")
    assert ok(api.get(t.world.alice, feedback))["remarks"] == []
    assert_error(api.get(t.world.alice, f"/remarks/{item['id']}"), 404)
    decided = ok(
        api.post(
            t.editor, f"/remarks/{item['id']}/decision", {"decision": "noted", "response": "Danke."}
        )
    )
    assert decided["decision"] == "noted"
    assert_error(
        api.post(
            t.editor, f"/remarks/{item['id']}/decision", {"decision": "accept", "response": "x"}
        ),
        422,
        "invalid_decision",
    )
    as_comment = {"decision": "noted", "response": "x"}
    assert_error(api.post(t.editor, f"/comments/{item['id']}/decision", as_comment), 404)
    table = ok(api.get(t.editor, f"/rounds/{t.round.id}/responses"))  # type: ignore[union-attr]
    assert [r["kind"] for r in table["rows"]] == ["remark"]
    export = f"/rounds/{t.round.id}/statements/export"  # type: ignore[union-attr]
    assert_error(api.get(t.world.alice, f"{export}?format=pdf"), 403)
    assert_error(api.get(t.editor, f"{export}?format=odt"), 422, "invalid_format")
    ok(api.post(t.editor, f"/rounds/{t.round.id}/statements/publish"))  # type: ignore[union-attr]
    assert len(ok(api.get(t.world.alice, feedback))["remarks"]) == 1
    assert len(ok(api.get(t.world.alice, api.statements_url()))["statements"]) == 2
    pdf = api.get(t.world.observer, f"{export}?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages]
    assert len(pages) == 3 and "Kita-Plätze beziffern." in pages[2]
    docx = api.get(t.editor, f"{export}?format=docx")
    assert docx.headers["Content-Disposition"].startswith("attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.get_data())).paragraphs)
    assert "Stellungnahme Lohmar" in text and "Wir enthalten uns." in text
