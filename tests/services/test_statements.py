"""Statements of the municipalities (issue 12): who may draft, submit, release and return;
versions; deadlines per municipality; paper intake; remarks as feedback items; the
confirmation e-mail with its PDF copy.

The board, reminders, visibility and the annex are tests/services/test_statement_board.py;
attachments test_statement_files.py.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    Feedback,
    OutboxAttachment,
    OutboxMessage,
    StatementVersion,
)
from consult.services import (
    decisions,
    responses,
    statement_board,
    statement_reads,
    statements,
)
from consult.services import feedback as feedback_service
from tests.services.statement_world import Municipalities, add_municipalities
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def towns(world: World) -> Municipalities:  # noqa: F811
    found = add_municipalities(world)
    found.open_round()
    return found


def count(t: Municipalities, model: type) -> int:
    t.db.expire_all()
    return t.db.scalar(select(func.count()).select_from(model)) or 0


# --- who may do what ----------------------------------------------------------------------


def test_a_signatory_submits_version_1_with_defaults(towns: Municipalities) -> None:
    version = towns.submit(towns.mayor, towns.siegburg)
    assert (version.number, version.position, version.channel) == (
        1,
        "consent_with_remarks",
        "online",
    )
    assert (version.signatory_name, version.signatory_function) == ("Stefan Roth", "Bürgermeister")
    assert version.submitted_by_id == towns.mayor.id and version.recorded_by_id is None
    assert version.statement.status == "submitted" and version.statement.version_count == 1


def test_a_member_of_one_municipality_cannot_act_for_another(towns: Municipalities) -> None:
    before = count(towns, StatementVersion)
    with pytest.raises(NotPermitted) as caught:
        towns.submit(towns.lohmar_mayor, towns.siegburg)
    assert "eigene Kommune" in caught.value.message
    with pytest.raises(NotPermitted):
        towns.draft(towns.lohmar_mayor, towns.siegburg)
    own = towns.submit(towns.mayor, towns.siegburg)
    with pytest.raises(NotPermitted):
        statement_reads.get_view(towns.db, own.statement_id, actor=towns.lohmar_mayor)
    # participants and observers neither
    for user in (towns.world.alice, towns.world.observer):
        with pytest.raises((NotPermitted, NotFound)):
            towns.submit(user, towns.siegburg)
    assert count(towns, StatementVersion) == before + 1


def test_staff_draft_but_cannot_submit_release_or_return(towns: Municipalities) -> None:
    with pytest.raises(NotPermitted) as caught:
        towns.submit(towns.clerk, towns.siegburg)
    assert "Entwurf zur Freigabe" in caught.value.message
    statement = towns.draft(towns.clerk, towns.siegburg)
    assert statement.status == "draft" and statement.drafted_by_id == towns.clerk.id
    with pytest.raises(NotPermitted):
        statements.release(towns.db, statement.id, actor=towns.clerk)
    with pytest.raises(NotPermitted):
        statements.return_draft(towns.db, statement.id, actor=towns.clerk, reason="x")
    assert count(towns, StatementVersion) == 0


def test_release_by_the_signatory_makes_the_version(towns: Municipalities) -> None:
    remark = statements.RemarkInput(
        towns.section_id("2"), "Kitas brauchen mehr Personal.", towns.world.anchor("2", "Kita")
    )
    statement = towns.draft(
        towns.clerk, towns.siegburg, body="Die Stadt stimmt zu.", remarks=[remark]
    )
    version = statements.release(
        towns.db, statement.id, actor=towns.mayor, draft_revision=statement.draft_revision
    )
    assert (version.number, version.body, version.drafted_by_id) == (
        1,
        "Die Stadt stimmt zu.",
        towns.clerk.id,
    )
    # Signed in the releasing signatory's name, whatever the draft said.
    assert version.signatory_name == "Stefan Roth"
    with pytest.raises(Conflict) as caught:
        statements.release(towns.db, statement.id, actor=towns.mayor)
    assert caught.value.code == "nothing_to_release"
    shown = statement_reads.get_version(towns.db, statement.id, 1, actor=towns.mayor)
    [item] = shown.remarks
    assert (item.section_key, item.quote, item.body) == (
        "2",
        "Kita",
        "Kitas brauchen mehr Personal.",
    )


def test_return_with_reason_then_revise_and_release(towns: Municipalities) -> None:
    statement = towns.draft(towns.clerk, towns.siegburg)
    returned = statements.return_draft(
        towns.db, statement.id, actor=towns.mayor, reason="Bitte die Kosten nennen."
    )
    assert (returned.status, returned.returned_reason, returned.returned_by_id) == (
        "returned",
        "Bitte die Kosten nennen.",
        towns.mayor.id,
    )
    mails = towns.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to_address for m in mails][-1] == towns.clerk.email
    assert "Bitte die Kosten nennen." in mails[-1].body_text
    with pytest.raises(Conflict) as caught:
        statements.return_draft(towns.db, statement.id, actor=towns.mayor, reason="nochmal")
    assert caught.value.code == "not_a_draft"
    revised = towns.draft(towns.clerk, towns.siegburg, body="Mit Kosten: 12.000 €.")
    assert revised.status == "draft" and revised.returned_reason is None
    version = statements.release(towns.db, statement.id, actor=towns.mayor)
    assert version.body == "Mit Kosten: 12.000 €."


def test_a_stale_draft_is_a_conflict(towns: Municipalities) -> None:
    first = towns.draft(towns.clerk, towns.siegburg)
    seen = first.draft_revision
    towns.draft(towns.mayor, towns.siegburg, body="Vom Bürgermeister ergänzt.")
    with pytest.raises(Conflict) as caught:
        towns.draft(towns.clerk, towns.siegburg, body="Überschreibt?", draft_revision=seen)
    assert caught.value.code == "stale_draft"
    with pytest.raises(Conflict):
        statements.release(towns.db, first.id, actor=towns.mayor, draft_revision=seen)


def test_unknown_position_and_missing_parts_are_invalid(towns: Municipalities) -> None:
    for position, body, code in (
        ("maybe", "x", "invalid_position"),
        (None, "x", "invalid_position"),
        ("rejection", "", "body_required"),
        ("consent_with_remarks", "", "body_required"),
    ):
        with pytest.raises(Invalid) as caught:
            towns.submit(towns.mayor, towns.siegburg, position, body)  # type: ignore[arg-type]
        assert caught.value.code == code
    with pytest.raises(Invalid) as caught:
        towns.submit(
            towns.mayor,
            towns.siegburg,
            remarks=[statements.RemarkInput(10**6, "?")],
        )
    assert caught.value.code == "unknown_section"
    assert count(towns, StatementVersion) == 0


def test_keine_bedenken_in_one_step(towns: Municipalities) -> None:
    version = statements.submit_no_objections(
        towns.db, towns.round.id, actor=towns.lohmar_mayor, organisation_id=towns.lohmar.id
    )
    assert (version.position, version.body) == ("consent", statements.NO_OBJECTIONS)
    assert version.signatory_function == "Bürgermeisterin"


# --- versions -----------------------------------------------------------------------------


def test_resubmission_is_version_2_and_version_1_stays_readable(towns: Municipalities) -> None:
    first_remark = statements.RemarkInput(towns.section_id("3"), "Anerkennung dauert zu lange.")
    v1 = towns.submit(towns.mayor, towns.siegburg, remarks=[first_remark])
    v2 = towns.submit(
        towns.mayor,
        towns.siegburg,
        "rejection",
        "Die Stadt lehnt ab: die Kosten sind zu hoch.",
    )
    assert (v1.number, v2.number) == (1, 2)
    old = statement_reads.get_version(towns.db, v1.statement_id, 1, actor=towns.editor)
    assert old.version.position == "consent_with_remarks" and len(old.remarks) == 1
    # The remark of version 1 is no open item any more, but stays readable with it.
    item = towns.db.get(Feedback, old.remarks[0].feedback_id)
    assert item is not None and item.status == "superseded" and item.withdrawn_at is not None
    diff = statement_reads.diff(towns.db, v1.statement_id, actor=towns.mayor, old=1, new=2)
    assert diff.position_changed
    assert ("insert", "lehnt ab: die Kosten sind zu hoch") in [
        (op, text.strip()) for op, text in diff.ops
    ]
    view = statement_reads.get_view(towns.db, v1.statement_id, actor=towns.editor)
    assert [v.number for v in view.versions] == [1, 2] and view.current is not None
    with pytest.raises(NotFound):
        statement_reads.get_version(towns.db, v1.statement_id, 3, actor=towns.editor)


# --- deadlines ----------------------------------------------------------------------------


def test_after_the_deadline_409_and_an_extension_for_one_municipality(
    towns: Municipalities,
) -> None:
    late = towns.round.closes_at + timedelta(hours=1)
    with pytest.raises(Conflict) as caught:
        towns.submit(towns.mayor, towns.siegburg, now=late)
    assert caught.value.code == "round_closed"
    with pytest.raises(Conflict):
        towns.draft(towns.clerk, towns.siegburg, now=late)
    extension = statement_board.extend(
        towns.db,
        towns.round.id,
        actor=towns.editor,
        organisation_id=towns.siegburg.id,
        closes_at=towns.round.closes_at + timedelta(days=7),
        reason="Der Stadtrat tagt erst am 12.",
    )
    assert extension.previous_closes_at == towns.round.closes_at
    assert towns.submit(towns.mayor, towns.siegburg, now=late).number == 1
    with pytest.raises(Conflict) as caught:
        towns.submit(towns.lohmar_mayor, towns.lohmar, now=late)
    assert caught.value.code == "round_closed"
    for wrong, code in (
        (towns.round.closes_at, "invalid_period"),  # not after the municipality's deadline
        (utcnow() - timedelta(days=30), "invalid_period"),
    ):
        with pytest.raises(Invalid) as caught_invalid:
            statement_board.extend(
                towns.db,
                towns.round.id,
                actor=towns.editor,
                organisation_id=towns.siegburg.id,
                closes_at=wrong,
                reason="x",
            )
        assert caught_invalid.value.code == code
    with pytest.raises(NotPermitted):
        statement_board.extend(
            towns.db,
            towns.round.id,
            actor=towns.mayor,
            organisation_id=towns.siegburg.id,
            closes_at=towns.round.closes_at + timedelta(days=9),
            reason="selbst",
        )


def test_a_round_that_has_not_opened_takes_nothing(world: World) -> None:  # noqa: F811
    towns = add_municipalities(world)
    towns.open_round(opens=timedelta(days=1), closes=timedelta(days=5))
    with pytest.raises(Conflict) as caught:
        towns.submit(towns.mayor, towns.siegburg)
    assert caught.value.code == "round_not_open"


# --- paper intake -------------------------------------------------------------------------


def test_a_letter_received_in_time_counts_when_recorded_after_the_close(
    towns: Municipalities,
) -> None:
    received = towns.round.closes_at - timedelta(hours=3)
    after_close = towns.round.closes_at + timedelta(days=2)
    version = towns.paper(towns.much, received_at=received, now=after_close)
    assert (version.channel, version.received_at, version.recorded_by_id) == (
        "letter",
        received,
        towns.editor.id,
    )
    assert version.is_recorded_by_editor and version.receipt_number == "E-2026-0815"
    with pytest.raises(Conflict) as caught:
        towns.paper(
            towns.lohmar, received_at=towns.round.closes_at + timedelta(hours=1), now=after_close
        )
    assert caught.value.code == "received_after_deadline"
    with pytest.raises(Invalid) as caught_invalid:
        towns.paper(towns.lohmar, received_at=utcnow() + timedelta(days=1))
    assert caught_invalid.value.code == "received_in_future"
    with pytest.raises(Invalid) as caught_invalid:
        towns.paper(towns.lohmar, channel="online")
    assert caught_invalid.value.code == "invalid_channel"
    with pytest.raises(Invalid) as caught_invalid:
        towns.paper(towns.world.groups["a"] and towns.much, signatory="")  # type: ignore[arg-type]
    assert caught_invalid.value.code == "signatory_required"


def test_only_editors_record_paper(towns: Municipalities) -> None:
    from consult.services import statement_intake

    with pytest.raises(NotPermitted):
        statement_intake.record_paper(
            towns.db,
            towns.round.id,
            actor=towns.mayor,
            organisation_id=towns.siegburg.id,
            position="consent",
            channel="letter",
            signatory="Stefan Roth",
        )
    with pytest.raises(Invalid) as caught:
        towns.paper(towns.world.db.get(type(towns.much), towns.world.alice.organisation_id))  # type: ignore[arg-type]
    assert caught.value.code == "not_a_municipality"


# --- remarks as items, the confirmation --------------------------------------------------


def test_remarks_become_items_of_the_response_table_and_take_comment_decisions(
    towns: Municipalities,
) -> None:
    remark = statements.RemarkInput(
        towns.section_id("2"), "Bitte Kita-Plätze beziffern.", towns.world.anchor("2", "Kita")
    )
    version = towns.submit(towns.mayor, towns.siegburg, remarks=[remark])
    table = responses.response_table(towns.db, towns.round.id, actor=towns.editor)
    [row] = [r for r in table.rows if r.kind == "remark"]
    assert (row.organisation, row.author, row.quote, row.text) == (
        "Siegburg",
        "Stefan Roth",
        "Kita",
        "Bitte Kita-Plätze beziffern.",
    )
    done = decisions.decide(
        towns.db, row.feedback_id, actor=towns.editor, decision="considered", response="Ja."
    )
    assert done.review.decision == "considered"
    with pytest.raises(Invalid):
        decisions.decide(towns.db, row.feedback_id, actor=towns.editor, decision="accept")
    # The author cannot edit or withdraw it like a comment: a new version replaces it.
    with pytest.raises((NotPermitted, NotFound, Conflict)):
        feedback_service.withdraw(towns.db, row.feedback_id, actor=towns.mayor)
    # A new version supersedes it: no longer an item of the table.
    towns.submit(towns.mayor, towns.siegburg, "consent", "")
    table = responses.response_table(towns.db, towns.round.id, actor=towns.editor)
    assert [r for r in table.rows if r.kind == "remark"] == []
    assert version.number == 1


def test_the_submitter_gets_one_confirmation_with_a_pdf_copy(towns: Municipalities) -> None:
    before = count(towns, OutboxMessage)
    towns.submit(towns.mayor, towns.siegburg, body="Die Stadt Siegburg stimmt zu.")
    messages = towns.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    assert [m.to_address for m in messages] == [towns.mayor.email]
    assert "Fassung 1" in messages[0].subject
    [copy] = towns.db.scalars(
        select(OutboxAttachment).where(OutboxAttachment.message_id == messages[0].id)
    ).all()
    assert copy.mime_type == "application/pdf" and copy.filename.endswith("fassung-1.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(copy.content)).pages)
    assert "Siegburg" in text and "stimmt zu" in text


def test_paper_intake_is_confirmed_to_the_municipalitys_signatories(
    towns: Municipalities,
) -> None:
    before = count(towns, OutboxMessage)
    towns.paper(towns.siegburg)
    messages = towns.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    # The mayor (signatory), not the clerk (staff).
    assert [m.to_address for m in messages] == [towns.mayor.email]
    assert "E-2026-0815" in messages[0].body_text
