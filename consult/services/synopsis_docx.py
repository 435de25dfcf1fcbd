"""The synopsis as a Word document (python-docx): A4 landscape, a title, a legend, then per
section its heading and a two-column table (older wording | newer wording) whose runs are
struck through (deleted, red) or underlined (inserted, green), and the provenance of the
section's changes under it. Unchanged sections collapsed: the heading and "unverändert".
"""

from __future__ import annotations

import io
from typing import Any, Final

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt, RGBColor
from flask_babel import gettext as _

from consult import dates
from consult.services.synopsis import (
    Piece,
    Row,
    Synopsis,
    revision_label,
    status_labels,
)

DELETED_COLOUR: Final = RGBColor(0xA4, 0x00, 0x00)
INSERTED_COLOUR: Final = RGBColor(0x0A, 0x5A, 0x1C)
MUTED_COLOUR: Final = RGBColor(0x55, 0x55, 0x55)
#: The width of a column: (29.7 cm - 2 x 1.8 cm margins) / 2.
COLUMN: Final = Cm(13.05)


def add_text(paragraph: Any, text: str, **style: Any) -> list[Any]:
    """Runs of ``text`` in the paragraph, line ends as line breaks; ``style`` sets the
    runs' font attributes (strike, underline, bold, ...)."""
    runs = []
    for number, line in enumerate(text.split("\n")):
        if number:
            paragraph.add_run().add_break(WD_BREAK.LINE)
        if not line:
            continue
        run = paragraph.add_run(line)
        for name, value in style.items():
            if name == "colour":
                run.font.color.rgb = value
            else:
                setattr(run.font, name, value)
        runs.append(run)
    return runs


def add_pieces(paragraph: Any, pieces: list[Piece]) -> None:
    """The runs of one column: deletions struck through, insertions underlined, each
    change followed by the numbers of its causes (superscript)."""
    for piece in pieces:
        if piece.is_deleted:
            add_text(paragraph, piece.text, strike=True, colour=DELETED_COLOUR)
        elif piece.is_inserted:
            add_text(paragraph, piece.text, underline=True, colour=INSERTED_COLOUR)
        else:
            add_text(paragraph, piece.text)
        if piece.refs:
            ref = paragraph.add_run(",".join(str(n) for n in piece.refs))
            ref.font.superscript = True
            ref.font.bold = True


def _heading(document: Any, row: Row, statuses: dict[str, str]) -> None:
    heading = document.add_heading(level=min(row.level, 4))
    if row.key:
        heading.add_run(f"{row.key} ")
    add_pieces(heading, row.title)
    note = statuses.get(row.status, row.status)
    if row.section.change.moved and row.status == "changed":
        note = f"{note}, {statuses['moved']}"
    if row.old_key:
        note = f"{_('vorher %(k)s', k=row.old_key)}; {note}"
    add_text(heading, f"  ({note})", italic=True, size=Pt(9), colour=MUTED_COLOUR, bold=False)


def _cell(cell: Any, pieces: list[Piece] | None, absent: str) -> None:
    cell.width = COLUMN
    paragraph = cell.paragraphs[0]
    if pieces is None:
        add_text(paragraph, absent, italic=True, colour=MUTED_COLOUR)
    else:
        add_pieces(paragraph, pieces)


def _section(document: Any, row: Row, labels: tuple[str, str]) -> None:
    grid = document.add_table(rows=2, cols=2)
    grid.style = "Table Grid"
    grid.autofit = False
    for cell, label in zip(grid.rows[0].cells, labels, strict=True):
        cell.width = COLUMN
        add_text(cell.paragraphs[0], label, bold=True, size=Pt(8.5))
    old, new = grid.rows[1].cells
    _cell(old, row.old, _("(nicht vorhanden)"))
    _cell(new, row.new, _("(entfernt)"))
    if row.causes:
        title = document.add_paragraph()
        add_text(title, _("Warum geändert?"), bold=True, size=Pt(9))
        title.paragraph_format.space_before = Pt(4)
        for number, cause in enumerate(row.causes, start=1):
            line = document.add_paragraph()
            line.paragraph_format.left_indent = Cm(0.6)
            add_text(line, f"{number}  {cause}", size=Pt(9))


def write(made: Synopsis) -> bytes:
    """The synopsis as DOCX bytes (see the module's docstring)."""
    statuses = status_labels()
    old_label, new_label = revision_label(made.old), revision_label(made.new)
    document = Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(1.8))
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = made.title
    document.add_heading(made.title, level=1)
    document.add_paragraph().add_run(made.new.consultation.title).bold = True
    document.add_paragraph(
        _("Links: %(old)s (bisher). Rechts: %(new)s (neu).", old=old_label, new=new_label)
    )
    made_on = _("Erstellt am %(when)s.", when=dates.moment(made.made_at))
    if made.collapse_unchanged:
        made_on += " " + _("Unveränderte Abschnitte sind nur mit ihrer Überschrift aufgeführt.")
    add_text(document.add_paragraph(), made_on, size=Pt(8.5), colour=MUTED_COLOUR)
    legend = document.add_paragraph()
    add_text(legend, _("Legende:") + " ", size=Pt(8.5))
    add_text(legend, _("gestrichen"), strike=True, colour=DELETED_COLOUR, size=Pt(8.5))
    add_text(legend, f" ({_('durchgestrichen')}), ", size=Pt(8.5))
    add_text(legend, _("eingefügt"), underline=True, colour=INSERTED_COLOUR, size=Pt(8.5))
    add_text(legend, f" ({_('unterstrichen')})", size=Pt(8.5))
    if made.has_causes:
        add_text(legend, ", ", size=Pt(8.5))
        ref = legend.add_run("1")
        ref.font.superscript = True
        note = " " + _("Verweis auf den Grund der Änderung unter dem Abschnitt")
        add_text(legend, note, size=Pt(8.5))
    add_text(legend, ".", size=Pt(8.5))
    labels = (f"{old_label} ({_('bisher')})", f"{new_label} ({_('neu')})")
    for row in made.rows:
        _heading(document, row, statuses)
        if not row.collapsed:
            _section(document, row, labels)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
