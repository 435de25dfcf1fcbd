"""The statements annex for the council (Anhang "Stellungnahmen der Kommunen") as DOCX
and PDF, and the PDF copy of one version that its confirmation e-mail carries.

The annex opens with a cover list of every invited municipality (position, date
received, channel; "keine Stellungnahme" for those without), then gives each submitted
statement on a page of its own: municipality, position, signatory, date, body, section
remarks and the list of attachments. The PDF is rendered by WeasyPrint from
``templates/exports/statements_annex.html`` (fonts: DejaVu, Debian's fonts-dejavu-core);
the DOCX is written with python-docx.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt
from flask import render_template
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import (
    Consultation,
    Organisation,
    Revision,
    Round,
    Statement,
    StatementVersion,
)
from consult.services import permissions
from consult.services import statement_access as reach
from consult.services.statement_reads import VersionView, version_views

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def position_labels() -> dict[str, str]:
    """The positions as the council papers name them (in the reader's language)."""
    return {
        "consent": _("Einvernehmen"),
        "consent_with_remarks": _("Einvernehmen mit Anmerkungen"),
        "rejection": _("Ablehnung"),
        "abstention": _("Enthaltung"),
    }


def channel_labels() -> dict[str, str]:
    """How statements come in (in the reader's language)."""
    return {
        "online": _("online"),
        "letter": _("Brief"),
        "email": _("E-Mail"),
        "fax": _("Fax"),
        "in_person": _("persönlich"),
    }


def day(value: datetime) -> str:
    """A date as German papers write it (Europe/Berlin)."""
    return str(format_datetime(value, "dd.MM.yyyy"))


def slug(text: str) -> str:
    """ASCII for file names: "Neunkirchen-Seelscheid" stays, "Hürth" becomes "huerth"."""
    for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.lower().replace(letter, spelled)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "kommune"


@dataclass(frozen=True)
class Entry:
    """One invited municipality in the annex (``view`` None: no statement received)."""

    organisation: Organisation
    view: VersionView | None

    @property
    def version(self) -> StatementVersion | None:
        return self.view.version if self.view is not None else None


@dataclass(frozen=True)
class Annex:
    consultation: Consultation
    round: Round
    revision: Revision
    entries: list[Entry]
    made_at: datetime

    @property
    def statements(self) -> list[Entry]:
        return [e for e in self.entries if e.view is not None]


def can_read(session: Session, actor: object, round_: Round) -> bool:
    """Editors always; the consultation's members once the statements are published."""
    if permissions.can_record_statement(session, actor, round_):
        return True
    return reach.published(session, round_.id) and (
        permissions.role_in(session, actor, round_.consultation_id) is not None
    )


def annex(session: Session, round_id: int, *, actor: object) -> Annex:
    """The annex of a round: every invited municipality with its current version.
    Raises NotFound, Conflict (a round without statements), NotPermitted (before the
    statements are published, for all but the editors)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    permissions.require(
        can_read(session, actor, round_),
        _("Die Stellungnahmen dieser Runde sind noch nicht veröffentlicht."),
    )
    current: dict[int, StatementVersion] = {}
    for version in session.scalars(
        select(StatementVersion)
        .join(Statement, Statement.id == StatementVersion.statement_id)
        .where(Statement.round_id == round_.id, StatementVersion.number == Statement.version_count)
    ):
        current[version.organisation_id] = version
    views = version_views(session, round_, list(current.values()))
    entries = [
        Entry(o, views[current[o.id].id] if o.id in current else None)
        for o in reach.invited_municipalities(session, round_)
    ]
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    return Annex(consultation, round_, round_.revision, entries, utcnow())


def _html(annex_: Annex, *, cover: bool) -> str:
    return render_template(
        "exports/statements_annex.html",
        annex=annex_,
        cover=cover,
        positions=position_labels(),
        channels=channel_labels(),
        day=day,
    )


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def to_pdf(annex_: Annex) -> bytes:
    """The annex as PDF (A4): the cover list, then one statement per page."""
    return _pdf(_html(annex_, cover=True))


@dataclass(frozen=True)
class Copy:
    file_name: str
    content: bytes


def version_pdf(session: Session, version: StatementVersion) -> Copy:
    """One version as PDF (the confirmation's copy). Raises nothing (no permission check:
    for the services that e-mail it to whom it concerns)."""
    statement = session.get(Statement, version.statement_id)
    assert statement is not None
    round_ = reach.round_of(session, statement)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    view = version_views(session, round_, [version])[version.id]
    one = Annex(
        consultation, round_, round_.revision, [Entry(statement.organisation, view)], utcnow()
    )
    name = f"stellungnahme-{slug(statement.organisation.name)}-fassung-{version.number}.pdf"
    return Copy(name, _pdf(_html(one, cover=False)))


# --- DOCX -------------------------------------------------------------------------------


def to_docx(annex_: Annex) -> bytes:
    """The annex as a Word document (A4): the cover list, then one statement per page."""
    positions, channels = position_labels(), channel_labels()
    document = Document()
    page = document.sections[0]
    page.page_width, page.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(2.0))
    document.styles["Normal"].font.size = Pt(10.5)
    document.add_heading(_("Stellungnahmen der Kommunen"), level=1)
    document.add_paragraph(
        _(
            "%(consultation)s – %(round)s (Fassung %(number)s)",
            consultation=annex_.consultation.title,
            round=annex_.round.title,
            number=annex_.revision.number,
        )
    )
    grid = document.add_table(rows=1, cols=4)
    grid.style = "Table Grid"
    for cell, text in zip(
        grid.rows[0].cells,
        (_("Kommune"), _("Haltung"), _("Eingang"), _("Eingangsweg")),
        strict=True,
    ):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for entry in annex_.entries:
        version = entry.version
        values = (
            entry.organisation.name,
            positions.get(version.position, version.position)
            if version
            else _("keine Stellungnahme"),
            day(version.received_at) if version else "",
            channels.get(version.channel, version.channel) if version else "",
        )
        for cell, text in zip(grid.add_row().cells, values, strict=True):
            cell.text = text
    for entry in annex_.statements:
        _docx_statement(document, entry, positions, channels)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_statement(
    doc: Any, entry: Entry, positions: dict[str, str], channels: dict[str, str]
) -> None:
    view = entry.view
    assert view is not None
    version = view.version
    heading = doc.add_heading(_("Stellungnahme %(name)s", name=entry.organisation.name), level=2)
    heading.paragraph_format.page_break_before = True
    lines = [
        (_("Haltung"), positions.get(version.position, version.position)),
        (
            _("Unterzeichnet"),
            ", ".join(p for p in (version.signatory_name, version.signatory_function) if p),
        ),
        (_("Eingegangen am"), day(version.received_at)),
        (_("Eingangsweg"), channels.get(version.channel, version.channel)),
        (_("Fassung"), str(version.number)),
    ]
    if version.receipt_number:
        lines.append((_("Eingangsnummer"), version.receipt_number))
    if version.recorded_by_id is not None:
        lines.append((_("Erfasst"), _("von der Redaktion nach Eingang auf Papier")))
    for label, value in lines:
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    for part in version.body.split("\n\n"):
        paragraph = doc.add_paragraph()
        for n, line in enumerate(part.split("\n")):
            run = paragraph.add_run(line)
            if n:
                run.add_break(WD_BREAK.LINE)
    if view.remarks:
        doc.add_heading(_("Anmerkungen zu einzelnen Abschnitten"), level=3)
        for remark in view.remarks:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{remark.section_key} {remark.section_title}".strip()).bold = True
            if remark.quote:
                paragraph.add_run(f" – „{remark.quote}“")
            paragraph.add_run(f": {remark.body}")
    if view.attachments:
        doc.add_heading(_("Anlagen"), level=3)
        for attachment in view.attachments:
            doc.add_paragraph(
                _(
                    "%(name)s (PDF, %(pages)s Seiten, %(size)s KB)",
                    name=attachment.file_name,
                    pages=attachment.page_count,
                    size=max(1, round(attachment.size / 1024)),
                ),
                style="List Bullet",
            )
