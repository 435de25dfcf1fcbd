"""Working groups, rounds, comments, suggestions and replies (API.md)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp, field, json_body
from consult.db import get_session, utcnow
from consult.domain.textdiff import word_diff
from consult.errors import Invalid
from consult.models import Feedback, FeedbackKind, Reply, Round, WorkingGroup
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


def reply_json(answer: Reply | service.ReplyRow) -> dict[str, Any]:
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
    item: service.AnyFeedback, location: service.Location | None, body: str | None = None
) -> dict[str, Any]:
    """One comment or suggestion; ``location`` as located in the revision asked about."""
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
    else:
        data["replies"] = [reply_json(r) for r in item.replies]
    return data


def _created(item: Feedback) -> ResponseReturnValue:
    location = (
        service.Location("exact", item.anchor_start, item.anchor_end, item.quote)
        if item.has_anchor
        else None
    )
    return feedback_json(item, location), 201


# --- working groups ------------------------------------------------------------------


@bp.get("/consultations/<int:consultation_id>/working-groups")
def list_working_groups(consultation_id: int) -> ResponseReturnValue:
    groups = round_service.list_working_groups(get_session(), consultation_id, actor=api_user())
    return {"working_groups": [working_group_json(g) for g in groups]}


@bp.post("/consultations/<int:consultation_id>/working-groups")
def create_working_group(consultation_id: int) -> ResponseReturnValue:
    body = json_body()
    group = round_service.create_working_group(
        get_session(),
        consultation_id,
        actor=api_user(),
        name=field(body, "name", str),
        section_ids=field(body, "section_ids", list, required=False),
        description=field(body, "description", str, required=False),
    )
    return working_group_json(group), 201


@bp.put("/working-groups/<int:group_id>")
def update_working_group(group_id: int) -> ResponseReturnValue:
    body = json_body()
    group = round_service.update_working_group(
        get_session(),
        group_id,
        actor=api_user(),
        name=field(body, "name", str),
        section_ids=field(body, "section_ids", list, required=False, default=[]),
        description=field(body, "description", str, required=False),
    )
    return working_group_json(group)


# --- rounds --------------------------------------------------------------------------


@bp.get("/consultations/<int:consultation_id>/rounds")
def list_rounds(consultation_id: int) -> ResponseReturnValue:
    items = round_service.list_rounds(get_session(), consultation_id, actor=api_user())
    return {"rounds": [round_json(r) for r in items]}


@bp.post("/consultations/<int:consultation_id>/rounds")
def create_round(consultation_id: int) -> ResponseReturnValue:
    body = json_body()
    round_ = round_service.create_round(
        get_session(),
        consultation_id,
        actor=api_user(),
        revision_id=field(body, "revision_id", int),
        title=field(body, "title", str),
        opens_at=field(body, "opens_at", str),
        closes_at=field(body, "closes_at", str),
        working_group_ids=field(body, "working_group_ids", list, required=False),
        municipalities=field(body, "municipalities", bool, required=False, default=False),
        visibility=field(body, "visibility", str, required=False),
        description=field(body, "description", str, required=False),
    )
    return round_json(round_), 201


@bp.get("/rounds/<int:round_id>")
def get_round(round_id: int) -> ResponseReturnValue:
    return round_json(round_service.get_round(get_session(), round_id, actor=api_user()))


@bp.post("/rounds/<int:round_id>/extend")
def extend_round(round_id: int) -> ResponseReturnValue:
    body = json_body()
    round_ = round_service.extend_round(
        get_session(),
        round_id,
        actor=api_user(),
        closes_at=field(body, "closes_at", str),
        reason=field(body, "reason", str),
    )
    return round_json(round_)


@bp.post("/rounds/<int:round_id>/close")
def close_round(round_id: int) -> ResponseReturnValue:
    return round_json(round_service.close_round(get_session(), round_id, actor=api_user()))


# --- feedback ------------------------------------------------------------------------


@bp.post("/revisions/<int:revision_id>/sections/<int:section_id>/comments")
def create_comment(revision_id: int, section_id: int) -> ResponseReturnValue:
    body = json_body()
    if "anchor" not in body:
        raise Invalid(
            _("Das Feld „anchor“ fehlt (null für den ganzen Abschnitt)."), code="missing_field"
        )
    item = service.create_comment(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        body=field(body, "body", str),
        anchor=body["anchor"],
    )
    return _created(item)


@bp.post("/revisions/<int:revision_id>/sections/<int:section_id>/suggestions")
def create_suggestion(revision_id: int, section_id: int) -> ResponseReturnValue:
    body = json_body()
    item = service.create_suggestion(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        anchor=field(body, "anchor", dict),
        replacement=field(body, "replacement", str),
        reason=field(body, "reason", str, required=False),
    )
    return _created(item)


@bp.post("/comments/<int:comment_id>/replies")
def create_reply(comment_id: int) -> ResponseReturnValue:
    body = json_body()
    db = get_session()
    service.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    answer = service.reply(db, comment_id, actor=api_user(), body=field(body, "body", str))
    return reply_json(answer), 201


def _one(feedback_id: int, kind: FeedbackKind) -> ResponseReturnValue:
    item = service.get_feedback(get_session(), feedback_id, actor=api_user(), kind=kind)
    location = (
        service.Location("exact", item.anchor_start, item.anchor_end, item.quote)
        if item.has_anchor
        else None
    )
    return feedback_json(item, location)


@bp.get("/comments/<int:comment_id>")
def get_comment(comment_id: int) -> ResponseReturnValue:
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.get("/suggestions/<int:suggestion_id>")
def get_suggestion(suggestion_id: int) -> ResponseReturnValue:
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.patch("/comments/<int:comment_id>")
def edit_comment(comment_id: int) -> ResponseReturnValue:
    body = json_body()
    db = get_session()
    service.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    service.edit(db, comment_id, actor=api_user(), body=field(body, "body", str))
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.patch("/suggestions/<int:suggestion_id>")
def edit_suggestion(suggestion_id: int) -> ResponseReturnValue:
    body = json_body()
    db = get_session()
    service.get_feedback(db, suggestion_id, actor=api_user(), kind=FeedbackKind.SUGGESTION)
    changes: dict[str, Any] = {}
    if "replacement" in body:
        changes["replacement"] = field(body, "replacement", str)
    if "reason" in body:
        changes["body"] = field(body, "reason", str)
    service.edit(db, suggestion_id, actor=api_user(), **changes)
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/comments/<int:comment_id>/withdraw")
def withdraw_comment(comment_id: int) -> ResponseReturnValue:
    db = get_session()
    service.get_feedback(db, comment_id, actor=api_user(), kind=FeedbackKind.COMMENT)
    service.withdraw(db, comment_id, actor=api_user())
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.post("/suggestions/<int:suggestion_id>/withdraw")
def withdraw_suggestion(suggestion_id: int) -> ResponseReturnValue:
    db = get_session()
    service.get_feedback(db, suggestion_id, actor=api_user(), kind=FeedbackKind.SUGGESTION)
    service.withdraw(db, suggestion_id, actor=api_user())
    return _one(suggestion_id, FeedbackKind.SUGGESTION)


@bp.post("/comments/<int:comment_id>/resolve")
def resolve_comment(comment_id: int) -> ResponseReturnValue:
    service.set_resolved(get_session(), comment_id, actor=api_user(), resolved=True)
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.post("/comments/<int:comment_id>/reopen")
def reopen_comment(comment_id: int) -> ResponseReturnValue:
    service.set_resolved(get_session(), comment_id, actor=api_user(), resolved=False)
    return _one(comment_id, FeedbackKind.COMMENT)


@bp.get("/revisions/<int:revision_id>/feedback")
def revision_feedback(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = revision_service.get_revision(db, revision_id, actor=api_user())
    placements = revision_service.outline(db, revision).placements
    bodies = {p.section_id: p.version.body for p in placements}
    views = service.visible_feedback(db, revision, actor=api_user(), placements=placements)
    comments: list[dict[str, Any]] = []
    suggestions: list[dict[str, Any]] = []
    for view in views:
        data = feedback_json(view.feedback, view.location, bodies.get(view.feedback.section_id))
        (suggestions if view.feedback.kind == FeedbackKind.SUGGESTION.value else comments).append(
            data
        )
    return {"revision_id": revision.id, "comments": comments, "suggestions": suggestions}


@bp.post("/diff-preview")
def diff_preview() -> ResponseReturnValue:
    """Word-level ops from ``old`` to ``new`` (the live preview of the suggestion form)."""
    body = json_body()
    old = service.clean_text(
        field(body, "old", str), "old", _("Der bisherige Text"), allow_empty=True
    )
    new = service.clean_text(field(body, "new", str), "new", _("Der neue Text"), allow_empty=True)
    return {"ops": [list(op) for op in word_diff(old, new)]}
