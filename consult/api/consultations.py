"""Consultations, members, revisions, publishing and diffs (API.md)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp
from consult.api.registry import QueryParam, operation
from consult.db import get_session
from consult.errors import Invalid
from consult.models import Consultation, Membership, Placement, Revision
from consult.schemas import consultations as schemas
from consult.services import access, diffs, draft_sections, drafts, working_groups
from consult.services import consultations as service
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
        group_ids = working_groups.user_group_ids(
            get_session(), membership.consultation_id, membership.user_id
        )
    return {
        "consultation_id": membership.consultation_id,
        "user_id": membership.user_id,
        "name": user.name,
        "organisation": user.organisation.name if user.organisation else None,
        "role": membership.role,
        "working_group_ids": group_ids,
        "signatory": membership.is_signatory if membership.role == "municipality" else None,
        "signatory_function": membership.signatory_function
        if membership.role == "municipality"
        else None,
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


WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)


@bp.get("/consultations")
@operation(
    "Consultations the caller takes part in",
    tag="consultations",
    response=schemas.ConsultationList,
)
def list_consultations() -> ResponseReturnValue:
    db = get_session()
    items = service.list_for_user(db, actor=api_user())
    return {
        "consultations": [
            consultation_json(c, revision_service.latest_revision(db, c.id)) for c, _ in items
        ]
    }


@bp.post("/consultations")
@operation(
    "Create a consultation; the caller becomes its editor",
    tag="consultations",
    status=201,
    body=schemas.ConsultationInput,
    response=schemas.Consultation,
    errors=(400, 401, 403, 413, 422),
)
def create_consultation(body: schemas.ConsultationInput) -> ResponseReturnValue:
    consultation = service.create_consultation(
        get_session(), actor=api_user(), title=body.title, description=body.description
    )
    return consultation_json(consultation, None), 201


@bp.get("/consultations/<int:consultation_id>")
@operation(
    "One consultation with its revisions",
    tag="consultations",
    response=schemas.Consultation,
    errors=(401, 404),
)
def get_consultation(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=api_user())
    data = consultation_json(consultation, revision_service.latest_revision(db, consultation.id))
    data["revisions"] = [
        revision_summary(r)
        for r in revision_service.list_revisions(db, consultation, actor=api_user())
    ]
    return data


@bp.get("/consultations/<int:consultation_id>/members")
@operation(
    "Members and their roles",
    tag="consultations",
    response=schemas.MemberList,
    errors=(401, 404),
)
def list_members(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    items = service.list_members(db, consultation_id, actor=api_user())
    groups = working_groups.group_ids_by_user(db, consultation_id)
    return {"members": [member_json(m, groups.get(m.user_id, [])) for m in items]}


@bp.put("/consultations/<int:consultation_id>/members/<int:user_id>")
@operation(
    "Give a user a role (editor)",
    tag="consultations",
    body=schemas.MemberInput,
    response=schemas.Member,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
def set_member(
    consultation_id: int, user_id: int, body: schemas.MemberInput
) -> ResponseReturnValue:
    membership = service.set_member(
        get_session(),
        consultation_id,
        user_id,
        actor=api_user(),
        role=body.role,
        working_group_ids=body.working_group_ids,
        signatory=body.signatory,
        signatory_function=body.signatory_function,
    )
    return member_json(membership)


@bp.delete("/consultations/<int:consultation_id>/members/<int:user_id>")
@operation(
    "Remove a member (editor)",
    tag="consultations",
    status=204,
    errors=(401, 403, 404, 409),
)
def remove_member(consultation_id: int, user_id: int) -> ResponseReturnValue:
    service.remove_member(get_session(), consultation_id, user_id, actor=api_user())
    return "", 204


@bp.get("/consultations/<int:consultation_id>/revisions")
@operation(
    "Revisions with change counts against their base",
    tag="revisions",
    response=schemas.RevisionList,
    errors=(401, 404),
)
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
@operation(
    "Create a draft revision from Markdown, a section list, or a base revision",
    tag="revisions",
    status=201,
    body=schemas.RevisionInput,
    response=schemas.Revision,
    errors=WRITE_ERRORS,
    description="Send either `markdown`, or `sections` (with `base_revision_id` when the "
    "sections keep their identity), or only `base_revision_id` (a new draft with the base's "
    "sections).",
)
def create_revision(consultation_id: int, body: schemas.RevisionInput) -> ResponseReturnValue:
    db = get_session()
    note = body.note
    if body.markdown is not None:
        if body.sections is not None:
            raise Invalid(_("Bitte entweder „markdown“ oder „sections“ senden."), code="ambiguous")
        revision = drafts.create_from_markdown(
            db, consultation_id, actor=api_user(), markdown=body.markdown, note=note
        )
    elif body.sections is not None:
        revision = drafts.create_from_sections(
            db,
            consultation_id,
            actor=api_user(),
            sections=[s.model_dump(exclude_unset=True) for s in body.sections],
            base_revision_id=body.base_revision_id,
            note=note,
        )
    elif body.base_revision_id is not None:
        base_id = body.base_revision_id
        base = db.get(Revision, base_id)
        if base is None or base.consultation_id != consultation_id:
            raise Invalid(
                _("Die Ausgangsfassung gibt es in diesem Verfahren nicht."),
                code="unknown_base_revision",
            )
        revision = drafts.copy_revision(db, base_id, actor=api_user(), note=note)
    else:
        raise Invalid(
            _("Erwartet wird „markdown“, „sections“ oder „base_revision_id“."),
            code="missing_field",
        )
    return revision_json(revision), 201


@bp.get("/revisions/<int:revision_id>")
@operation(
    "A revision with its sections in reading order",
    tag="revisions",
    response=schemas.Revision,
    errors=(401, 404),
)
def get_revision(revision_id: int) -> ResponseReturnValue:
    revision = access.get_revision(get_session(), revision_id, actor=api_user())
    return revision_json(revision)


@bp.put("/revisions/<int:revision_id>/sections")
@operation(
    "Replace a draft's section list",
    tag="revisions",
    body=schemas.SectionsInput,
    response=schemas.Revision,
    errors=WRITE_ERRORS,
)
def replace_sections(revision_id: int, body: schemas.SectionsInput) -> ResponseReturnValue:
    kwargs: dict[str, Any] = {}
    if "note" in body.model_fields_set:
        kwargs["note"] = body.note
    revision = draft_sections.replace_sections(
        get_session(),
        revision_id,
        actor=api_user(),
        sections=[s.model_dump(exclude_unset=True) for s in body.sections],
        **kwargs,
    )
    return revision_json(revision)


@bp.patch("/revisions/<int:revision_id>/sections/<int:section_id>")
@operation(
    "Edit one section of a draft; 409 stale_version carries the current text",
    tag="revisions",
    body=schemas.SectionEdit,
    response=schemas.Section,
    errors=WRITE_ERRORS,
)
def update_section(
    revision_id: int, section_id: int, body: schemas.SectionEdit
) -> ResponseReturnValue:
    given = body.model_dump(include={"title", "body", "key"}, exclude_none=True)
    placement = draft_sections.update_section(
        get_session(),
        revision_id,
        section_id,
        actor=api_user(),
        base_version_id=body.base_version_id,
        **given,
    )
    return placement_json(placement)


@bp.post("/revisions/<int:revision_id>/publish")
@operation(
    "Publish (freeze) a draft",
    tag="revisions",
    response=schemas.Revision,
    errors=(401, 403, 404, 409),
)
def publish(revision_id: int) -> ResponseReturnValue:
    revision = drafts.publish(get_session(), revision_id, actor=api_user(), notify=True)
    return revision_json(revision)


@bp.get("/revisions/<int:revision_id>/diff")
@operation(
    "Word-level diff from revision `against` to this one",
    tag="revisions",
    response=schemas.Diff,
    errors=(401, 404, 422),
    query=(QueryParam("against", {"type": "integer"}, required=True),),
)
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
