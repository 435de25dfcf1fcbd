"""The procedure report (Verfahrensbericht, issue 13 item 4) of the demo's rounds: it names
the rounds, their dates, audiences, extensions with reasons and the counts, and they match
the records; when the records change, the report follows; the same records give the same
text; the editors' own text is saved and deleted again; only editors see it; PDF and DOCX
contain it."""

from __future__ import annotations

import io
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Invalid, NotFound, NotPermitted
from consult.models import (
    Feedback,
    FeedbackReview,
    Organisation,
    Revision,
    Round,
    RoundReport,
    Statement,
    User,
    WorkingGroup,
)
from consult.services import decisions, feedback, procedure_report, revisions, rounds, statements
from tests.services.test_demo_story import FIRST_ROUND, SECOND_ROUND, person, story  # noqa: F401

MUNICIPAL_ROUND = "1. Stufe: Stellungnahmen der Kommunen"
EDITOR = "redaktion@consult.example"
LABELS = {
    "considered": "berücksichtigt",
    "partly_considered": "teilweise berücksichtigt",
    "not_considered": "nicht berücksichtigt",
    "noted": "zur Kenntnis genommen",
    "accept": "übernommen",
    "accept_modified": "geändert übernommen",
    "reject": "nicht übernommen",
}


def day(value: datetime) -> str:
    return value.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")


def text_of(db: Session, round_: Round) -> str:
    return procedure_report.report(db, round_.id, actor=person(db, EDITOR)).body


def live(db: Session, round_: Round) -> tuple[Counter[str], Counter[str | None]]:
    """(items by kind, decisions) of the round as the records have them."""
    kinds: Counter[str] = Counter()
    made: Counter[str | None] = Counter()
    for item, review in db.execute(
        select(Feedback, FeedbackReview)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.round_id == round_.id, Feedback.withdrawn_at.is_(None))
    ):
        kinds[item.kind] += 1
        made[review.decision if review is not None else None] += 1
    return kinds, made


def test_the_finished_round_names_dates_audience_extension_and_counts(
    db: Session,
    story: dict[str, Round],  # noqa: F811
) -> None:
    finished = story[FIRST_ROUND]
    text = text_of(db, finished)
    first = finished.revision
    [extension] = finished.extensions
    assert text.startswith("Zum Entwurf „Integrationskonzept 2027 für den Kreis Siegtal“")
    assert (
        f"In der Beteiligungsrunde „{FIRST_ROUND}“ wurde der Entwurf (Fassung 1 vom "
        f"{day(first.published_at or first.created_at)}) vom {day(finished.opens_at)} bis zum "
        f"{day(extension.previous_closes_at)} den Arbeitskreisen " in text
    )
    for group in db.scalars(
        select(WorkingGroup).where(WorkingGroup.id.in_(finished.working_group_ids))
    ):
        orgs = sorted({m.user.organisation.name for m in group.members if m.user.organisation})
        assert f"„{group.name}“ ({', '.join(orgs)})" in text
    assert (
        f"Die Frist wurde am {day(extension.created_at)} bis zum {day(finished.closes_at)} "
        f"verlängert (Begründung: {extension.reason.rstrip('.')})." in text
    )
    kinds, made = live(db, finished)
    organisations = db.scalar(
        select(func.count(func.distinct(Feedback.organisation_id))).where(
            Feedback.round_id == finished.id, Feedback.withdrawn_at.is_(None)
        )
    )
    assert (
        f"Es gingen {kinds['comment']} Kommentare und {kinds['suggestion']} "
        f"Änderungsvorschläge von {organisations} Organisationen ein" in text
    )
    assert None not in made
    assert f"Über alle {sum(made.values())} Beiträge wurde entschieden: " in text
    for code, n in made.items():
        assert f"{n} {LABELS[str(code)]}" in text
    second = db.scalar(select(Revision).where(Revision.base_revision_id == first.id))
    assert second is not None and second.published_at is not None
    applied = db.scalar(select(func.count()).where(FeedbackReview.applied_revision_id == second.id))
    assert (
        f"Aus den Ergebnissen der Runde ist Fassung 2 vom {day(second.published_at)} "
        f"entstanden; in sie wurden {applied} angenommene Änderungsvorschläge eingearbeitet."
        in text
    )
    latest = revisions.latest_revision(db, finished.consultation_id)
    assert latest is not None
    assert text.endswith(
        "Anlagen:\n"
        f"1. Entwurf, Fassung {latest.number} (in Bearbeitung, noch nicht veröffentlicht)\n"
        f"2. Synopse der Fassungen 1 und {latest.number}\n"
        f"3. Abwägungstabelle der Beteiligungsrunde „{FIRST_ROUND}“"
    )


def test_the_current_round_tells_every_round_before_it_and_the_statements(
    db: Session,
    story: dict[str, Round],  # noqa: F811
) -> None:
    current = story[SECOND_ROUND]
    text = text_of(db, current)
    assert (
        "bis einschließlich der Beteiligungsrunde „2. Stufe: Arbeitskreise und Kommunen“ 3 " in text
    )
    positions = [
        text.index(f"In der Beteiligungsrunde „{t}“")
        for t in (FIRST_ROUND, MUNICIPAL_ROUND, SECOND_ROUND)
    ]
    assert positions == sorted(positions)
    municipalities = db.scalar(
        select(func.count()).where(Organisation.kind == "municipality", Organisation.is_active)
    )
    submitted = db.scalar(
        select(func.count()).where(Statement.round_id == current.id, Statement.version_count > 0)
    )
    assert f"{municipalities} Kommunen wurden um Stellungnahme gebeten, {submitted} haben" in text
    # Each municipality's own deadline, with its reason, in the round it was granted in.
    own = text.split(f"In der Beteiligungsrunde „{SECOND_ROUND}“")[1]
    assert "Für die Stellungnahme von Neunkirchen-Seelscheid wurde die Frist am " in own
    assert "Sitzung am 20.12.2026" in own
    earlier = text.split(f"In der Beteiligungsrunde „{SECOND_ROUND}“")[0]
    assert "Für die Stellungnahme von Ruppichteroth wurde die Frist am " in earlier
    assert "2. Synopse der Fassungen 2 und 3\n" in text
    assert text.endswith("\n4. Stellungnahmen der Kommunen")


def test_the_report_follows_the_records(db: Session, story: dict[str, Round]) -> None:  # noqa: F811
    current = story[SECOND_ROUND]
    editor = person(db, EDITOR)
    kinds, made = live(db, current)
    before = text_of(db, current)
    comments = f"Es gingen {kinds['comment']} Kommentare"
    assert comments in before

    # A comment comes in.
    revision = current.revision
    section = revisions.outline(db, revision).placements[0].section_id
    item = feedback.create_comment(
        db, revision.id, section, actor=person(db, "caritas@consult.example"), body="Neu dazu."
    )
    after_comment = text_of(db, current)
    assert comments not in after_comment
    assert f"Es gingen {kinds['comment'] + 1} Kommentare" in after_comment
    total = sum(made.values())
    assert f"Über {total - made[None]} von {total + 1} Beiträgen" in after_comment

    # The deadline is extended, with a reason.
    new_end = current.closes_at + timedelta(days=7)
    rounds.extend_round(
        db,
        current.id,
        actor=editor,
        closes_at=new_end,
        reason="Der Kreistag tagt später.",
        notify=False,
    )
    extended = text_of(db, current)
    assert (
        f"Die Frist wurde am {day(utcnow())} bis zum {day(new_end)} verlängert (Begründung: "
        "Der Kreistag tagt später)." in extended
    )

    # The new comment is decided.
    decisions.decide(db, item.id, actor=editor, decision="considered", response="Aufgenommen.")
    decided = text_of(db, current)
    assert f"Über {total - made[None] + 1} von {total + 1} Beiträgen" in decided
    assert f"{made['considered'] + 1} berücksichtigt" in decided

    # Much submits its statement.
    much = db.scalar(select(Organisation).where(Organisation.name == "Much"))
    assert much is not None
    draft = db.scalar(
        select(Statement).where(
            Statement.round_id == current.id, Statement.organisation_id == much.id
        )
    )
    submitted = db.scalar(
        select(func.count()).where(Statement.round_id == current.id, Statement.version_count > 0)
    )
    assert submitted is not None
    statements.submit(
        db,
        current.id,
        actor=person(db, "buergermeisterin.much@consult.example"),
        organisation_id=much.id,
        position="consent",
        body="Die Gemeinde stimmt zu.",
        draft_revision=draft.draft_revision if draft is not None else None,
        notify=False,
    )
    final = text_of(db, current)
    assert f", {submitted + 1} haben Stellung genommen (Einvernehmen: 1, " in final
    own = final.split(f"In der Beteiligungsrunde „{SECOND_ROUND}“")[1]
    missing = own.split("Keine Stellungnahme liegt vor von ")[1].split(".")[0]
    assert "Much" not in missing
    was_missing = before.split(f"In der Beteiligungsrunde „{SECOND_ROUND}“")[1]
    assert "Much" in was_missing.split("Keine Stellungnahme liegt vor von ")[1].split(".")[0]


def test_the_same_records_give_the_same_text(db: Session, story: dict[str, Round]) -> None:  # noqa: F811
    for round_ in story.values():
        first = text_of(db, round_)
        db.expire_all()
        assert text_of(db, round_) == first
        assert procedure_report.generated_text(db, round_) == first


def test_an_editor_saves_their_own_text_and_returns_to_the_generated(
    db: Session,
    story: dict[str, Round],  # noqa: F811
) -> None:
    finished = story[FIRST_ROUND]
    editor = person(db, EDITOR)
    generated = text_of(db, finished)
    own = "Vorbemerkung der Redaktion 🙂\r\n\r\nمرحبا und „Zitat“.  "
    saved = procedure_report.save_report(db, finished.id, actor=editor, body=own)
    assert saved.edited and saved.body == "Vorbemerkung der Redaktion 🙂\n\nمرحبا und „Zitat“."
    assert saved.generated == generated and saved.edited_by == editor
    assert saved.edited_at is not None
    again = procedure_report.report(db, finished.id, actor=editor)
    assert (again.body, again.edited) == (saved.body, True)
    for bad in ("", "   \n", "Mit\x00NUL", "Mit\x1bEscape", 42, None, "x" * 200_001):
        with pytest.raises(Invalid):
            procedure_report.save_report(db, finished.id, actor=editor, body=bad)
    assert procedure_report.report(db, finished.id, actor=editor).body == saved.body
    back = procedure_report.reset_report(db, finished.id, actor=editor)
    assert (back.body, back.edited, back.edited_by) == (generated, False, None)
    assert db.get(RoundReport, finished.id) is None
    assert procedure_report.reset_report(db, finished.id, actor=editor).body == generated


def test_only_the_editors_read_edit_and_export_it(db: Session, story: dict[str, Round]) -> None:  # noqa: F811
    finished, current = story[FIRST_ROUND], story[SECOND_ROUND]
    caritas = person(db, "caritas@consult.example")
    mayor = person(db, "buergermeister.siegburg@consult.example")
    observer = person(db, "fraktion@consult.example")
    calls: list[Callable[[int, User], object]] = [
        lambda r, a: procedure_report.report(db, r, actor=a),
        lambda r, a: procedure_report.save_report(db, r, actor=a, body="Mein Bericht"),
        lambda r, a: procedure_report.reset_report(db, r, actor=a),
        lambda r, a: procedure_report.report_file(db, r, actor=a, file_format="pdf"),
    ]
    for call in calls:
        with pytest.raises(NotPermitted):
            call(finished.id, caritas)  # invited to the round, no editor
        with pytest.raises(NotPermitted):
            call(current.id, mayor)
        with pytest.raises(NotFound):
            call(finished.id, observer)  # not invited: no hint the round exists
        with pytest.raises(NotFound):
            call(finished.id, mayor)
        with pytest.raises(NotFound):
            call(2_000_000_000, person(db, EDITOR))
    assert db.scalar(select(func.count()).select_from(RoundReport)) == 0


def test_pdf_and_docx_contain_the_text(db: Session, story: dict[str, Round]) -> None:  # noqa: F811
    finished = story[FIRST_ROUND]
    editor = person(db, EDITOR)
    pdf = procedure_report.report_file(db, finished.id, actor=editor, file_format="pdf")
    assert pdf.mimetype == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.filename == "verfahrensbericht-1-stufe-arbeitskreise.pdf"
    words = " ".join(pdftotext(pdf.content).split())
    assert "Verfahrensbericht" in words and "Begründung: Die Sommerferien" in words
    assert "Anlagen:" in words and "Kreispolizeibehörde Siegtal" in words
    docx = procedure_report.report_file(db, finished.id, actor=editor, file_format="docx")
    assert docx.filename.endswith(".docx")
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    generated = text_of(db, finished)
    for paragraph in generated.split("\n\n")[:-1]:
        assert paragraph in paragraphs
    assert "Anlagen:\n1. Entwurf" in "\n".join(paragraphs)
    # An editor's text with emoji and Arabic script goes out as saved.
    procedure_report.save_report(db, finished.id, actor=editor, body="Grüße 🙂 مرحبا")
    own = procedure_report.report_file(db, finished.id, actor=editor, file_format="pdf")
    assert "Grüße" in pdftotext(own.content) and "مرحبا" in pdftotext(own.content)
    with pytest.raises(Invalid):
        procedure_report.report_file(db, finished.id, actor=editor, file_format="odt")


def pdftotext(content: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()
