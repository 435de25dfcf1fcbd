"""Statements' PDF attachments (API.md: ``POST /statements/{id}/attachments``; beyond it:
download and removal), the statements annex for the council (API.md, Exports), and the
editors' decisions on the section remarks of statements (as on comments)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import UPLOAD_LIMITS, api_user, bp
from consult.api.decisions import decision_json
from consult.api.feedback import feedback_json
from consult.api.registry import QueryParam, operation
from consult.api.statements import attachment_json
from consult.db import get_session
from consult.errors import BadRequest, Invalid, TooLarge
from consult.models import FeedbackKind
from consult.schemas import decisions as decision_schemas
from consult.schemas import feedback as feedback_schemas
from consult.schemas import statements as schemas
from consult.services import (
    access,
    audit,
    decisions,
    feedback_locations,
    statement_annex,
    statement_files,
)

TAG = "statements"


def _too_large() -> TooLarge:
    return TooLarge(
        _(
            "Die Datei ist zu groß: höchstens %(mb)d MB je Anlage.",
            mb=statement_files.MAX_BYTES // (1024 * 1024),
        ),
        code="file_too_large",
    )


@bp.post("/statements/<int:statement_id>/attachments")
@operation(
    "Attach a PDF to the statement's draft (multipart field `file`; PDF only, checked by "
    "content, at most 20 MB)",
    tag=TAG,
    status=201,
    upload="file",
    response=schemas.AttachmentOut,
    errors=(400, 401, 403, 404, 409, 413, 422),
    description="The municipality's members attach to the draft (frozen with each version "
    "submitted); an editor adds the scan to a statement recorded from paper. Not a PDF by "
    "its content (an HTML page named .pdf), encrypted or broken: 422. Above 20 MB: 413, "
    "decided by Content-Length before the body is read.",
)
def upload_attachment(statement_id: int) -> ResponseReturnValue:
    length = request.content_length
    if length is not None and length > statement_files.REQUEST_LIMIT:
        raise _too_large()  # before a byte of it is read
    if request.mimetype != "multipart/form-data":
        raise BadRequest(
            _("Erwartet wird multipart/form-data mit der Datei im Feld „file“."),
            code="malformed_upload",
        )
    try:
        upload = request.files.get("file")
    except ValueError:
        raise BadRequest(
            _("Der Inhalt ist kein gültiges multipart/form-data."), code="malformed_upload"
        ) from None
    if upload is None:
        raise Invalid(
            _("Das Feld „file“ fehlt."),
            code="missing_field",
            fields={"file": _("Bitte eine PDF-Datei wählen.")},
        )
    attachment = statement_files.add_attachment(
        get_session(),
        statement_id,
        actor=api_user(),
        stream=upload.stream,
        filename=upload.filename,
    )
    return attachment_json(attachment), 201


UPLOAD_LIMITS["api.upload_attachment"] = statement_files.REQUEST_LIMIT


@bp.get("/statements/<int:statement_id>/attachments/<int:attachment_id>")
@operation(
    "Download an attachment (as a file; only for those who may see it)",
    tag=TAG,
    errors=(401, 403, 404),
    files=(statement_annex.PDF_TYPE,),
)
def download_attachment(statement_id: int, attachment_id: int) -> ResponseReturnValue:
    attachment = statement_files.get_attachment(
        get_session(), statement_id, attachment_id, actor=api_user()
    )
    handle = statement_files.open_file(attachment)
    return _file(
        statement_files.chunks(handle), attachment.mime_type, attachment.file_name, attachment.size
    )


def _file(body: Any, media: str, name: str, size: int | None = None) -> Response:
    """A download: attachment with a safe file name (RFC 6266/5987), never sniffed or
    kept by caches."""
    from werkzeug.http import dump_options_header

    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = dump_options_header("attachment", {"filename": ascii_name})
    if ascii_name != name:
        from urllib.parse import quote

        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    response = Response(body, mimetype=media, direct_passthrough=True)
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if size is not None:
        response.headers["Content-Length"] = str(size)
    return response


@bp.delete("/statements/<int:statement_id>/attachments/<int:attachment_id>")
@operation(
    "Take an attachment out of the draft (submitted versions keep theirs)",
    tag=TAG,
    status=204,
    errors=(401, 403, 404, 409),
)
def remove_attachment(statement_id: int, attachment_id: int) -> ResponseReturnValue:
    statement_files.remove_attachment(get_session(), statement_id, attachment_id, actor=api_user())
    return "", 204


#: The annex's formats.
ANNEX_FORMATS = {"docx": statement_annex.DOCX_TYPE, "pdf": statement_annex.PDF_TYPE}


@bp.get("/rounds/<int:round_id>/statements/export")
@operation(
    "The statements annex for the council: a cover list, then one statement per page",
    tag=TAG,
    errors=(401, 403, 404, 409, 422),
    query=(
        QueryParam(
            "format", {"type": "string", "enum": list(ANNEX_FORMATS)}, description="docx or pdf"
        ),
    ),
    files=tuple(ANNEX_FORMATS.values()),
    description="Editors at any time; the consultation's members once the statements are "
    "published.",
)
def export_annex(round_id: int) -> ResponseReturnValue:
    chosen = request.args.get("format", "pdf")
    if chosen not in ANNEX_FORMATS:
        raise Invalid(
            _("Unbekanntes Format „%(f)s“: docx oder pdf.", f=chosen[:20]),
            code="invalid_format",
            fields={"format": _("docx oder pdf")},
        )
    made = statement_annex.annex(get_session(), round_id, actor=api_user())
    content = statement_annex.to_docx(made) if chosen == "docx" else statement_annex.to_pdf(made)
    audit.record_export(
        get_session(),
        actor=api_user(),
        action="export.annex",
        round_=made.round,
        file_format=chosen,
    )
    name = f"anhang-stellungnahmen-runde-{made.round.id}.{chosen}"
    return _file(content, ANNEX_FORMATS[chosen], name, len(content))


# --- the editors' decisions on section remarks ------------------------------------------


def _remark(remark_id: int) -> Any:
    return access.get_feedback(get_session(), remark_id, actor=api_user(), kind=FeedbackKind.REMARK)


@bp.get("/remarks/<int:remark_id>")
@operation(
    "One section remark of a statement, as a feedback item (kind remark)",
    tag=TAG,
    response=feedback_schemas.Feedback,
    errors=(401, 403, 404),
)
def get_remark(remark_id: int) -> ResponseReturnValue:
    item = _remark(remark_id)
    location = (
        feedback_locations.Location("exact", item.anchor_start, item.anchor_end, item.quote)
        if item.has_anchor
        else None
    )
    reviews = decisions.visible_reviews(get_session(), item.consultation_id, actor=api_user())
    return feedback_json(item, location, review=reviews.get(item.id))


@bp.post("/remarks/<int:remark_id>/decision")
@operation(
    "Decide on a statement's section remark (editors): considered, partly_considered, "
    "not_considered, noted",
    tag=TAG,
    body=decision_schemas.CommentDecisionInput,
    response=decision_schemas.Decision,
    errors=(400, 401, 403, 404, 409, 413, 422),
)
def decide_remark(
    remark_id: int, body: decision_schemas.CommentDecisionInput
) -> ResponseReturnValue:
    _remark(remark_id)
    done = decisions.decide(
        get_session(),
        remark_id,
        actor=api_user(),
        decision=body.decision,
        response=body.response,
        snippet_id=body.snippet_id,
    )
    return decision_json(done.review)


@bp.delete("/remarks/<int:remark_id>/decision")
@operation(
    "Withdraw the decision on a section remark (kept in its history)",
    tag=TAG,
    response=decision_schemas.Decision,
    errors=(401, 403, 404, 409),
)
def undecide_remark(remark_id: int) -> ResponseReturnValue:
    _remark(remark_id)
    return decision_json(decisions.undecide(get_session(), remark_id, actor=api_user()).review)


@bp.get("/remarks/<int:remark_id>/decisions")
@operation(
    "Every decision made on a section remark, the first first (editors)",
    tag=TAG,
    response=decision_schemas.DecisionHistory,
    errors=(401, 403, 404),
)
def remark_decisions(remark_id: int) -> ResponseReturnValue:
    _remark(remark_id)
    steps = decisions.history(get_session(), remark_id, actor=api_user())
    return {
        "feedback_id": remark_id,
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
