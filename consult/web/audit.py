"""The audit log pages: a consultation's log for its editors, the whole log for admins,
each filterable (action, person, days), paged, and as CSV. Reading only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult import dates
from consult.db import get_session, parse_number
from consult.models import Consultation
from consult.services import access, audit, audit_export, permissions

bp = Blueprint("audit", __name__)

#: Entries per page.
PAGE = 50
#: The most entries a CSV holds (the whole log of a consultation in practice).
CSV_LIMIT = 100_000


@dataclass(frozen=True)
class Filters:
    action: str | None
    actor_id: int | None
    since: date | None
    until: date | None
    page: int

    def query(self, **changes: Any) -> dict[str, Any]:
        values = {
            "action": self.action or "",
            "actor_id": self.actor_id or "",
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None, 1)}


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> Filters:
    action = request.args.get("action", "")
    return Filters(
        action=action if action in audit_export.ACTION_LABELS else None,
        actor_id=parse_number(request.args.get("actor_id")),
        since=_day("from"),
        until=_day("to"),
        page=max(1, parse_number(request.args.get("page")) or 1),
    )


def _start(day: date | None) -> datetime | None:
    """The first moment of a day in Berlin."""
    return None if day is None else datetime.combine(day, time(), tzinfo=dates.BERLIN)


def _search(consultation_id: int | None, filters: Filters) -> dict[str, Any]:
    return {
        "action": filters.action,
        "actor_id": filters.actor_id,
        "since": _start(filters.since),
        "until": _start(filters.until + timedelta(days=1)) if filters.until else None,
    }


def _page(consultation: Consultation | None) -> str:
    db = get_session()
    consultation_id = consultation.id if consultation else None
    filters = _filters()
    search = _search(consultation_id, filters)
    total = audit.count(db, consultation_id, actor=current_user, **search)
    found = audit.entries(
        db,
        consultation_id,
        actor=current_user,
        limit=PAGE,
        offset=(filters.page - 1) * PAGE,
        **search,
    )
    endpoint = "audit.consultation_log" if consultation else "audit.admin_log"
    ids: dict[str, Any] = {"consultation_id": consultation.id} if consultation else {}
    return render_template(
        "audit/list.html",
        consultation=consultation,
        entries=found,
        total=total,
        pages=max(1, -(-total // PAGE)),
        filters=filters,
        people=audit.actors(db, consultation_id, actor=current_user),
        actions=audit_export.ACTION_LABELS,
        label=audit_export.action_label,
        object_label=audit_export.object_label,
        details_text=audit_export.details_text,
        object_url=_object_url,
        page_url=lambda page: url_for(endpoint, **ids, **filters.query(page=page)),
        csv_url=url_for(endpoint.replace("_log", "_csv"), **ids, **filters.query(page=1)),
        form_url=url_for(endpoint, **ids),
    )


def _object_url(entry: audit.AuditView) -> str | None:
    """Where the entry's object can be seen, if it has a page."""
    if entry.object_id is None:
        return None
    if entry.object_type == "round":
        return url_for("rounds.show", round_id=entry.object_id)
    if entry.object_type == "revision":
        return url_for("revisions.read", revision_id=entry.object_id)
    if entry.object_type == "feedback":
        return url_for("decisions.decide", feedback_id=entry.object_id)
    if entry.object_type == "user" and permissions.is_admin(current_user):
        return url_for("admin.edit_user", user_id=entry.object_id)
    if entry.object_type == "organisation" and permissions.is_admin(current_user):
        return url_for("admin.edit_organisation", organisation_id=entry.object_id)
    return None


def _csv(consultation_id: int | None, name: str) -> Response:
    db = get_session()
    search = _search(consultation_id, _filters())
    found = audit.entries(db, consultation_id, actor=current_user, limit=CSV_LIMIT, **search)
    return Response(
        audit_export.to_csv(found),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/consultations/<int:consultation_id>/audit")
def consultation_log(consultation_id: int) -> ResponseReturnValue:
    """The consultation's audit log (its editors, admins)."""
    db = get_session()
    audit.check_reader(db, consultation_id, actor=current_user)
    return _page(access.get_consultation(db, consultation_id, actor=current_user))


@bp.route("/consultations/<int:consultation_id>/audit.csv")
def consultation_csv(consultation_id: int) -> ResponseReturnValue:
    return _csv(consultation_id, f"protokoll-verfahren-{consultation_id}.csv")


@bp.route("/admin/audit")
def admin_log() -> ResponseReturnValue:
    """The whole audit log: every consultation, the logins of admins (admins)."""
    return _page(None)


@bp.route("/admin/audit.csv")
def admin_csv() -> ResponseReturnValue:
    return _csv(None, "protokoll.csv")


@bp.app_template_global()
def can_read_audit(consultation: Consultation) -> bool:
    """Whether the current user may read the consultation's audit log (its nav link)."""
    return permissions.can_edit_consultation(get_session(), current_user, consultation)
