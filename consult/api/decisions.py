"""Decisions on feedback, their publication, merging, assignees and snippets (API.md,
"Decisions and merge"; what goes beyond it is additive and in the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp
from consult.api.consultations import revision_json
from consult.api.feedback import round_json
from consult.api.registry import QueryParam, operation
from consult.db import get_session
from consult.errors import Invalid
from consult.models import FeedbackKind, FeedbackReview
from consult.schemas import consultations as revision_schemas
from consult.schemas import decisions as schemas
from consult.schemas import rounds as round_schemas
from consult.services import access, audit, decisions, merge, response_exports, responses, snippets

WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)


def decision_json(review: FeedbackReview) -> dict[str, Any]:
    return {
        "feedback_id": review.feedback_id,
        "decision": review.decision,
        "response": review.response,
        "replacement": review.replacement,
        "decided_by": review.decided_by_id,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "assignee_id": review.assignee_id,
        "applied_revision_id": review.applied_revision_id,
    }


def _decide(feedback_id: int, kind: FeedbackKind, **kwargs: Any) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, feedback_id, actor=api_user(), kind=kind)
    outdated = False
    if kind is FeedbackKind.SUGGESTION and kwargs.get("decision") == "accept":
        outdated = not merge.applies_as_is(db, feedback_id, actor=api_user())
    done = decisions.decide(db, feedback_id, actor=api_user(), outdated=outdated, **kwargs)
    return decision_json(done.review)


@bp.post("/comments/<int:comment_id>/decision")
@operation(
    "Decide on a comment (editors): considered, partly_considered, not_considered, noted",
    tag="decisions",
    body=schemas.CommentDecisionInput,
    response=schemas.Decision,
    errors=WRITE_ERRORS,
)
def decide_comment(comment_id: int, body: schemas.CommentDecisionInput) -> ResponseReturnValue:
    return _decide(
        comment_id,
        FeedbackKind.COMMENT,
        decision=body.decision,
        response=body.response,
        snippet_id=body.snippet_id,
    )


@bp.post("/suggestions/<int:suggestion_id>/decision")
@operation(
    "Decide on a suggestion (editors): accept, reject, accept_modified (with replacement)",
    tag="decisions",
    body=schemas.SuggestionDecisionInput,
    response=schemas.Decision,
    errors=WRITE_ERRORS,
    description="An outdated suggestion (its text changed in the latest revision) cannot be "
    "accepted as is: 409 outdated_suggestion; accept it modified instead.",
)
def decide_suggestion(
    suggestion_id: int, body: schemas.SuggestionDecisionInput
) -> ResponseReturnValue:
    return _decide(
        suggestion_id,
        FeedbackKind.SUGGESTION,
        decision=body.decision,
        response=body.response or "",
        replacement=body.replacement,
        snippet_id=body.snippet_id,
    )


def _undecide(feedback_id: int, kind: FeedbackKind) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, feedback_id, actor=api_user(), kind=kind)
    return decision_json(decisions.undecide(db, feedback_id, actor=api_user()).review)


@bp.delete("/comments/<int:comment_id>/decision")
@operation(
    "Withdraw the decision on a comment (kept in its history)",
    tag="decisions",
    response=schemas.Decision,
    errors=(401, 403, 404, 409),
)
def undecide_comment(comment_id: int) -> ResponseReturnValue:
    return _undecide(comment_id, FeedbackKind.COMMENT)


@bp.delete("/suggestions/<int:suggestion_id>/decision")
@operation(
    "Withdraw the decision on a suggestion (kept in its history; not once applied)",
    tag="decisions",
    response=schemas.Decision,
    errors=(401, 403, 404, 409),
)
def undecide_suggestion(suggestion_id: int) -> ResponseReturnValue:
    return _undecide(suggestion_id, FeedbackKind.SUGGESTION)


def _history(feedback_id: int, kind: FeedbackKind) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, feedback_id, actor=api_user(), kind=kind)
    steps = decisions.history(db, feedback_id, actor=api_user())
    return {
        "feedback_id": feedback_id,
        "history": [
            {
                "decision": s.decision,
                "response": s.response,
                "replacement": s.replacement,
                "decided_by": s.decided_by_id,
                "decided_at": s.decided_at.isoformat(),
            }
            for s in steps
        ],
    }


@bp.get("/comments/<int:comment_id>/decisions")
@operation(
    "Every decision made on a comment, the first first (editors)",
    tag="decisions",
    response=schemas.DecisionHistory,
    errors=(401, 403, 404),
)
def comment_decisions(comment_id: int) -> ResponseReturnValue:
    return _history(comment_id, FeedbackKind.COMMENT)


@bp.get("/suggestions/<int:suggestion_id>/decisions")
@operation(
    "Every decision made on a suggestion, the first first (editors)",
    tag="decisions",
    response=schemas.DecisionHistory,
    errors=(401, 403, 404),
)
def suggestion_decisions(suggestion_id: int) -> ResponseReturnValue:
    return _history(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/rounds/<int:round_id>/decisions/publish")
@operation(
    "Publish the round's decisions: authors see them and get one e-mail each (editors)",
    tag="decisions",
    response=round_schemas.Round,
    errors=(401, 403, 404, 409),
)
def publish_decisions(round_id: int) -> ResponseReturnValue:
    return round_json(decisions.publish_decisions(get_session(), round_id, actor=api_user()))


@bp.post("/consultations/<int:consultation_id>/feedback/assign")
@operation(
    "Make an editor responsible for deciding on these items (null: nobody)",
    tag="decisions",
    body=schemas.AssignInput,
    response=schemas.Assigned,
    errors=WRITE_ERRORS,
)
def assign(consultation_id: int, body: schemas.AssignInput) -> ResponseReturnValue:
    db = get_session()
    access.get_consultation(db, consultation_id, actor=api_user())
    count = decisions.assign(db, body.feedback_ids, actor=api_user(), assignee_id=body.assignee_id)
    return {"assigned": count}


def snippet_json(snippet: Any) -> dict[str, Any]:
    return {"id": snippet.id, "title": snippet.title, "body": snippet.body, "uses": snippet.uses}


@bp.get("/consultations/<int:consultation_id>/snippets")
@operation(
    "Response snippets (Textbausteine), most used first (editors)",
    tag="decisions",
    response=schemas.SnippetList,
    errors=(401, 403, 404),
)
def list_snippets(consultation_id: int) -> ResponseReturnValue:
    items = snippets.list_snippets(get_session(), consultation_id, actor=api_user())
    return {"snippets": [snippet_json(s) for s in items]}


@bp.post("/consultations/<int:consultation_id>/snippets")
@operation(
    "Create a response snippet (editors)",
    tag="decisions",
    status=201,
    body=schemas.SnippetInput,
    response=schemas.Snippet,
    errors=WRITE_ERRORS,
)
def create_snippet(consultation_id: int, body: schemas.SnippetInput) -> ResponseReturnValue:
    snippet = snippets.create_snippet(
        get_session(), consultation_id, actor=api_user(), title=body.title, body=body.body
    )
    return snippet_json(snippet), 201


@bp.delete("/snippets/<int:snippet_id>")
@operation(
    "Delete a response snippet (editors)", tag="decisions", status=204, errors=(401, 403, 404)
)
def delete_snippet(snippet_id: int) -> ResponseReturnValue:
    snippets.delete_snippet(get_session(), snippet_id, actor=api_user())
    return "", 204


def _edits(body: schemas.MergeInput) -> dict[int, str]:
    return merge.edits_from([e.model_dump() for e in body.edits or []])


def _ranges(placed: Any) -> list[dict[str, Any]]:
    return [
        {
            "start": p.start,
            "end": p.end,
            "suggestion_id": p.feedback_id,
            "editor_id": p.editor_id,
        }
        for p in placed
    ]


@bp.post("/revisions/<int:revision_id>/merge")
@operation(
    "Merge the accepted suggestions (and edits) into a new draft revision (editors)",
    tag="decisions",
    status=201,
    body=schemas.MergeInput,
    response=revision_schemas.Revision,
    errors=WRITE_ERRORS,
    description="409 stale_base when the revision is not the consultation's latest; "
    "409 overlapping_suggestions (error.suggestion_ids) when accepted suggestions overlap; "
    "nothing is written on a 409.",
)
def merge_revision(revision_id: int, body: schemas.MergeInput) -> ResponseReturnValue:
    new = merge.merge(
        get_session(), revision_id, actor=api_user(), note=body.note, edits=_edits(body)
    )
    return revision_json(new), 201


@bp.post("/revisions/<int:revision_id>/merge-preview")
@operation(
    "What a merge would make, without making it: changed sections and who wrote what",
    tag="decisions",
    body=schemas.MergeInput,
    response=schemas.MergePreview,
    errors=WRITE_ERRORS,
)
def merge_preview(revision_id: int, body: schemas.MergeInput) -> ResponseReturnValue:
    planned = merge.plan(get_session(), revision_id, actor=api_user(), edits=_edits(body))
    user_id = api_user().id
    return {
        "base_revision_id": planned.base.id,
        "applied_suggestion_ids": [f.id for f in planned.applied],
        "sections": [
            {
                "section_id": s.section_id,
                "body": s.new_body,
                "ranges": [
                    {
                        "start": p.start,
                        "end": p.end,
                        "suggestion_id": p.source,
                        "editor_id": user_id,
                    }
                    for p in s.provenance
                ],
            }
            for s in planned.sections.values()
            if s.changed
        ],
    }


@bp.get("/revisions/<int:revision_id>/provenance")
@operation(
    "Who wrote the ranges a merge changed in this revision (suggestion or editor)",
    tag="decisions",
    response=schemas.Provenance,
    errors=(401, 404),
)
def provenance(revision_id: int) -> ResponseReturnValue:
    found = merge.provenance(get_session(), revision_id, actor=api_user())
    return {
        "revision_id": revision_id,
        "sections": [
            {"section_id": section_id, "version_id": rows[0].version_id, "ranges": _ranges(rows)}
            for section_id, rows in found.items()
        ],
    }


#: The response table's file formats: media type and file name extension.
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
}


def _flag(name: str) -> bool:
    value = request.args.get(name, "1")
    if value not in ("0", "1"):
        raise Invalid(
            _("„%(name)s“ ist 0 oder 1.", name=name),
            code="invalid_parameter",
            fields={name: _("0 oder 1")},
        )
    return value == "1"


@bp.get("/rounds/<int:round_id>/responses")
@operation(
    "The response table (Abwägungstabelle) of a round: every item, decision and response",
    tag="decisions",
    response=schemas.ResponseTable,
    errors=(401, 403, 404, 422),
    query=(
        QueryParam(
            "format",
            {"type": "string", "enum": ["json", *FORMATS]},
            description="json (default), csv (German Excel), xlsx, docx or pdf (A4 landscape)",
        ),
        QueryParam("names", {"type": "string", "enum": ["0", "1"]}, description="0: no names"),
        QueryParam(
            "text", {"type": "string", "enum": ["0", "1"]}, description="0: no feedback text"
        ),
    ),
    files=tuple(media for media, _ext in FORMATS.values()),
    description="Editors at any time; the round's participants and the observers once "
    "the editors published it (403 before).",
)
def response_table(round_id: int) -> ResponseReturnValue:
    chosen = request.args.get("format", "json")
    if chosen not in ("json", *FORMATS):
        raise Invalid(
            _("Unbekanntes Format „%(f)s“: json, csv, xlsx, docx oder pdf.", f=chosen[:20]),
            code="invalid_format",
            fields={"format": _("json, csv, xlsx, docx oder pdf")},
        )
    table = responses.response_table(
        get_session(),
        round_id,
        actor=api_user(),
        with_names=_flag("names"),
        with_text=_flag("text"),
    )
    if chosen == "json":
        return {
            "round_id": table.round.id,
            "consultation_id": table.consultation.id,
            "published_at": table.published_at.isoformat() if table.published_at else None,
            "rows": [{**vars(row), "created_at": row.created_at.isoformat()} for row in table.rows],
        }
    media, extension = FORMATS[chosen]
    render = {
        "csv": response_exports.to_csv,
        "xlsx": response_exports.to_xlsx,
        "docx": response_exports.to_docx,
        "pdf": response_exports.to_pdf,
    }[chosen]
    body = render(table)
    audit.record_export(
        get_session(),
        actor=api_user(),
        action="export.responses",
        round_=table.round,
        file_format=chosen,
        with_names=_flag("names"),
    )
    name = f"abwaegungstabelle-runde-{table.round.id}.{extension}"
    return Response(
        body,
        mimetype=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/rounds/<int:round_id>/responses/publish")
@operation(
    "Publish the round's response table to its participants and the observers (editors)",
    tag="decisions",
    response=round_schemas.Round,
    errors=(401, 403, 404, 409),
)
def publish_responses(round_id: int) -> ResponseReturnValue:
    return round_json(responses.publish_responses(get_session(), round_id, actor=api_user()))
