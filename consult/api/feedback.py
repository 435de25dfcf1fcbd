"""Working groups, rounds, comments, suggestions and replies (API.md)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.registry import operation
from consult.db import get_session, utcnow
from consult.domain.textdiff import word_diff
from consult.models import Feedback, FeedbackKind, FeedbackReview, Reply, Round, WorkingGroup
from consult.schemas import feedback as schemas
from consult.schemas import rounds as round_schemas
from consult.services import access, decisions, feedback_locations, feedback_views, working_groups
from consult.services import feedback as service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service


def working_group_json(group: WorkingGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "consultation_id": group.consultation_id,
        "name": group.name,
        "description": group.description,
        "section_ids": sorted(s.section_id for s in group.sections),
        "member_ids": sorted(m.user_id for m in group.members),
    }


def round_json(round_: Round) -> dict[str, Any]:
    return {
        "id": round_.id,
        "consultation_id": round_.consultation_id,
        "revision_id": round_.revision_id,
        "title": round_.title,
        "description": round_.description,
        "opens_at": round_.opens_at.isoformat(),
        "closes_at": round_.closes_at.isoformat(),
        "closed_early_at": round_.closed_early_at.isoformat() if round_.closed_early_at else None,
        "status": round_.status_at(utcnow()),
        "visibility": round_.visibility,
        "working_group_ids": round_.working_group_ids,
        "municipalities": round_.includes_municipalities,
        "extensions": [
            {
                "kind": e.kind,
                "previous_closes_at": e.previous_closes_at.isoformat(),
                "closes_at": e.closes_at.isoformat(),
                "reason": e.reason,
                "created_at": e.created_at.isoformat(),
            }
            for e in round_.extensions
        ],
    }


def _author(user_id: int, name: str, organisation: str | None) -> dict[str, Any]:
    return {"id": user_id, "name": name, "organisation": organisation}


def reply_json(answer: Reply | feedback_views.ReplyRow) -> dict[str, Any]:
    return {
        "id": answer.id,
        "author": _author(
            answer.author_id,
            answer.author.name,
            answer.organisation.name if answer.organisation else None,
        ),
        "body": answer.body,
        "created_at": answer.created_at.isoformat(),
    }


def feedback_json(
    item: feedback_views.AnyFeedback,
    location: feedback_locations.Location | None,
    body: str | None = None,
    review: FeedbackReview | None = None,
) -> dict[str, Any]:
    """One comment or suggestion; ``location`` as located in the revision asked about;
    ``review`` its decision, if the caller may see it (editors; the others once the
    round's decisions are published)."""
    anchor: dict[str, Any] | None = None
    if item.has_anchor:
        if location is None or location.state == "orphaned":
            anchor = {"start": None, "end": None, "quote": item.quote, "state": "orphaned"}
        else:
            assert location.start is not None and location.end is not None
            quote = body[location.start : location.end] if body is not None else item.quote
            anchor = {
                "start": location.start,
                "end": location.end,
                "quote": quote,
                "state": location.state,
            }
    data: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "section_id": item.section_id,
        "round_id": item.round_id,
        "author": _author(
            item.author_id, item.author.name, item.organisation.name if item.organisation else None
        ),
        "body": item.body,
        "status": item.status,
        "origin_revision_id": item.revision_id,
        "origin_anchor": {"start": item.anchor_start, "end": item.anchor_end, "quote": item.quote}
        if item.has_anchor
        else None,
        "anchor": anchor,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "withdrawn": item.withdrawn_at is not None,
    }
    if item.kind == FeedbackKind.SUGGESTION.value:
        data["replacement"] = item.replacement
        data["reason"] = item.body
    data["replies"] = [reply_json(r) for r in item.replies]
    data["decision"] = review.decision if review is not None else None
    data["response"] = review.response if review is not None else None
    return data


def _created(item: Feedback) -> ResponseReturnValue:
    location = (
        feedback_locations.Location("exact", item.anchor_start, item.anchor_end, item.quote)
        if item.has_anchor
        else None
    )
    return feedback_json(item, location), 201


#: The errors of an operation that takes a body.
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)
#: The errors of one that takes none.
ACTION_ERRORS = (401, 403, 404, 409)

# --- working groups ------------------------------------------------------------------


@bp.get("/consultations/<int:consultation_id>/working-groups")
@operation(
    "Working groups",
    tag="rounds",
    response=round_schemas.WorkingGroupList,
    errors=(401, 404),
)
def list_working_groups(consultation_id: int) -> ResponseReturnValue:
    groups = working_groups.list_working_groups(get_session(), consultation_id, actor=api_user())
    return {"working_groups": [working_group_json(g) for g in groups]}


@bp.post("/consultations/<int:consultation_id>/working-groups")
@operation(
    "Create a working group (editor)",
    tag="rounds",
    status=201,
    body=round_schemas.WorkingGroupInput,
    response=round_schemas.WorkingGroup,
    errors=WRITE_ERRORS,
)
def create_working_group(
    consultation_id: int, body: round_schemas.WorkingGroupInput
) -> ResponseReturnValue:
    group = working_groups.create_working_group(
        get_session(),
        consultation_id,
        actor=api_user(),
        name=body.name,
        section_ids=body.section_ids,
        description=body.description,
    )
    return working_group_json(group), 201


@bp.put("/working-groups/<int:group_id>")
@operation(
    "Rename a working group, set its sections (editor)",
    tag="rounds",
    body=round_schemas.WorkingGroupInput,
    response=round_schemas.WorkingGroup,
    errors=WRITE_ERRORS,
)
def update_working_group(
    group_id: int, body: round_schemas.WorkingGroupInput
) -> ResponseReturnValue:
    group = working_groups.update_working_group(
        get_session(),
        group_id,
        actor=api_user(),
        name=body.name,
        section_ids=body.section_ids if body.section_ids is not None else [],
        description=body.description,
    )
    return working_group_json(group)


# --- rounds --------------------------------------------------------------------------


@bp.get("/consultations/<int:consultation_id>/rounds")
@operation(
    "Rounds the caller may see", tag="rounds", response=round_schemas.RoundList, errors=(401, 404)
)
def list_rounds(consultation_id: int) -> ResponseReturnValue:
    items = round_service.list_rounds(get_session(), consultation_id, actor=api_user())
    return {"rounds": [round_json(r) for r in items]}


@bp.post("/consultations/<int:consultation_id>/rounds")
@operation(
    "Open a round on a published revision; invitations are e-mailed",
    tag="rounds",
    status=201,
    body=round_schemas.RoundInput,
    response=round_schemas.Round,
    errors=WRITE_ERRORS,
)
def create_round(consultation_id: int, body: round_schemas.RoundInput) -> ResponseReturnValue:
    round_ = round_service.create_round(
        get_session(),
        consultation_id,
        actor=api_user(),
        revision_id=body.revision_id,
        title=body.title,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        working_group_ids=body.working_group_ids,
        municipalities=bool(body.municipalities),
        visibility=body.visibility,
        description=body.description,
    )
    return round_json(round_), 201


@bp.get("/rounds/<int:round_id>")
@operation("One round", tag="rounds", response=round_schemas.Round, errors=(401, 404))
def get_round(round_id: int) -> ResponseReturnValue:
    return round_json(access.get_round(get_session(), round_id, actor=api_user()))


@bp.post("/rounds/<int:round_id>/extend")
@operation(
    "Extend the deadline; the reason is kept",
    tag="rounds",
    body=round_schemas.ExtendInput,
    response=round_schemas.Round,
    errors=WRITE_ERRORS,
)
def extend_round(round_id: int, body: round_schemas.ExtendInput) -> ResponseReturnValue:
    round_ = round_service.extend_round(
        get_session(), round_id, actor=api_user(), closes_at=body.closes_at, reason=body.reason
    )
    return round_json(round_)


@bp.post("/rounds/<int:round_id>/reopen")
@operation(
    "Open a closed round again until a new deadline; the reason is kept",
    tag="rounds",
    body=round_schemas.ReopenInput,
    response=round_schemas.Round,
    errors=WRITE_ERRORS,
    description="Editors only. 409 `round_not_closed` when the round is open or has not "
    "begun. The round's `extensions` record it with `kind` `reopening`; the invited are "
    "e-mailed.",
)
def reopen_round(round_id: int, body: round_schemas.ReopenInput) -> ResponseReturnValue:
    round_ = round_service.reopen_round(
        get_session(), round_id, actor=api_user(), closes_at=body.closes_at, reason=body.reason
    )
    return round_json(round_)


@bp.post("/rounds/<int:round_id>/close")
@operation("Close the round now", tag="rounds", response=round_schemas.Round, errors=ACTION_ERRORS)
def close_round(round_id: int) -> ResponseReturnValue:
    return round_json(round_service.close_round(get_session(), round_id, actor=api_user()))


# --- feedback ------------------------------------------------------------------------


@bp.post("/revisions/<int:revision_id>/sections/<int:section_id>/comments")
@operation(
    "Comment on a range (or anchor null: the whole section)",
    tag="feedback",
    status=201,
    body=schemas.CommentInput,
    response=schemas.Feedback,
    errors=WRITE_ERRORS,
)
def create_comment(
    revision_id: int, section_id: int, body: schemas.CommentInput
) -> ResponseReturnValue:
    item = service.create_comment(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        body=body.body,
        anchor=body.anchor.model_dump() if body.anchor is not None else None,
    )
    return _created(item)


@bp.post("/revisions/<int:revision_id>/sections/<int:section_id>/suggestions")
@operation(
    "Propose a replacement of a range (insertion: start == end)",
    tag="feedback",
    status=201,
    body=schemas.SuggestionInput,
    response=schemas.Feedback,
    errors=WRITE_ERRORS,
)
def create_suggestion(
    revision_id: int, section_id: int, body: schemas.SuggestionInput
) -> ResponseReturnValue:
    item = service.create_suggestion(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        anchor=body.anchor.model_dump(),
        replacement=body.replacement,
        reason=body.reason,
    )
    return _created(item)


@bp.post("/comments/<int:comment_id>/replies")
@operation(
    "Reply to a comment",
    tag="feedback",
    status=201,
    body=schemas.TextInput,
    response=schemas.Reply,
    errors=WRITE_ERRORS,
)
def create_reply(comment_id: int, body: schemas.TextInput) -> ResponseReturnValue:
    return _reply(comment_id, FeedbackKind.COMMENT, body)


@bp.post("/suggestions/<int:suggestion_id>/replies")
@operation(
    "Reply to a suggestion (discuss it before a decision)",
    tag="feedback",
    status=201,
    body=schemas.TextInput,
    response=schemas.Reply,
    errors=WRITE_ERRORS,
)
def create_suggestion_reply(suggestion_id: int, body: schemas.TextInput) -> ResponseReturnValue:
    return _reply(suggestion_id, FeedbackKind.SUGGESTION, body)


def _reply(feedback_id: int, kind: FeedbackKind, body: schemas.TextInput) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, feedback_id, actor=api_user(), kind=kind)
    answer = service.reply(db, feedback_id, actor=api_user(), body=body.body)
    return reply_json(answer), 201


def _one(feedback_id: int, kind: FeedbackKind) -> ResponseReturnValue:
    db = get_session()
    item = access.get_feedback(db, feedback_id, actor=api_user(), kind=kind)
    location = (
        feedback_locations.Location("exact", item.anchor_start, item.anchor_end, item.quote)
        if item.has_anchor
        else None
    )
    reviews = decisions.visible_reviews(db, item.consultation_id, actor=api_user())
    return feedback_json(item, location, review=reviews.get(item.id))


@bp.get("/comments/<int:comment_id>")
@operation("One comment", tag="feedback", response=schemas.Feedback, errors=(401, 403, 404))
def get_comment(comment_id: int) -> ResponseReturnValue:
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.get("/suggestions/<int:suggestion_id>")
@operation("One suggestion", tag="feedback", response=schemas.Feedback, errors=(401, 403, 404))
def get_suggestion(suggestion_id: int) -> ResponseReturnValue:
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.patch("/comments/<int:comment_id>")
@operation(
    "Edit one's comment (the old text is kept)",
    tag="feedback",
    body=schemas.TextInput,
    response=schemas.Feedback,
    errors=WRITE_ERRORS,
)
def edit_comment(comment_id: int, body: schemas.TextInput) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    service.edit(db, comment_id, actor=api_user(), body=body.body)
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.patch("/suggestions/<int:suggestion_id>")
@operation(
    "Edit one's suggestion (the old text is kept)",
    tag="feedback",
    body=schemas.SuggestionEdit,
    response=schemas.Feedback,
    errors=WRITE_ERRORS,
)
def edit_suggestion(suggestion_id: int, body: schemas.SuggestionEdit) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, suggestion_id, actor=api_user(), kind=FeedbackKind.SUGGESTION)
    changes: dict[str, Any] = {}
    if body.replacement is not None:
        changes["replacement"] = body.replacement
    if body.reason is not None:
        changes["body"] = body.reason
    service.edit(db, suggestion_id, actor=api_user(), **changes)
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/comments/<int:comment_id>/withdraw")
@operation(
    "Withdraw one's comment", tag="feedback", response=schemas.Feedback, errors=ACTION_ERRORS
)
def withdraw_comment(comment_id: int) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    service.withdraw(db, comment_id, actor=api_user())
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.post("/suggestions/<int:suggestion_id>/withdraw")
@operation(
    "Withdraw one's suggestion", tag="feedback", response=schemas.Feedback, errors=ACTION_ERRORS
)
def withdraw_suggestion(suggestion_id: int) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, suggestion_id, actor=api_user(), kind=FeedbackKind.SUGGESTION)
    service.withdraw(db, suggestion_id, actor=api_user())
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/comments/<int:comment_id>/restore")
@operation(
    "Take back the withdrawal of one's comment (while its round is open)",
    tag="feedback",
    response=schemas.Feedback,
    errors=ACTION_ERRORS,
)
def restore_comment(comment_id: int) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    service.restore(db, comment_id, actor=api_user())
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.post("/suggestions/<int:suggestion_id>/restore")
@operation(
    "Take back the withdrawal of one's suggestion (while its round is open)",
    tag="feedback",
    response=schemas.Feedback,
    errors=ACTION_ERRORS,
)
def restore_suggestion(suggestion_id: int) -> ResponseReturnValue:
    db = get_session()
    access.get_feedback(db, suggestion_id, actor=api_user(), kind=FeedbackKind.SUGGESTION)
    service.restore(db, suggestion_id, actor=api_user())
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/comments/<int:comment_id>/resolve")
@operation(
    "Mark a comment thread resolved",
    tag="feedback",
    response=schemas.Feedback,
    errors=ACTION_ERRORS,
)
def resolve_comment(comment_id: int) -> ResponseReturnValue:
    service.set_resolved(get_session(), comment_id, actor=api_user(), resolved=True)
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.post("/comments/<int:comment_id>/reopen")
@operation(
    "Reopen a resolved comment thread",
    tag="feedback",
    response=schemas.Feedback,
    errors=ACTION_ERRORS,
)
def reopen_comment(comment_id: int) -> ResponseReturnValue:
    service.set_resolved(get_session(), comment_id, actor=api_user(), resolved=False)
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.get("/revisions/<int:revision_id>/feedback")
@operation(
    "Visible comments, suggestions and statements' section remarks, located in this revision",
    tag="feedback",
    response=schemas.FeedbackList,
    errors=(401, 404),
)
def revision_feedback(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = access.get_revision(db, revision_id, actor=api_user())
    placements = revision_service.outline(db, revision).placements
    bodies = {p.section_id: p.version.body for p in placements}
    views = feedback_views.visible_feedback(db, revision, actor=api_user(), placements=placements)
    reviews = decisions.visible_reviews(db, revision.consultation_id, actor=api_user())
    lists: dict[str, list[dict[str, Any]]] = {kind.value: [] for kind in FeedbackKind}
    for view in views:
        data = feedback_json(
            view.feedback,
            view.location,
            bodies.get(view.feedback.section_id),
            reviews.get(view.feedback.id),
        )
        lists[view.feedback.kind].append(data)
    return {
        "revision_id": revision.id,
        "comments": lists[FeedbackKind.COMMENT.value],
        "suggestions": lists[FeedbackKind.SUGGESTION.value],
        "remarks": lists[FeedbackKind.REMARK.value],
    }


@bp.post("/diff-preview")
@operation(
    "Word-level ops from `old` to `new` (the live preview of the suggestion form)",
    tag="feedback",
    body=schemas.DiffPreviewInput,
    response=schemas.DiffPreview,
    errors=(400, 401, 413, 422),
)
def diff_preview(body: schemas.DiffPreviewInput) -> ResponseReturnValue:
    """Word-level ops from ``old`` to ``new`` (the live preview of the suggestion form)."""
    old, new = body.old, body.new
    return {"ops": [list(op) for op in word_diff(old, new)]}
