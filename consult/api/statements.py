"""The municipalities' statements (API.md, Statements): submitting, drafting with release
and return, paper intake, the status of a round, per-municipality extensions; beyond
API.md (in the OpenAPI document and the README): one statement with its versions, one
version, the diff between two, "keine Bedenken", the board, reminders and publication.
Attachments, the annex and the remarks' decisions are consult.api.statement_files."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.feedback import round_json
from consult.api.registry import QueryParam, operation, required_query_int
from consult.db import get_session, utcnow
from consult.models import (
    Statement,
    StatementAttachment,
    StatementExtension,
    StatementVersion,
    User,
)
from consult.schemas import rounds as round_schemas
from consult.schemas import statements as schemas
from consult.services import (
    statement_board,
    statement_intake,
    statement_reads,
    statement_reminders,
    statements,
)
from consult.services.statement_reads import RemarkView, StatementView

TAG = "statements"
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)
READ_ERRORS = (401, 403, 404, 409)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def remark_json(remark: RemarkView) -> dict[str, Any]:
    return {
        "section_id": remark.section_id,
        "section_key": remark.section_key,
        "section_title": remark.section_title,
        "body": remark.body,
        "anchor": {"start": remark.anchor_start, "end": remark.anchor_end, "quote": remark.quote}
        if remark.anchor_start is not None
        else None,
        "feedback_id": remark.feedback_id,
        "status": remark.status,
    }


def attachment_json(attachment: StatementAttachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "statement_id": attachment.statement_id,
        "name": attachment.file_name,
        "mime_type": attachment.mime_type,
        "size": attachment.size,
        "sha512": attachment.sha512,
        "pages": attachment.page_count,
        "in_draft": attachment.in_draft,
        "uploaded_at": attachment.uploaded_at.isoformat(),
        "url": url_for(
            "api.download_attachment",
            statement_id=attachment.statement_id,
            attachment_id=attachment.id,
        ),
    }


def version_summary(version: StatementVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "position": version.position,
        "signatory": version.signatory_name,
        "signatory_function": version.signatory_function,
        "channel": version.channel,
        "received_at": version.received_at.isoformat(),
        "submitted_at": version.submitted_at.isoformat(),
        "receipt_number": version.receipt_number,
        "submitted_by": _person(version.submitted_by),
        "recorded_by": _person(version.recorded_by),
        "recorded_by_editor": version.is_recorded_by_editor,
    }


def version_json(view: statement_reads.VersionView) -> dict[str, Any]:
    version = view.version
    return {
        **version_summary(version),
        "statement_id": version.statement_id,
        "organisation_id": version.organisation_id,
        "body": version.body,
        "section_remarks": [remark_json(r) for r in view.remarks],
        "attachments": [attachment_json(a) for a in view.attachments],
    }


def _draft_json(view: StatementView) -> dict[str, Any] | None:
    if view.draft_remarks is None:
        return None
    statement = view.statement
    return {
        "position": statement.draft_position,
        "body": statement.draft_body,
        "signatory": statement.draft_signatory_name,
        "signatory_function": statement.draft_signatory_function,
        "section_remarks": [remark_json(r) for r in view.draft_remarks],
        "attachments": [attachment_json(a) for a in view.draft_attachments or []],
        "drafted_by": _person(statement.drafted_by),
        "drafted_at": _iso(statement.drafted_at),
        "draft_revision": statement.draft_revision,
        "returned_reason": statement.returned_reason,
        "returned_by": _person(statement.returned_by),
        "returned_at": _iso(statement.returned_at),
    }


def statement_json(view: StatementView) -> dict[str, Any]:
    current = view.current
    return {
        "id": view.statement.id,
        "round_id": view.round.id,
        "organisation_id": view.organisation.id,
        "organisation": view.organisation.name,
        "status": view.statement.status,
        "version": current.number if current else None,
        "position": current.position if current else None,
        "body": current.body if current else None,
        "signatory": current.signatory_name if current else None,
        "signatory_function": current.signatory_function if current else None,
        "submitted_at": _iso(current.submitted_at) if current else None,
        "received_at": _iso(current.received_at) if current else None,
        "channel": current.channel if current else None,
        "recorded_by_editor": bool(current and current.is_recorded_by_editor),
        "deadline": view.deadline.isoformat(),
        "versions": [version_summary(v) for v in view.versions],
        "draft": _draft_json(view),
    }


def _shown(statement: Statement) -> dict[str, Any]:
    db = get_session()
    db.flush()
    db.refresh(statement)
    return statement_json(statement_reads.view(db, statement, actor=api_user()))


def extension_json(extension: StatementExtension) -> dict[str, Any]:
    return {
        "id": extension.id,
        "round_id": extension.round_id,
        "organisation_id": extension.organisation_id,
        "previous_closes_at": extension.previous_closes_at.isoformat(),
        "closes_at": extension.closes_at.isoformat(),
        "reason": extension.reason,
        "created_by": _person(extension.created_by),
        "created_at": extension.created_at.isoformat(),
    }


def _remarks(body: schemas.StatementInput) -> list[statements.RemarkInput]:
    return [
        statements.RemarkInput(
            r.section_id, r.body, r.anchor.model_dump() if r.anchor is not None else None
        )
        for r in body.section_remarks or []
    ]


@bp.post("/rounds/<int:round_id>/statements")
@operation(
    "Submit a municipality's statement (a signatory), save a draft, or record one on paper",
    tag=TAG,
    status=201,
    body=schemas.StatementInput,
    response=schemas.Statement,
    errors=WRITE_ERRORS,
    description="A signatory member of the municipality submits the next version; "
    '`"draft": true` saves a draft (staff or signatory; drafting staff cannot submit: 403); '
    "an editor with `channel` (and `received_at`, `receipt_number`) records a statement "
    "received on paper, which counts like a submitted one (the date received counts for "
    "the deadline). After the municipality's deadline: 409 `round_closed` "
    "(paper: `received_after_deadline`). `draft_revision` guards against overwriting a "
    "newer draft: 409 `stale_draft`.",
)
def submit_statement(round_id: int, body: schemas.StatementInput) -> ResponseReturnValue:
    db = get_session()
    common: dict[str, Any] = {
        "actor": api_user(),
        "organisation_id": body.organisation_id,
        "position": body.position,
        "body": body.body,
        "signatory": body.signatory,
        "signatory_function": body.signatory_function,
        "remarks": _remarks(body),
    }
    if body.channel is not None:
        version = statement_intake.record_paper(
            db,
            round_id,
            channel=body.channel,
            received_at=body.received_at,
            receipt_number=body.receipt_number,
            **common,
        )
        return _shown(version.statement), 201
    if body.draft:
        statement = statements.save_draft(
            db, round_id, draft_revision=body.draft_revision, **common
        )
        return _shown(statement), 201
    version = statements.submit(db, round_id, draft_revision=body.draft_revision, **common)
    return _shown(version.statement), 201


@bp.post("/rounds/<int:round_id>/statements/no-objections")
@operation(
    "Submit 'keine Bedenken': consent without remarks, in one step (a signatory)",
    tag=TAG,
    status=201,
    body=schemas.NoObjectionsInput,
    response=schemas.Statement,
    errors=WRITE_ERRORS,
)
def no_objections(round_id: int, body: schemas.NoObjectionsInput) -> ResponseReturnValue:
    version = statements.submit_no_objections(
        get_session(),
        round_id,
        actor=api_user(),
        organisation_id=body.organisation_id,
        signatory=body.signatory,
        signatory_function=body.signatory_function,
    )
    return _shown(version.statement), 201


@bp.get("/rounds/<int:round_id>/statements")
@operation(
    "The round's statements the caller may see, each with its current version",
    tag=TAG,
    response=schemas.StatementList,
    errors=READ_ERRORS,
    description="Editors see every submitted statement, a municipality's members their "
    "own (with its draft), everyone else once the editors published the statements.",
)
def list_statements(round_id: int) -> ResponseReturnValue:
    found = statement_reads.round_statements(get_session(), round_id, actor=api_user())
    return {"round_id": round_id, "statements": [statement_json(v) for v in found]}


@bp.get("/rounds/<int:round_id>/statement-status")
@operation(
    "One row per municipality invited to the round: submitted, draft, returned, pending, overdue",
    tag=TAG,
    response=schemas.StatusList,
    errors=READ_ERRORS,
    description="Editors; the consultation's members once the statements are published "
    "(drafts and returns then show as pending).",
)
def statement_status(round_id: int) -> ResponseReturnValue:
    found = statement_board.board(get_session(), round_id, actor=api_user())
    return [
        {
            "organisation_id": row.organisation.id,
            "name": row.organisation.name,
            "status": row.status,
            "position": row.version.position if row.version else None,
            "submitted_at": _iso(row.version.received_at) if row.version else None,
        }
        for row in found.rows
    ]


@bp.get("/rounds/<int:round_id>/statement-board")
@operation(
    "The editors' board: every invited municipality with status, version, channel, "
    "deadline and extension, reminders, and the positions counted",
    tag=TAG,
    response=schemas.Board,
    errors=READ_ERRORS,
)
def statement_board_view(round_id: int) -> ResponseReturnValue:
    found = statement_board.board(get_session(), round_id, actor=api_user())
    return {
        "round_id": found.round.id,
        "closes_at": found.round.effective_close().isoformat(),
        "published_at": _iso(found.published_at),
        "rows": [
            {
                "organisation_id": row.organisation.id,
                "name": row.organisation.name,
                "status": row.status,
                "statement_id": row.statement_id,
                "version": row.version.number if row.version else None,
                "position": row.version.position if row.version else None,
                "submitted_at": _iso(row.version.submitted_at) if row.version else None,
                "received_at": _iso(row.version.received_at) if row.version else None,
                "channel": row.version.channel if row.version else None,
                "recorded_by_editor": row.recorded_by_editor,
                "receipt_number": row.version.receipt_number if row.version else None,
                "has_draft": row.has_draft,
                "deadline": row.deadline.isoformat(),
                "extension": extension_json(row.extension) if row.extension else None,
                "reminded_at": _iso(row.reminded_at),
                "members": row.members,
            }
            for row in found.rows
        ],
        "positions": found.positions,
        "statuses": found.statuses,
    }


@bp.get("/statements/<int:statement_id>")
@operation(
    "One statement with its versions (and, for its municipality, its draft)",
    tag=TAG,
    response=schemas.Statement,
    errors=(401, 403, 404),
)
def get_statement(statement_id: int) -> ResponseReturnValue:
    return statement_json(statement_reads.get_view(get_session(), statement_id, actor=api_user()))


@bp.get("/statements/<int:statement_id>/versions/<int:number>")
@operation(
    "One version of a statement: text, signatory, section remarks, attachments",
    tag=TAG,
    response=schemas.Version,
    errors=(401, 403, 404),
)
def get_statement_version(statement_id: int, number: int) -> ResponseReturnValue:
    view = statement_reads.get_version(get_session(), statement_id, number, actor=api_user())
    return version_json(view)


@bp.get("/statements/<int:statement_id>/diff")
@operation(
    "What changed between two versions of a statement (word-level ops of the body)",
    tag=TAG,
    response=schemas.VersionDiff,
    errors=(401, 403, 404, 422),
    query=(
        QueryParam("old", {"type": "integer", "minimum": 1}, required=True),
        QueryParam("new", {"type": "integer", "minimum": 1}, required=True),
    ),
)
def statement_diff(statement_id: int) -> ResponseReturnValue:
    session, actor = get_session(), api_user()
    # An unknown or hidden statement is 404 whatever the query says.
    statement_reads.require_visible(session, statement_id, actor=actor)
    found = statement_reads.diff(
        session,
        statement_id,
        actor=actor,
        old=required_query_int("old"),
        new=required_query_int("new"),
    )
    return {
        "statement_id": statement_id,
        "old": found.old.number,
        "new": found.new.number,
        "old_position": found.old.position,
        "new_position": found.new.position,
        "position_changed": found.position_changed,
        "ops": [list(op) for op in found.ops],
        "old_signatory": found.old.signatory_name,
        "new_signatory": found.new.signatory_name,
        "old_section_remarks": [remark_json(r) for r in found.old_remarks],
        "new_section_remarks": [remark_json(r) for r in found.new_remarks],
    }


@bp.post("/statements/<int:statement_id>/release")
@operation(
    "Release the draft prepared by staff: it becomes the next version (a signatory)",
    tag=TAG,
    status=201,
    body=schemas.ReleaseInput,
    response=schemas.Statement,
    errors=WRITE_ERRORS,
)
def release_statement(statement_id: int, body: schemas.ReleaseInput) -> ResponseReturnValue:
    version = statements.release(
        get_session(), statement_id, actor=api_user(), draft_revision=body.draft_revision
    )
    return _shown(version.statement), 201


@bp.post("/statements/<int:statement_id>/return")
@operation(
    "Send the draft back to staff with a reason (a signatory)",
    tag=TAG,
    body=schemas.ReturnInput,
    response=schemas.Statement,
    errors=WRITE_ERRORS,
)
def return_statement(statement_id: int, body: schemas.ReturnInput) -> ResponseReturnValue:
    statement = statements.return_draft(
        get_session(),
        statement_id,
        actor=api_user(),
        reason=body.reason,
        draft_revision=body.draft_revision,
    )
    return _shown(statement)


@bp.post("/rounds/<int:round_id>/extensions")
@operation(
    "Extend the deadline for one municipality, with a reason that is kept (editors)",
    tag=TAG,
    status=201,
    body=schemas.ExtensionInput,
    response=schemas.ExtensionOut,
    errors=WRITE_ERRORS,
)
def extend_for_municipality(round_id: int, body: schemas.ExtensionInput) -> ResponseReturnValue:
    extension = statement_board.extend(
        get_session(),
        round_id,
        actor=api_user(),
        organisation_id=body.organisation_id,
        closes_at=body.closes_at,
        reason=body.reason,
    )
    return extension_json(extension), 201


@bp.get("/rounds/<int:round_id>/extensions")
@operation(
    "The deadlines extended for single municipalities, with their reasons",
    tag=TAG,
    response=schemas.ExtensionList,
    errors=READ_ERRORS,
)
def list_extensions(round_id: int) -> ResponseReturnValue:
    found = statement_board.extensions(get_session(), round_id, actor=api_user())
    return {"extensions": [extension_json(e) for e in found]}


@bp.post("/rounds/<int:round_id>/statements/publish")
@operation(
    "Publish the round's statements to every member of the consultation (editors)",
    tag=TAG,
    response=round_schemas.Round,
    errors=READ_ERRORS,
)
def publish_statements(round_id: int) -> ResponseReturnValue:
    return round_json(statement_board.publish(get_session(), round_id, actor=api_user()))


@bp.post("/rounds/<int:round_id>/statements/remind")
@operation(
    "E-mail the municipalities that have not submitted (editors); once per deadline",
    tag=TAG,
    response=schemas.Reminded,
    errors=READ_ERRORS,
)
def remind_statements(round_id: int) -> ResponseReturnValue:
    done = statement_reminders.remind_pending(
        get_session(), round_id, actor=api_user(), now=utcnow()
    )
    return {
        "reminded": [o.id for o in done.reminded],
        "already_reminded": [o.id for o in done.already],
        "without_members": [o.id for o in done.unreachable],
        "mails": done.mails,
    }
