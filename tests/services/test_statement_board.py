"""The statements' board, reminders to pending municipalities, visibility before and after
publication, and the annex for the council (issue 12)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import func, select

from consult.db import utcnow
from consult.errors import Conflict, NotPermitted
from consult.models import OutboxMessage, StatementReminder
from consult.services import (
    feedback_views,
    reminders,
    statement_annex,
    statement_board,
    statement_reads,
    statement_reminders,
    statements,
)
from tests.services.statement_world import Municipalities, add_municipalities
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def towns(world: World) -> Municipalities:  # noqa: F811
    found = add_municipalities(world)
    found.open_round()
    return found


def statuses(t: Municipalities, **kwargs: object) -> dict[str, str]:
    found = statement_board.board(t.db, t.round.id, actor=t.editor, **kwargs)  # type: ignore[arg-type]
    return {row.organisation.name: row.status for row in found.rows}


def test_the_board_lists_every_invited_municipality_with_its_status(
    towns: Municipalities,
) -> None:
    assert statuses(towns) == {
        "Eitorf": "pending",
        "Lohmar": "pending",
        "Much": "pending",  # no member yet
        "Siegburg": "pending",
    }
    statement = towns.draft(towns.clerk, towns.siegburg)
    towns.draft(towns.eitorf_deputy, towns.eitorf)
    towns.submit(towns.lohmar_mayor, towns.lohmar, "consent", "")
    assert statuses(towns) == {
        "Eitorf": "draft",
        "Lohmar": "submitted",
        "Much": "pending",
        "Siegburg": "draft",
    }
    statements.return_draft(towns.db, statement.id, actor=towns.mayor, reason="Bitte ergänzen.")
    found = statement_board.board(towns.db, towns.round.id, actor=towns.editor)
    rows = {row.organisation.name: row for row in found.rows}
    assert rows["Siegburg"].status == "returned"
    assert rows["Much"].members == 0 and rows["Siegburg"].members == 2
    assert found.positions == {
        "consent": 1,
        "consent_with_remarks": 0,
        "rejection": 0,
        "abstention": 0,
    }
    # After the deadline, whoever has not submitted is overdue; a letter counts.
    towns.paper(
        towns.much,
        received_at=towns.round.closes_at - timedelta(hours=1),
        now=towns.round.closes_at + timedelta(hours=5),
    )
    late = towns.round.closes_at + timedelta(hours=6)
    assert statuses(towns, now=late) == {
        "Eitorf": "overdue",
        "Lohmar": "submitted",
        "Much": "submitted",
        "Siegburg": "overdue",
    }
    row = next(
        r
        for r in statement_board.board(towns.db, towns.round.id, actor=towns.editor).rows
        if r.organisation.name == "Much"
    )
    assert row.recorded_by_editor and row.version is not None and row.version.channel == "letter"


def test_a_municipality_with_an_extension_is_not_overdue(towns: Municipalities) -> None:
    statement_board.extend(
        towns.db,
        towns.round.id,
        actor=towns.editor,
        organisation_id=towns.eitorf.id,
        closes_at=towns.round.closes_at + timedelta(days=3),
        reason="Ratssitzung am Montag",
    )
    late = towns.round.closes_at + timedelta(hours=1)
    assert statuses(towns, now=late)["Eitorf"] == "pending"
    assert statuses(towns, now=late)["Lohmar"] == "overdue"
    row = next(
        r
        for r in statement_board.board(towns.db, towns.round.id, actor=towns.editor).rows
        if r.organisation.name == "Eitorf"
    )
    assert row.extension is not None and row.extension.reason == "Ratssitzung am Montag"


def test_only_editors_see_the_board_until_publication(towns: Municipalities) -> None:
    towns.draft(towns.clerk, towns.siegburg)
    for user in (towns.mayor, towns.world.alice):
        with pytest.raises(NotPermitted):
            statement_board.board(towns.db, towns.round.id, actor=user)
    statement_board.publish(towns.db, towns.round.id, actor=towns.editor)
    shown = statement_board.board(towns.db, towns.round.id, actor=towns.world.alice)
    # Drafts are the municipality's business: pending for everyone but the editors.
    assert {r.organisation.name: r.status for r in shown.rows}["Siegburg"] == "pending"
    with pytest.raises(Conflict) as caught:
        statement_board.publish(towns.db, towns.round.id, actor=towns.editor)
    assert caught.value.code == "already_published"


# --- visibility -------------------------------------------------------------------------


def test_statements_and_remarks_are_visible_to_others_only_after_publication(
    towns: Municipalities,
) -> None:
    remark = statements.RemarkInput(towns.section_id("3"), "Die Anerkennung dauert zu lange.")
    version = towns.submit(towns.mayor, towns.siegburg, remarks=[remark])
    statement_id = version.statement_id

    def remark_seen_by(user: object) -> bool:
        views = feedback_views.visible_feedback(towns.db, towns.world.revision, actor=user)
        return any(v.feedback.kind == "remark" for v in views)

    assert remark_seen_by(towns.editor) and remark_seen_by(towns.mayor)
    assert remark_seen_by(towns.clerk)  # the municipality's staff
    assert not remark_seen_by(towns.world.alice) and not remark_seen_by(towns.lohmar_mayor)
    for user in (towns.world.alice, towns.lohmar_mayor, towns.world.observer):
        with pytest.raises(NotPermitted):
            statement_reads.get_view(towns.db, statement_id, actor=user)
    assert [
        v.organisation.name
        for v in statement_reads.round_statements(
            towns.db, towns.round.id, actor=towns.lohmar_mayor
        )
    ] == []
    # Drafts stay with the municipality, also for the editors.
    towns.draft(towns.clerk, towns.siegburg, body="Neuer Entwurf")
    assert statement_reads.get_view(towns.db, statement_id, actor=towns.editor).shows_draft is False
    assert statement_reads.get_view(towns.db, statement_id, actor=towns.clerk).shows_draft
    statement_board.publish(towns.db, towns.round.id, actor=towns.editor)
    for user in (towns.world.alice, towns.lohmar_mayor, towns.world.observer):
        shown = statement_reads.get_view(towns.db, statement_id, actor=user)
        assert shown.current is not None and not shown.shows_draft
    assert remark_seen_by(towns.world.alice) and remark_seen_by(towns.lohmar_mayor)


# --- reminders ----------------------------------------------------------------------------


def reminder_mails(t: Municipalities) -> list[str]:
    t.db.expire_all()
    return [
        m.to_address
        for m in t.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        if "Erinnerung: Stellungnahme" in m.subject
    ]


def test_remind_pending_once_per_municipality_and_deadline(towns: Municipalities) -> None:
    towns.submit(towns.lohmar_mayor, towns.lohmar, "consent", "")
    done = statement_reminders.remind_pending(towns.db, towns.round.id, actor=towns.editor)
    assert sorted(o.name for o in done.reminded) == ["Eitorf", "Siegburg"]
    assert [o.name for o in done.unreachable] == ["Much"]
    assert sorted(reminder_mails(towns)) == sorted(
        [towns.mayor.email, towns.clerk.email, towns.eitorf_deputy.email]
    )
    again = statement_reminders.remind_pending(towns.db, towns.round.id, actor=towns.editor)
    assert again.reminded == [] and sorted(o.name for o in again.already) == ["Eitorf", "Siegburg"]
    # The scheduled job near the deadline sends nothing more for the same deadline.
    near = towns.round.closes_at - timedelta(hours=10)
    statement_reminders.queue_due_reminders(towns.db, now=near)
    assert len(reminder_mails(towns)) == 3
    # A new deadline for Eitorf is worth a new reminder, once.
    statement_board.extend(
        towns.db,
        towns.round.id,
        actor=towns.editor,
        organisation_id=towns.eitorf.id,
        closes_at=towns.round.closes_at + timedelta(days=2),
        reason="Rat tagt später",
        notify=False,
    )
    later = towns.round.closes_at + timedelta(days=1)
    assert statement_reminders.queue_due_reminders(towns.db, now=later) == 1
    assert statement_reminders.queue_due_reminders(towns.db, now=later) == 0
    with pytest.raises(NotPermitted):
        statement_reminders.remind_pending(towns.db, towns.round.id, actor=towns.mayor)


def test_the_cron_job_reminds_48_hours_before_a_deadline(towns: Municipalities) -> None:
    early = utcnow()
    reminders.queue_reminders(towns.db, now=early)
    assert reminder_mails(towns) == []
    near = towns.round.closes_at - timedelta(hours=20)
    reminders.queue_reminders(towns.db, now=near)
    reminders.queue_reminders(towns.db, now=near + timedelta(minutes=5))
    assert len(reminder_mails(towns)) == 4  # Siegburg 2, Lohmar 1, Eitorf 1; Much none
    assert towns.db.scalar(select(func.count(StatementReminder.id))) == 3


# --- the annex ----------------------------------------------------------------------------


def test_the_annex_has_a_cover_list_then_one_statement_per_page(towns: Municipalities) -> None:
    remark = statements.RemarkInput(towns.section_id("2"), "Mehr Kita-Plätze.")
    towns.submit(towns.mayor, towns.siegburg, body="Siegburg stimmt zu.", remarks=[remark])
    towns.submit(towns.lohmar_mayor, towns.lohmar, "rejection", "Lohmar lehnt ab: Kosten.")
    towns.paper(towns.much)
    made = statement_annex.annex(towns.db, towns.round.id, actor=towns.editor)
    assert [e.organisation.name for e in made.entries] == ["Eitorf", "Lohmar", "Much", "Siegburg"]
    pdf = PdfReader(io.BytesIO(statement_annex.to_pdf(made)))
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) == 4  # the cover, then Lohmar, Much, Siegburg on a page each
    assert "keine Stellungnahme" in pages[0] and "Eitorf" in pages[0]
    for page, name in zip(pages[1:], ("Lohmar", "Much", "Siegburg"), strict=True):
        assert f"Stellungnahme {name}" in page
        others = {"Lohmar", "Much", "Siegburg"} - {name}
        assert not any(f"Stellungnahme {o}" in page for o in others)
    assert "Mehr Kita-Plätze." in pages[3] and "Ablehnung" in pages[1]
    assert "E-2026-0815" in pages[2] and "Brief" in pages[2]
    document = Document(io.BytesIO(statement_annex.to_docx(made)))
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading 2")]
    assert [h.text for h in headings] == [
        "Stellungnahme Lohmar",
        "Stellungnahme Much",
        "Stellungnahme Siegburg",
    ]
    assert all(h.paragraph_format.page_break_before for h in headings)
    cover = document.tables[0]
    assert [c.text for c in cover.rows[1].cells] == ["Eitorf", "keine Stellungnahme", "", ""]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Mehr Kita-Plätze." in text and "Siegburg stimmt zu." in text


def test_the_annex_is_for_editors_until_publication(towns: Municipalities) -> None:
    with pytest.raises(NotPermitted):
        statement_annex.annex(towns.db, towns.round.id, actor=towns.mayor)
    statement_board.publish(towns.db, towns.round.id, actor=towns.editor)
    assert statement_annex.annex(towns.db, towns.round.id, actor=towns.world.observer).entries
