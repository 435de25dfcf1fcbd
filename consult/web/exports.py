"""Downloads of exports from the pages: a revision as DOCX, PDF or Markdown (the same
service as the API's ``GET /api/v1/revisions/{id}/export``)."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult.db import get_session
from consult.services import revision_exports
from consult.services.export_files import ExportFile

bp = Blueprint("exports", __name__)


def send(made: ExportFile) -> Response:
    """An export as a download (its file name is ASCII-safe: see export_files.file_stem)."""
    response = Response(made.content, content_type=made.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/revisions/<int:revision_id>/export.<any(docx, pdf, md):file_format>")
def revision(revision_id: int, file_format: str) -> ResponseReturnValue:
    """A revision as a file, for whoever may read it (404 otherwise)."""
    made = revision_exports.export_revision(
        get_session(), revision_id, actor=current_user, file_format=file_format
    )
    return send(made)
