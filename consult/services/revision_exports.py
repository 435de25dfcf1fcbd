"""A revision (Fassung) as a file for the council and for editing elsewhere: DOCX (Word),
PDF (print) and Markdown (the app's own import format).

- DOCX (python-docx, :mod:`consult.services.revision_docx`): a title page (consultation,
  "Fassung N vom 24.12.2026" or "Entwurf", status), headings numbered by the section keys,
  the bodies' paragraphs and lists, German as the document language.
- PDF (WeasyPrint, ``templates/exports/revision.html`` on ``exports/_document.html``): A4,
  title page, table of contents with page numbers, running header with the consultation
  and the revision, "Seite X von Y", German hyphenation.
- Markdown (:mod:`consult.domain.outline_markdown`): "# 1 Titel" headings, so that
  importing the file gives the same sections.

Whoever may read the revision may export it (access.get_revision).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult.domain.outline_markdown import to_markdown
from consult.errors import Invalid
from consult.services import access, export_files, revision_docx
from consult.services.export_files import ExportFile
from consult.services.revision_document import RevisionDocument, document

#: The formats and their MIME types.
FORMATS: dict[str, str] = {
    "docx": export_files.DOCX,
    "pdf": export_files.PDF,
    "md": export_files.MARKDOWN,
}


def check_format(file_format: object) -> str:
    """The format if it is one of FORMATS. Raises Invalid (code invalid_format)."""
    if isinstance(file_format, str) and file_format in FORMATS:
        return file_format
    shown = str(file_format)[:20]
    raise Invalid(
        _("Unbekanntes Format „%(f)s“: möglich sind docx, pdf und md.", f=shown),
        code="invalid_format",
        fields={"format": _("docx, pdf oder md")},
    )


def to_html(doc: RevisionDocument) -> str:
    """The printable HTML of the revision (what the PDF is rendered from)."""
    return render_template("exports/revision.html", doc=doc)


def to_pdf(doc: RevisionDocument) -> bytes:
    """The revision as PDF (A4, title page, contents, numbered headings)."""
    return export_files.render_pdf(to_html(doc))


def export_revision(
    session: Session, revision_id: int, *, actor: object, file_format: str
) -> ExportFile:
    """The revision as a file: ``file_format`` "docx", "pdf" or "md". Raises Invalid
    (code invalid_format, before anything is loaded) and NotFound (no such revision, or one
    the actor may not read)."""
    chosen = check_format(file_format)
    revision = access.get_revision(session, revision_id, actor=actor)
    doc = document(session, revision)
    if chosen == "docx":
        content = revision_docx.to_docx(doc)
    elif chosen == "pdf":
        content = to_pdf(doc)
    else:
        content = to_markdown(doc.doc_sections).encode("utf-8")
    stem = export_files.file_stem(doc.consultation_title, doc.revision_label)
    return ExportFile(content=content, mimetype=FORMATS[chosen], filename=f"{stem}.{chosen}")
