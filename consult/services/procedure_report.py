"""A round's procedure report (Verfahrensbericht): generated from the records until an
editor saves their own text, which deleting returns to the generated one; as PDF and DOCX.

The generated text (consult.domain.procedure_text, from services.report_facts) is
reproducible: the same records give the same text, byte for byte. The editor's text is
a :class:`~consult.models.RoundReport` (at most one per round); it stays as saved when
the records change later, while the generated text follows them (the page shows both).
Only the consultation's editors (and admins) read, edit and export the report.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain import textrules
from consult.domain.procedure_text import write_report
from consult.errors import Conflict, Invalid
from consult.models import Consultation, Round, RoundReport, User
from consult.services import access, permissions
from consult.services.export_files import DOCX, PDF, ExportFile, file_stem, render_pdf
from consult.services.locks import lock
from consult.services.report_facts import report_facts
from consult.services.text_fields import checked

FileFormat = Literal["pdf", "docx"]
FILE_FORMATS: tuple[FileFormat, ...] = ("pdf", "docx")
#: The version of a report that no editor has saved a text of (the generated text).
GENERATED_VERSION = "generated"


@dataclass(frozen=True)
class Report:
    """The report of a round as it goes to the council: the editor's text if saved
    (``edited``), else the generated one; the generated text always beside it."""

    consultation: Consultation
    round: Round
    body: str
    generated: str
    edited: bool
    edited_by: User | None = None
    edited_at: datetime | None = None
    #: What a save names as the text it started from (``base_version``).
    version: str = GENERATED_VERSION

    @property
    def paragraphs(self) -> list[list[str]]:
        """The body in paragraphs (blank lines between them), each as its lines."""
        return [part.split("\n") for part in self.body.split("\n\n") if part.strip()]


def _editable_round(session: Session, round_id: int, actor: object) -> Round:
    """The round, for an editor of its consultation. Raises NotFound (unknown, or not
    visible to the actor), NotPermitted (visible, but the actor is no editor)."""
    round_ = access.get_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_edit_consultation(session, actor, round_.revision.consultation),
        _("Den Verfahrensbericht schreibt und exportiert die Redaktion."),
    )
    return round_


def generated_text(session: Session, round_: Round) -> str:
    """The report's text as the records tell it. No permission check. Raises nothing."""
    return write_report(report_facts(session, round_))


def _version(saved: RoundReport | None) -> str:
    """The saved text's version: a digest of who saved what when (or the generated one)."""
    if saved is None:
        return GENERATED_VERSION
    stamp = saved.edited_at.isoformat() if saved.edited_at is not None else ""
    content = f"{stamp}|{saved.edited_by_id}|{saved.body}".encode()
    return hashlib.sha256(content).hexdigest()[:20]


def _report(session: Session, round_: Round) -> Report:
    generated = generated_text(session, round_)
    consultation = round_.revision.consultation
    saved = session.get(RoundReport, round_.id)
    if saved is None:
        return Report(consultation, round_, generated, generated, edited=False)
    editor = session.get(User, saved.edited_by_id) if saved.edited_by_id is not None else None
    return Report(
        consultation,
        round_,
        saved.body,
        generated,
        edited=True,
        edited_by=editor,
        edited_at=saved.edited_at,
        version=_version(saved),
    )


def report(session: Session, round_id: int, *, actor: object) -> Report:
    """The round's report (the editor's text, or the generated one). Raises NotFound,
    NotPermitted (not an editor of the consultation)."""
    return _report(session, _editable_round(session, round_id, actor))


def save_report(
    session: Session,
    round_id: int,
    *,
    actor: object,
    body: object,
    base_version: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Save the editor's own text of the report (replacing an earlier one). ``base_version``
    names the version the edit started from (:attr:`Report.version`); if another save came
    in meanwhile, Conflict ``stale_version`` carries the current text and version, and
    nothing is saved (None: no check). Raises NotFound, NotPermitted, Conflict, Invalid
    ``invalid_body`` (not a text, empty, too long, control characters)."""
    round_ = _editable_round(session, round_id, actor)
    text = checked(body, textrules.REPORT, "body", _("Der Bericht"))
    author = permissions.require_user(actor)
    lock(session, round_)  # two saves at once: the second sees the first one's text
    saved = session.get(RoundReport, round_.id, populate_existing=True)
    if base_version is not None and base_version != _version(saved):
        current = saved.body if saved is not None else generated_text(session, round_)
        raise Conflict(
            _(
                "Der Verfahrensbericht wurde inzwischen von jemand anderem gespeichert. "
                "Vergleichen Sie Ihren Text mit dem aktuellen und speichern Sie erneut."
            ),
            code="stale_version",
            details={"current": {"version": _version(saved), "body": current}},
        )
    if saved is None:
        saved = RoundReport(round_id=round_.id)
        session.add(saved)
    saved.body = text
    saved.edited_by_id = author.id
    saved.edited_at = now or utcnow()
    session.flush()
    return _report(session, round_)


def reset_report(session: Session, round_id: int, *, actor: object) -> Report:
    """Delete the editor's text: the report is the generated one again (nothing to do
    when there is none). Raises NotFound, NotPermitted."""
    round_ = _editable_round(session, round_id, actor)
    lock(session, round_)
    saved = session.get(RoundReport, round_.id)
    if saved is not None:
        session.delete(saved)
        session.flush()
    return _report(session, round_)


def report_file(session: Session, round_id: int, *, actor: object, file_format: str) -> ExportFile:
    """The report as PDF or DOCX (the text that :func:`report` gives). Raises NotFound,
    NotPermitted, Invalid ``invalid_format``."""
    if file_format not in FILE_FORMATS:
        raise Invalid(
            _("Den Verfahrensbericht gibt es als PDF und als DOCX."),
            code="invalid_format",
            fields={"format": _("pdf oder docx")},
        )
    found = report(session, round_id, actor=actor)
    stem = file_stem("verfahrensbericht", found.round.title)
    if file_format == "pdf":
        html = render_template("exports/procedure_report.html", report=found)
        return ExportFile(render_pdf(html), PDF, f"{stem}.pdf")
    return ExportFile(to_docx(found), DOCX, f"{stem}.docx")


def to_docx(found: Report) -> bytes:
    """The report as a Word document (A4): its title, the consultation and round, then
    the text, paragraph by paragraph (line breaks kept). Raises nothing."""
    document = Document()
    page = document.sections[0]
    page.page_width, page.page_height = Cm(21.0), Cm(29.7)
    page.left_margin, page.right_margin = Cm(2.2), Cm(2.0)
    page.top_margin, page.bottom_margin = Cm(2.4), Cm(2.2)
    document.styles["Normal"].font.size = Pt(11)
    document.core_properties.title = _("Verfahrensbericht") + " – " + found.round.title
    document.core_properties.language = "de-DE"
    document.add_heading(_("Verfahrensbericht"), level=1)
    meta = document.add_paragraph()
    meta.add_run(found.consultation.title).bold = True
    meta.add_run().add_break(WD_BREAK.LINE)
    meta.add_run(
        _(
            "Beteiligungsrunde „%(round)s“ (Fassung %(number)s)",
            round=found.round.title,
            number=found.round.revision.number,
        )
    )
    for lines in found.paragraphs:
        paragraph = document.add_paragraph()
        for n, line in enumerate(lines):
            run = paragraph.add_run(line)
            if n == 0 and line.endswith(":") and len(lines) > 1:
                run.bold = True
            if n < len(lines) - 1:
                run.add_break(WD_BREAK.LINE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
