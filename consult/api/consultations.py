"""Consultations, members, revisions, publishing and diffs (API.md)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp, field, json_body
from consult.db import get_session
from consult.errors import Invalid
from consult.models import Consultation, Membership, Placement, Revision
from consult.services import consultations as service
from consult.services import diffs, rounds
from consult.services import revisions as revision_service


def consultation_json(consultation: Consultation, latest: Revision | None) -> dict[str, Any]:
    return {
        "id": consultation.id,
        "title": consultation.title,
        "description": consultation.description,
        "created_at": consultation.created_at.isoformat(),
        "latest_revision_id": latest.id if latest is not None else None,
    }


def member_json(membership: Membership, group_ids: list[int] | None = None) -> dict[str, Any]:
    """A member; ``group_ids`` are their working groups (looked up when not given)."""
    user = membership.user
    if group_ids is None:
        group_ids = rounds.user_group_ids(
            get_session(), membership.consultation_id, membership.user_id
        )
    return {
        "consultation_id": membership.consultation_id,
        "user_id": membership.user_id,
        "name": user.name,
        "organisation": user.organisation.name if user.organisation else None,
        "role": membership.role,
        "working_group_ids": group_ids,
    }


def placement_json(p: Placement) -> dict[str, Any]:
    return {
        "section_id": p.section_id,
        "key": p.key,
        "title": p.version.title,
        "body": p.version.body,
        "version_id": p.version_id,
        "parent_id": p.parent_section_id,
        "position": p.position,
        "depth": p.depth,
    }


def revision_summary(revision: Revision) -> dict[str, Any]:
    return {
        "id": revision.id,
        "consultation_id": revision.consultation_id,
        "number": revision.number,
        "status": revision.status,
        "note": revision.note,
        "author_id": revision.author_id,
        "base_revision_id": revision.base_revision_id,
        "created_at": revision.created_at.isoformat(),
        "published_at": revision.published_at.isoformat() if revision.published_at else None,
    }


def revision_json(revision: Revision) -> dict[str, Any]:
    data = revision_summary(revision)
    placements = revision_service.outline(get_session(), revision).placements
    data["sections"] = [placement_json(p) for p in placements]
    return data


@bp.get("/consultations")
def list_consultations() -> ResponseReturnValue:
    db = get_session()
    items = service.list_for_user(db, actor=api_user())
    return {
        "consultations": [
            consultation_json(c, revision_service.latest_revision(db, c.id)) for c, _ in items
        ]
    }


@bp.post("/consultations")
def create_consultation() -> ResponseReturnValue:
    body = json_body()
    consultation = service.create_consultation(
        get_session(),
        actor=api_user(),
        title=field(body, "title", str),
        description=field(body, "description", str, required=False),
    )
    return consultation_json(consultation, None), 201


@bp.get("/consultations/<int:consultation_id>")
def get_consultation(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = service.get_consultation(db, consultation_id, actor=api_user())
    data = consultation_json(consultation, revision_service.latest_revision(db, consultation.id))
    data["revisions"] = [
        revision_summary(r)
        for r in revision_service.list_revisions(db, consultation, actor=api_user())
    ]
    return data


@bp.get("/consultations/<int:consultation_id>/members")
def list_members(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    items = service.list_members(db, consultation_id, actor=api_user())
    groups = rounds.group_ids_by_user(db, consultation_id)
    return {"members": [member_json(m, groups.get(m.user_id, [])) for m in items]}


@bp.put("/consultations/<int:consultation_id>/members/<int:user_id>")
def set_member(consultation_id: int, user_id: int) -> ResponseReturnValue:
    body = json_body()
    membership = service.set_member(
        get_session(),
        consultation_id,
        user_id,
        actor=api_user(),
        role=field(body, "role", str),
        working_group_ids=field(body, "working_group_ids", list, required=False),
    )
    return member_json(membership)


@bp.delete("/consultations/<int:consultation_id>/members/<int:user_id>")
def remove_member(consultation_id: int, user_id: int) -> ResponseReturnValue:
    service.remove_member(get_session(), consultation_id, user_id, actor=api_user())
    return "", 204


@bp.get("/consultations/<int:consultation_id>/revisions")
def list_revisions(consultation_id: int) -> ResponseReturnValue:
    entries = diffs.history(get_session(), consultation_id, actor=api_user())
    return {
        "revisions": [
            {
                **revision_summary(e.revision),
                "compared_to_id": e.compared_to.id if e.compared_to else None,
                "counts": e.counts,
            }
            for e in entries
        ]
    }


@bp.post("/consultations/<int:consultation_id>/revisions")
def create_revision(consultation_id: int) -> ResponseReturnValue:
    body = json_body()
    db = get_session()
    note = field(body, "note", str, required=False)
    if "markdown" in body:
        if "sections" in body:
            raise Invalid(_("Bitte entweder „markdown“ oder „sections“ senden."), code="ambiguous")
        revision = revision_service.create_from_markdown(
            db, consultation_id, actor=api_user(), markdown=field(body, "markdown", str), note=note
        )
    elif "sections" in body:
        revision = revision_service.create_from_sections(
            db,
            consultation_id,
            actor=api_user(),
            sections=field(body, "sections", list),
            base_revision_id=field(body, "base_revision_id", int, required=False),
            note=note,
        )
    elif "base_revision_id" in body:
        base_id = field(body, "base_revision_id", int)
        base = db.get(Revision, base_id)
        if base is None or base.consultation_id != consultation_id:
            raise Invalid(
                _("Die Ausgangsfassung gibt es in diesem Verfahren nicht."),
                code="unknown_base_revision",
            )
        revision = revision_service.copy_revision(db, base_id, actor=api_user(), note=note)
    else:
        raise Invalid(
            _("Erwartet wird „markdown“, „sections“ oder „base_revision_id“."),
            code="missing_field",
        )
    return revision_json(revision), 201


@bp.get("/revisions/<int:revision_id>")
def get_revision(revision_id: int) -> ResponseReturnValue:
    revision = revision_service.get_revision(get_session(), revision_id, actor=api_user())
    return revision_json(revision)


@bp.put("/revisions/<int:revision_id>/sections")
def replace_sections(revision_id: int) -> ResponseReturnValue:
    body = json_body()
    kwargs: dict[str, Any] = {}
    if "note" in body:
        kwargs["note"] = field(body, "note", str, required=False)
    revision = revision_service.replace_sections(
        get_session(),
        revision_id,
        actor=api_user(),
        sections=field(body, "sections", list),
        **kwargs,
    )
    return revision_json(revision)


@bp.patch("/revisions/<int:revision_id>/sections/<int:section_id>")
def update_section(revision_id: int, section_id: int) -> ResponseReturnValue:
    body = json_body()
    changes = {name: field(body, name, str) for name in ("title", "body", "key") if name in body}
    placement = revision_service.update_section(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        base_version_id=field(body, "base_version_id", int),
        **changes,
    )
    return placement_json(placement)


@bp.post("/revisions/<int:revision_id>/publish")
def publish(revision_id: int) -> ResponseReturnValue:
    revision = revision_service.publish(get_session(), revision_id, actor=api_user())
    return revision_json(revision)


@bp.get("/revisions/<int:revision_id>/diff")
def diff(revision_id: int) -> ResponseReturnValue:
    comparison = diffs.compare_revisions(
        get_session(), revision_id, request.args.get("against"), actor=api_user()
    )
    return {
        "revision_id": comparison.revision.id,
        "against": comparison.other.id,
        "counts": comparison.counts,
        "sections": [
            {
                "section_id": s.section_id,
                "key": s.key,
                "old_key": s.old_key if s.old_version else None,
                "title": s.title,
                "status": s.status,
                "moved": s.change.moved,
                "old_version_id": s.old_version.id if s.old_version else None,
                "new_version_id": s.new_version.id if s.new_version else None,
                "title_ops": [list(op) for op in s.title_ops],
                "ops": [list(op) for op in s.body_ops],
            }
            for s in comparison.sections
        ],
    }
