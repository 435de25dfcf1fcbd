"""Downloads of the synopsis (Synopse) of two revisions from the diff page's synopsis view:
PDF, Word (DOCX) and HTML, the same service as the API's
``GET /api/v1/revisions/{id}/synopsis`` (consult.services.synopsis_exports)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult.db import get_session
from consult.services import synopsis_exports
from consult.web.exports import send

bp = Blueprint("synopsis_exports", __name__)


@bp.route("/revisions/<int:revision_id>/synopsis.<any(pdf, docx, html):file_format>")
def synopsis(revision_id: int, file_format: str) -> ResponseReturnValue:
    """The synopsis of ``?against=`` -> this revision as a file, for whoever may read both
    (404 otherwise; 422 without a valid ``against``). ``collapse=1``: unchanged sections
    only by their headings (the page's "nur Änderungen")."""
    made = synopsis_exports.export_synopsis(
        get_session(),
        revision_id,
        request.args.get("against"),
        actor=current_user,
        file_format=file_format,
        collapse_unchanged=request.args.get("collapse") == "1",
    )
    return send(made)
