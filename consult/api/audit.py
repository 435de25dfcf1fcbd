"""The audit log of a consultation (read only: no operation changes or deletes an entry)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp
from consult.api.registry import QueryParam, operation, query_int
from consult.db import get_session
from consult.errors import Invalid
from consult.schemas import audit as schemas
from consult.services import audit
from consult.services.audit import AuditView


def entry_json(entry: AuditView) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": {"id": entry.actor_id, "name": entry.actor_name},
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
    }


@bp.get("/consultations/<int:consultation_id>/audit")
@operation(
    "The consultation's audit log: who did what when, newest first",
    tag="audit",
    response=schemas.AuditList,
    errors=(401, 403, 404, 422),
    query=(
        QueryParam(
            "action",
            {"type": "string", "maxLength": 64},
            description="an action code (round.opened), or a prefix ending in a dot (round.)",
        ),
        QueryParam(
            "actor_id", {"type": "integer", "minimum": 1}, description="only this person's entries"
        ),
        QueryParam(
            "limit", {"type": "integer", "minimum": 1, "maximum": audit.MAX_LIMIT, "default": 100}
        ),
        QueryParam("offset", {"type": "integer", "minimum": 0, "default": 0}),
    ),
    description="Editors of the consultation and admins. Append-only: no operation changes "
    "or deletes an entry.",
)
def list_audit(consultation_id: int) -> ResponseReturnValue:
    action = request.args.get("action") or None
    if action is not None and len(action) > 64:
        raise Invalid(
            _("Unbekannte Aktion."),
            code="invalid_query",
            fields={"action": _("Höchstens %(n)s Zeichen.", n=64)},
        )
    found = audit.entries(
        get_session(),
        consultation_id,
        actor=api_user(),
        action=action,
        actor_id=query_int("actor_id"),
        limit=query_int("limit") or 100,
        offset=query_int("offset") or 0,
    )
    return [entry_json(entry) for entry in found]
