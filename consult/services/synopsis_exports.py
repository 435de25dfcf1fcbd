"""The synopsis (Synopse) of two revisions as a file for the council: HTML, PDF and DOCX.

Two columns side by side, the older wording on the left and the newer one on the right;
what went out is struck through (and red), what came in is underlined (and green), so
the marks survive a black-and-white printer; under each changed section the provenance
of its changes (consult.services.synopsis). HTML and PDF come from one template,
``templates/exports/synopsis.html`` (A4 landscape; the PDF through WeasyPrint, see
consult.services.export_files); the DOCX is written with python-docx
(consult.services.synopsis_docx).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult import dates
from consult.errors import Invalid
from consult.services import synopsis_docx
from consult.services.export_files import DOCX, HTML, PDF, ExportFile, file_stem, render_pdf
from consult.services.synopsis import Synopsis, revision_label, status_labels, synopsis_of

#: The synopsis's file formats and their media types.
FORMATS: Final = {"html": HTML, "docx": DOCX, "pdf": PDF}


def to_html(made: Synopsis) -> str:
    """The synopsis as a standalone, printable HTML document (A4 landscape)."""
    return render_template(
        "exports/synopsis.html",
        synopsis=made,
        statuses=status_labels(),
        old_label=revision_label(made.old),
        new_label=revision_label(made.new),
        made_on=dates.moment(made.made_at),
    )


def to_pdf(made: Synopsis) -> bytes:
    """The synopsis as PDF (A4 landscape, page numbers, a running header)."""
    return render_pdf(to_html(made))


def to_docx(made: Synopsis) -> bytes:
    """The synopsis as a Word document (A4 landscape, a two-column table per section)."""
    return synopsis_docx.write(made)


def check_format(file_format: str) -> str:
    """The format, if the synopsis has it. Raises Invalid (code ``invalid_format``)."""
    if file_format not in FORMATS:
        raise Invalid(
            _("Unbekanntes Format „%(f)s“: html, docx oder pdf.", f=str(file_format)[:20]),
            code="invalid_format",
            fields={"format": _("html, docx oder pdf")},
        )
    return file_format


def file_name(made: Synopsis, file_format: str) -> str:
    """ "synopse-fassung-1-zu-2-integrationskonzept-kreis-siegtal.pdf"."""
    stem = file_stem(
        _("Synopse"),
        _("Fassung %(a)s zu %(b)s", a=made.old.number, b=made.new.number),
        made.new.consultation.title,
    )
    return f"{stem}.{file_format}"


def export_synopsis(
    session: Session,
    revision_id: int,
    against_id: object,
    *,
    actor: object,
    file_format: str,
    collapse_unchanged: bool = False,
) -> ExportFile:
    """The synopsis of ``against`` (left) -> ``revision`` (right) as a file of
    ``file_format`` (html, docx, pdf); with ``collapse_unchanged``, unchanged sections
    show only their headings. Raises Invalid (``invalid_format``; ``against`` missing,
    not a number or of another consultation) or NotFound (a revision the actor may not
    read)."""
    check_format(file_format)
    made = synopsis_of(
        session, revision_id, against_id, actor=actor, collapse_unchanged=collapse_unchanged
    )
    render: dict[str, Callable[[Synopsis], bytes]] = {
        "html": lambda m: to_html(m).encode("utf-8"),
        "docx": to_docx,
        "pdf": to_pdf,
    }
    content = render[file_format](made)
    return ExportFile(content, FORMATS[file_format], file_name(made, file_format))
