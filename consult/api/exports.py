"""Exports (API.md, "Exports"): a revision as DOCX, PDF or Markdown, and the synopsis of
two revisions as HTML, DOCX or PDF. The files come from
the export services as :class:`~consult.services.export_files.ExportFile`; :func:`download`
sends one as an attachment."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.http import dump_options_header

from consult.api.base import api_user, bp
from consult.api.registry import QueryParam, operation
from consult.db import get_session
from consult.errors import Invalid
from consult.services import revision_exports, synopsis_exports
from consult.services.export_files import ExportFile

TAG = "exports"


def download(made: ExportFile) -> Response:
    """An export as a download: ``Content-Disposition: attachment`` with its (ASCII-safe)
    file name, never sniffed or kept by shared caches."""
    name = made.filename
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = dump_options_header("attachment", {"filename": ascii_name})
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    response = Response(made.content, mimetype=made.mimetype)
    response.headers["Content-Type"] = made.mimetype
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/revisions/<int:revision_id>/export")
@operation(
    "A revision as a file: DOCX (Word), PDF or Markdown",
    tag=TAG,
    errors=(401, 404, 422),
    query=(
        QueryParam(
            "format",
            {"type": "string", "enum": list(revision_exports.FORMATS), "default": "pdf"},
            description="docx, pdf or md (the Markdown that POST /consultations/{id}/"
            "revisions imports back to the same sections)",
        ),
    ),
    files=tuple(revision_exports.FORMATS.values()),
    description="Whoever may read the revision. DOCX and PDF open with a title page "
    '(consultation, "Fassung N vom …" or draft, status); the PDF has a table of '
    "contents, page numbers and a running header. An unknown format: 422 "
    "(invalid_format); a revision the caller may not read: 404.",
)
def export_revision(revision_id: int) -> ResponseReturnValue:
    made = revision_exports.export_revision(
        get_session(),
        revision_id,
        actor=api_user(),
        file_format=request.args.get("format", "pdf"),
    )
    return download(made)


# --- the synopsis (issue 13, item 2) ----------------------------------------------------


@bp.get("/revisions/<int:revision_id>/synopsis")
@operation(
    "Two revisions side by side (Synopse): HTML, DOCX or PDF, changes marked",
    tag=TAG,
    errors=(401, 404, 422),
    query=(
        QueryParam(
            "against",
            {"type": "integer"},
            required=True,
            description="the older revision (left column), of the same consultation",
        ),
        QueryParam(
            "format",
            {"type": "string", "enum": list(synopsis_exports.FORMATS), "default": "pdf"},
            description="html (a standalone printable page), docx or pdf",
        ),
        QueryParam(
            "collapse",
            {"type": "string", "enum": ["0", "1"], "default": "0"},
            description="1: unchanged sections only by their headings",
        ),
    ),
    files=tuple(synopsis_exports.FORMATS.values()),
    description="Whoever may read both revisions. Left the wording of `against`, right "
    "that of the revision; deletions struck through, insertions underlined; under each "
    'changed section the provenance of its changes ("Vorschlag Nr. 12, Caritasverband '
    '(angenommen)", "redaktionelle Änderung (Name)") as far as the caller may see the '
    "suggestions. PDF and DOCX in A4 landscape. `against` missing, not a number or of "
    "another consultation, an unknown format or collapse: 422; a revision the caller "
    "may not read: 404.",
)
def export_synopsis(revision_id: int) -> ResponseReturnValue:
    collapse = request.args.get("collapse", "0")
    if collapse not in ("0", "1"):
        raise Invalid(
            _("„collapse“ ist 0 oder 1."),
            code="invalid_parameter",
            fields={"collapse": _("0 oder 1")},
        )
    made = synopsis_exports.export_synopsis(
        get_session(),
        revision_id,
        request.args.get("against"),
        actor=api_user(),
        file_format=request.args.get("format", "pdf"),
        collapse_unchanged=collapse == "1",
    )
    return download(made)
