"""The response table as files for the committee: CSV (German Excel), XLSX, DOCX and PDF
(A4 landscape, from ``templates/exports/response_table.html`` through WeasyPrint).

CSV is UTF-8 with a byte order mark and semicolons, which German Excel opens as it should.
Both spreadsheet formats are safe against formula injection: a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is neutralised (CSV: a leading
apostrophe, as OWASP recommends; XLSX: written as text, never as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt
from flask import render_template
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from consult import dates
from consult.db import utcnow
from consult.services.export_files import PDF, render_pdf
from consult.services.responses import ResponseRow, ResponseTable

#: What a spreadsheet would take as the start of a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def decision_labels() -> dict[str, str]:
    """The decisions as the table names them (in the reader's language)."""
    return {
        "considered": _("berücksichtigt"),
        "partly_considered": _("teilweise berücksichtigt"),
        "not_considered": _("nicht berücksichtigt"),
        "noted": _("zur Kenntnis genommen"),
        "accept": _("übernommen"),
        "reject": _("nicht übernommen"),
        "accept_modified": _("geändert übernommen"),
    }


def headers(table: ResponseTable) -> list[str]:
    """The column headings (without the author when names are left out)."""
    columns = [_("Nr."), _("Abschnitt"), _("Organisation")]
    if table.with_names:
        columns.append(_("Verfasst von"))
    columns += [_("Art"), _("Textstelle"), _("Beitrag"), _("Entscheidung"), _("Abwägung")]
    return columns


def cells(table: ResponseTable, row: ResponseRow) -> list[str]:
    """One row's cells, as text, in the order of :func:`headers`."""
    labels = decision_labels()
    section = f"{row.section_key} {row.section_title}".strip()
    kind = {
        "suggestion": _("Änderungsvorschlag"),
        "remark": _("Anmerkung aus Stellungnahme"),
    }.get(row.kind, _("Kommentar"))
    text = row.text
    if row.replacement is not None:
        proposal = _("Vorgeschlagen: „%(text)s“", text=row.replacement)
        text = f"{proposal}\n{row.text}".strip() if row.text else proposal
    decision = labels.get(row.decision or "", _("offen"))
    response = row.response
    if row.accepted_text is not None:
        response = f"{_('Übernommen als: „%(text)s“', text=row.accepted_text)}\n{response}"
    values = [str(row.number), section, row.organisation or ""]
    if table.with_names:
        values.append(row.author or "")
    values += [kind, row.quote or "", text, decision, response.strip()]
    return values


def neutralised(value: str) -> str:
    """A cell's text that no spreadsheet runs as a formula (CSV)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(table: ResponseTable) -> bytes:
    """The table as CSV for German Excel: UTF-8 with BOM, semicolons, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(headers(table))
    for row in table.rows:
        writer.writerow([neutralised(value) for value in cells(table, row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


#: Column widths (characters) of the XLSX, by heading position.
_WIDTHS: Final = {0: 6, 1: 28, 2: 26, 3: 22}
_WIDE: Final = 60


def to_xlsx(table: ResponseTable) -> bytes:
    """The table as an Excel workbook: header row frozen, filters on, widths set, text
    wrapped; every cell a text cell (no formulas)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Abwägungstabelle")[:31]
    heading = headers(table)
    sheet.append(heading)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in table.rows:
        values = cells(table, row)
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it begins with "="
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index in range(len(heading)):
        width = _WIDTHS.get(index, _WIDE if index >= len(heading) - 4 else 16)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(heading))}{max(sheet.max_row, 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_docx(table: ResponseTable, *, title: str | None = None) -> bytes:
    """The table as a Word document: landscape A4, a heading, one table."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.add_heading(title or _("Abwägungstabelle"), level=1)
    document.add_paragraph(
        _(
            "%(consultation)s – %(round)s",
            consultation=table.consultation.title,
            round=table.round.title,
        )
    )
    heading = headers(table)
    grid = document.add_table(rows=1, cols=len(heading))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, heading, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    for row in table.rows:
        _add_row(grid, cells(table, row))
    for paragraph in (p for r in grid.rows for c in r.cells for p in c.paragraphs):
        for run in paragraph.runs:
            run.font.size = Pt(8.5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_row(grid: object, values: Sequence[str]) -> None:
    row = grid.add_row()  # type: ignore[attr-defined]
    for cell, text in zip(row.cells, values, strict=True):
        cell.text = text


def to_pdf(table: ResponseTable) -> bytes:
    """The table as PDF: A4 landscape, the header row repeated on every page, numbered
    rows, page numbers and a running header (templates/exports/response_table.html)."""
    html = render_template(
        "exports/response_table.html",
        table=table,
        headers=headers(table),
        rows=[cells(table, row) for row in table.rows],
        made_on=dates.moment(utcnow()),
    )
    return render_pdf(html)


#: The file formats of the table: media type and how it is made.
MEDIA_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": PDF,
}


def export(table: ResponseTable, file_format: str) -> tuple[bytes, str, str]:
    """The table as a file of ``file_format`` (a key of :data:`MEDIA_TYPES`): its bytes,
    media type and file name. Raises KeyError for another format (callers offer only
    these)."""
    render = {"csv": to_csv, "xlsx": to_xlsx, "docx": to_docx, "pdf": to_pdf}[file_format]
    name = f"abwaegungstabelle-runde-{table.round.id}.{file_format}"
    return render(table), MEDIA_TYPES[file_format], name
