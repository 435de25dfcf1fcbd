"""The procedure report (Verfahrensbericht) of a round (API.md, Exports): generated from
the records until an editor saves their own text; deleting it returns to the generated
one. Editors of the consultation only. The PDF and DOCX are downloads of the web pages
(consult.web.report), not of the API."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.registry import operation
from consult.db import get_session
from consult.schemas import report as schemas
from consult.services import procedure_report
from consult.services.procedure_report import Report

TAG = "exports"


def report_json(found: Report) -> dict[str, Any]:
    editor = found.edited_by
    return {
        "body": found.body,
        "edited": found.edited,
        "generated": found.generated,
        "edited_by": {"id": editor.id, "name": editor.name} if editor is not None else None,
        "edited_at": found.edited_at.isoformat() if found.edited_at is not None else None,
        "version": found.version,
    }


@bp.get("/rounds/<int:round_id>/report")
@operation(
    "The round's procedure report (Verfahrensbericht): the editors' text, or the one "
    "generated from the records",
    tag=TAG,
    response=schemas.Report,
    errors=(401, 403, 404),
    description="`edited` false: `body` is the generated text, which the same records "
    "always give byte for byte. Editors of the consultation only (others: 403, or 404 "
    "when they may not see the round).",
)
def get_report(round_id: int) -> ResponseReturnValue:
    return report_json(procedure_report.report(get_session(), round_id, actor=api_user()))


@bp.put("/rounds/<int:round_id>/report")
@operation(
    "Save the editors' own text of the procedure report",
    tag=TAG,
    body=schemas.ReportInput,
    response=schemas.Report,
    errors=(400, 401, 403, 404, 409, 413, 422),
    description="Replaces the generated text (and an earlier saved one) until `DELETE`. "
    "Empty, too long (200 000 characters) or with control characters: 422, nothing saved. "
    "With `base_version`: saved only if nobody saved since (else 409 `stale_version`).",
)
def put_report(round_id: int, body: schemas.ReportInput) -> ResponseReturnValue:
    found = procedure_report.save_report(
        get_session(), round_id, actor=api_user(), body=body.body, base_version=body.base_version
    )
    return report_json(found)


@bp.delete("/rounds/<int:round_id>/report")
@operation(
    "Return to the generated procedure report (deletes the editors' text)",
    tag=TAG,
    response=schemas.Report,
    errors=(401, 403, 404),
)
def delete_report(round_id: int) -> ResponseReturnValue:
    return report_json(procedure_report.reset_report(get_session(), round_id, actor=api_user()))
