"""The editors' side of the municipalities' statements as pages (issue 12): the board of a
round with every invited municipality and the chart of positions, a later deadline for one
municipality, a statement recorded from paper (and one received too late), reminders once
per municipality, publishing, the annex as DOCX and PDF, and marking a municipality member
as signatory or drafting staff on the members page. Nobody but the editors gets there."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import lxml.html
import pytest
from docx import Document
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import (
    Membership,
    Organisation,
    OutboxMessage,
    Round,
    RoundPublication,
    StatementAttachment,
    StatementExtension,
    StatementVersion,
    User,
)
from consult.services.rounds import BERLIN
from tests import support
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import build_world
from tests.web.test_feedback_pages import Site, redirect_path

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class Board(Site):
    towns: Municipalities

    @property
    def round(self) -> Round:
        assert self.towns.round is not None
        return self.towns.round

    def url(self, tail: str = "board") -> str:
        return f"/rounds/{self.round.id}/statements/{tail}"

    def rows(self, user: User | None = None) -> dict[str, list[str]]:
        """The board's table: the cells of each municipality's row, by name."""
        html = self.get(user or self.world.editor, self.url())
        found = {}
        for row in lxml.html.fromstring(html).xpath(
            "//table[contains(@class,'board-table')]/tbody/tr"
        ):
            for br in row.iter("br"):
                br.tail = " " + (br.tail or "")
            head = row.xpath("./th")[0]
            name = (head.xpath("./a/text()") or [head.text])[0].strip()
            found[name] = [" ".join(c.text_content().split()) for c in row.xpath("./th|./td")]
        return found


def text_of(html: str) -> str:
    """A page's text as read, whitespace collapsed."""
    return " ".join(lxml.html.fromstring(html).text_content().split())


def local(moment: datetime) -> str:
    """A point in time as a datetime-local field sends it (Europe/Berlin)."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def board(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Board:
    with app.app_context():
        world = build_world(db, admin, make_user, make_org, add_member)
        towns = add_municipalities(world)
        towns.open_round()
        db.commit()
    found = Board(world, app)
    found.towns = towns
    return found


def paper_form(b: Board, organisation: Organisation, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation_id": str(organisation.id),
        "channel": "letter",
        "received_at": local(utcnow() - timedelta(hours=2)),
        "receipt_number": "E-2026-0815",
        "position": "rejection",
        "body": "Die Gemeinde lehnt den Entwurf aus Kostengründen ab.",
        "signatory": "Hans Much",
        "signatory_function": "Bürgermeister",
        "remarks-0-section_id": str(b.towns.section_id("2")),
        "remarks-0-body": "Die Sprachkurse kann die Gemeinde nicht bezahlen.",
    }
    data.update(fields)
    return data


def test_only_the_editors_see_the_board_and_its_actions(board: Board) -> None:
    t = board.towns
    for user in (t.world.alice, t.mayor, t.clerk, t.world.observer, t.world.outsider):
        assert board.browser(user).get(board.url()).status_code in (403, 404), user.name
        for tail in ("remind", "publish", "extensions", "paper"):
            response = board.post(user, board.url(tail), {"confirmed": "1"})
            assert response.status_code in (403, 404), (user.name, tail)
        assert board.browser(user).get(board.url("annex.pdf")).status_code in (403, 404)
    assert board.count(StatementExtension) == 0 and board.count(RoundPublication) == 0
    # The round's page leads the editors there, with the count; not the others.
    page = board.get(t.editor, f"/rounds/{board.round.id}")
    assert "Stellungnahmen der Kommunen (0 von 4 eingegangen)" in text_of(page)
    assert board.url() not in board.get(t.world.alice, f"/rounds/{board.round.id}")


def test_the_board_lists_every_invited_municipality_with_its_status(board: Board) -> None:
    t = board.towns
    with board.app.app_context():
        t.draft(t.clerk, t.siegburg)
        t.submit(t.lohmar_mayor, t.lohmar, "consent", "")
        t.db.commit()
    rows = board.rows()
    assert sorted(rows) == ["Eitorf", "Lohmar", "Much", "Siegburg"]
    assert rows["Siegburg"][1] == "Entwurf"
    assert rows["Lohmar"][1:4] == ["eingereicht", "Einvernehmen", "1"]
    assert rows["Lohmar"][5] == "Portal"
    assert rows["Eitorf"][1] == "ausstehend" and rows["Much"][1] == "ausstehend"
    assert "noch niemand im Verfahren" in rows["Much"][0]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", rows["Lohmar"][4])
    html = board.get(t.editor, board.url())
    text = text_of(html)
    assert "1 von 4 Kommunen hat Stellung genommen." in text
    # The chart: bars for the eye, a table with a caption for screen readers.
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//figure//svg[@aria-hidden='true']//rect[contains(@class,'chart-consent')]")
    counts = {
        r.xpath("./th")[0].text_content(): r.xpath("./td")[0].text_content()
        for r in tree.xpath("//table[contains(@class,'chart-table')]/tbody/tr")
    }
    assert counts == {
        "Einvernehmen": "1",
        "Einvernehmen mit Anmerkungen": "0",
        "Ablehnung": "0",
        "Enthaltung": "0",
        "noch keine Stellungnahme": "3",
    }
    # A submitted statement leads to its page.
    link = tree.xpath(f"//tr[@id='kommune-{t.lohmar.id}']/th/a/@href")
    assert link and link[0].startswith("/statements/")
    # Once the deadline has passed, whoever has not submitted is overdue.
    with board.app.app_context():
        round_ = t.db.get(Round, board.round.id)
        assert round_ is not None
        round_.closes_at = utcnow() - timedelta(minutes=1)
        t.db.commit()
    rows = board.rows()
    assert [rows[n][1] for n in ("Eitorf", "Lohmar", "Much", "Siegburg")] == [
        "überfällig",
        "eingereicht",
        "überfällig",
        "überfällig",
    ]


def test_an_extension_needs_a_reason_and_concerns_one_municipality(board: Board) -> None:
    t = board.towns
    later = utcnow() + timedelta(days=30)
    before = support.snapshot(t.db)
    refused = board.post(
        t.editor,
        board.url("extensions"),
        {"organisation_id": str(t.much.id), "closes_at": local(later), "reason": ""},
    )
    assert refused.status_code == 422
    assert support.field_error(refused.get_data(as_text=True), "reason")
    assert support.snapshot(t.db) == before
    earlier = board.post(
        t.editor,
        board.url("extensions"),
        {"organisation_id": str(t.much.id), "closes_at": local(utcnow()), "reason": "Rat."},
    )
    assert earlier.status_code == 422
    assert "Muss nach der bisherigen Frist liegen." in text_of(earlier.get_data(as_text=True))
    done = board.post(
        t.editor,
        board.url("extensions"),
        {
            "organisation_id": str(t.much.id),
            "closes_at": local(later),
            "reason": "Der Gemeinderat tagt erst im nächsten Monat.",
        },
    )
    assert redirect_path(done) == board.url()
    rows = board.rows()
    assert "verlängert (Begründung)" in rows["Much"][6]
    assert later.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr") in rows["Much"][6]
    assert not any("verlängert" in rows[n][6] for n in ("Eitorf", "Lohmar", "Siegburg"))
    t.db.expire_all()
    assert [e.organisation_id for e in t.db.scalars(select(StatementExtension))] == [t.much.id]
    # The board's list of extensions keeps the reason.
    page = board.get(t.editor, board.url())
    assert "Much:" in text_of(page)
    assert "Der Gemeinderat tagt erst im nächsten Monat." in text_of(page)


def test_a_letter_is_recorded_with_its_scan_and_counts_on_the_board(board: Board) -> None:
    t = board.towns
    form = board.get(t.editor, board.url(f"paper?organisation_id={t.much.id}"))
    chosen = lxml.html.fromstring(form).xpath("//select[@id='organisation_id']/option[@selected]")
    assert [o.get("value") for o in chosen] == [str(t.much.id)]
    before = support.snapshot(t.db)
    fake = board.post(
        t.editor,
        board.url("paper"),
        {**paper_form(board, t.much), "scan": (io.BytesIO(b"<html>kein PDF</html>"), "scan.pdf")},
    )
    assert fake.status_code == 422
    assert "kein PDF" in support.field_error(fake.get_data(as_text=True), "scan")
    assert support.snapshot(t.db) == before
    half = board.post(
        t.editor, board.url("paper"), {**paper_form(board, t.much), "remarks-1-body": "Nur Text"}
    )
    assert half.status_code == 422
    assert support.field_error(half.get_data(as_text=True), "remarks-1-section_id")
    done = board.post(
        t.editor,
        board.url("paper"),
        {**paper_form(board, t.much), "scan": (io.BytesIO(minimal_pdf("Scan")), "Brief Much.pdf")},
    )
    assert redirect_path(done) == board.url()
    rows = board.rows()
    assert rows["Much"][1:4] == ["eingereicht", "Ablehnung", "1"]
    assert rows["Much"][5] == "Brief erfasst von der Redaktion, Eingangsnr. E-2026-0815"
    assert "1 von 4 Kommunen hat Stellung genommen." in text_of(board.get(t.editor, board.url()))
    t.db.expire_all()
    version = t.db.scalars(select(StatementVersion)).one()
    assert (version.channel, version.recorded_by_id) == ("letter", t.editor.id)
    attachment = t.db.scalars(select(StatementAttachment)).one()
    assert attachment.file_name == "Brief Much.pdf" and attachment.page_count == 1


def test_a_letter_received_after_the_deadline_is_refused_one_in_time_is_recorded(
    board: Board,
) -> None:
    t = board.towns
    with board.app.app_context():
        round_ = t.db.get(Round, board.round.id)
        assert round_ is not None
        round_.closes_at = utcnow() - timedelta(hours=3)
        t.db.commit()
        deadline = round_.closes_at
    form = board.get(t.editor, board.url("paper"))
    assert "Die Frist der Runde ist abgelaufen" in text_of(form)
    before = support.snapshot(t.db)
    late = board.post(
        t.editor,
        board.url("paper"),
        paper_form(board, t.much, received_at=local(deadline + timedelta(hours=1))),
    )
    assert late.status_code == 409
    message = support.field_error(late.get_data(as_text=True), "received_at")
    assert "nach der Frist eingegangen" in message
    assert support.snapshot(t.db) == before
    in_time = board.post(
        t.editor,
        board.url("paper"),
        paper_form(board, t.much, received_at=local(deadline - timedelta(hours=1))),
    )
    assert redirect_path(in_time) == board.url()
    assert board.rows()["Much"][1] == "eingereicht"


def reminder_mails(b: Board) -> list[str]:
    b.world.db.expire_all()
    return [
        m.to_address
        for m in b.world.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        if "Erinnerung: Stellungnahme" in m.subject
    ]


def test_remind_asks_first_and_mails_each_municipality_once(board: Board) -> None:
    t = board.towns
    with board.app.app_context():
        t.submit(t.lohmar_mayor, t.lohmar, "consent", "")
        t.db.commit()
    asked = board.post(t.editor, board.url("remind"), {})
    assert asked.status_code == 200
    question = text_of(asked.get_data(as_text=True))
    assert "2 Kommunen ohne Stellungnahme werden erinnert: Eitorf und Siegburg." in question
    assert "Dazu gehen 3 E-Mails an ihre Mitglieder im Verfahren." in question
    assert reminder_mails(board) == []
    done = board.post(t.editor, board.url("remind"), {"confirmed": "1"})
    assert redirect_path(done) == board.url()
    page = text_of(board.get(t.editor, board.url()))
    assert "2 Kommunen erinnert: Eitorf und Siegburg. 3 E-Mails verschickt." in page
    assert "1 Kommune hat noch niemanden im Verfahren und bekam keine E-Mail: Much." in page
    assert sorted(reminder_mails(board)) == sorted(
        [t.mayor.email, t.clerk.email, t.eitorf_deputy.email]
    )
    rows = board.rows()
    assert rows["Siegburg"][7] != "nein" and rows["Much"][7] == "nein"
    again = board.post(t.editor, board.url("remind"), {"confirmed": "1"})
    assert redirect_path(again) == board.url()
    page = text_of(board.get(t.editor, board.url()))
    assert "Keine Kommune erinnert." in page
    assert len(reminder_mails(board)) == 3


def test_publishing_names_who_will_see_the_statements(board: Board) -> None:
    t = board.towns
    asked = board.post(t.editor, board.url("publish"), {})
    assert asked.status_code == 200
    question = text_of(asked.get_data(as_text=True))
    members = t.db.scalar(
        select(func.count(Membership.id)).where(
            Membership.consultation_id == t.world.consultation.id
        )
    )
    assert (
        f"Danach können alle {members} Personen, die an diesem Verfahren beteiligt sind" in question
    )
    assert board.count(RoundPublication) == 0
    done = board.post(t.editor, board.url("publish"), {"confirmed": "1"})
    assert redirect_path(done) == board.url()
    assert board.count(RoundPublication) == 1
    page = text_of(board.get(t.editor, board.url()))
    assert "Veröffentlicht am" in page and "Ja, Stellungnahmen veröffentlichen" not in page
    # Still the editors' board; the annex is now for every member.
    assert board.browser(t.world.alice).get(board.url()).status_code == 403
    assert board.browser(t.world.alice).get(board.url("annex.pdf")).status_code == 200


def test_the_annex_downloads_as_docx_and_pdf(board: Board) -> None:
    t = board.towns
    with board.app.app_context():
        t.submit(
            t.lohmar_mayor, t.lohmar, "consent_with_remarks", "Lohmar stimmt zu, bittet aber …"
        )
        t.db.commit()
    page = board.get(t.editor, board.url())
    assert board.url("annex.docx") in page and board.url("annex.pdf") in page
    docx = board.browser(t.editor).get(board.url("annex.docx"))
    assert docx.status_code == 200
    assert docx.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx.headers["Content-Disposition"].startswith("attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Stellungnahmen der Kommunen" in text and "Lohmar stimmt zu, bittet aber …" in text
    pdf = board.browser(t.editor).get(board.url("annex.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert board.browser(t.editor).get(board.url("annex.txt")).status_code == 404


def test_the_members_page_marks_signatories_and_drafting_staff(board: Board) -> None:
    t = board.towns
    cid = t.world.consultation.id
    url = f"/consultations/{cid}/members"
    text = text_of(board.get(t.editor, url))
    assert "unterzeichnungsberechtigt (Bürgermeister)" in text
    assert "bereitet Entwürfe vor" in text

    def membership(user: User) -> tuple[bool, str | None]:
        t.db.expire_all()
        found = t.db.scalars(
            select(Membership).where(
                Membership.consultation_id == cid, Membership.user_id == user.id
            )
        ).one()
        return found.is_signatory, found.signatory_function

    target = f"/consultations/{cid}/members/{t.clerk.id}/signatory"
    before = support.snapshot(t.db)
    bad = board.post(t.editor, target, {"signatory": "yes", "signatory_function": "x" * 201})
    assert bad.status_code == 422
    assert support.field_error(bad.get_data(as_text=True), f"sig-{t.clerk.id}-function")
    assert support.snapshot(t.db) == before
    assert board.post(t.clerk, target, {"signatory": "yes"}).status_code == 403
    assert board.post(t.world.alice, target, {"signatory": "yes"}).status_code == 403
    participant = f"/consultations/{cid}/members/{t.world.alice.id}/signatory"
    assert board.post(t.editor, participant, {"signatory": "yes"}).status_code == 404
    done = board.post(
        t.editor, target, {"signatory": "yes", "signatory_function": "stellv. Bürgermeisterin"}
    )
    assert redirect_path(done) == url
    assert membership(t.clerk) == (True, "stellv. Bürgermeisterin")
    done = board.post(
        t.editor,
        f"/consultations/{cid}/members/{t.mayor.id}/signatory",
        {"signatory": "no", "signatory_function": ""},
    )
    assert redirect_path(done) == url
    assert membership(t.mayor) == (False, None)
