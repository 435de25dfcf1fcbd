"""What an export hands over: a file's bytes with its type and a safe name, and the one way
documents become PDF (WeasyPrint renders HTML + CSS; the fonts come from Debian, see the
Makefile's pdf-libs).

Every export service (revision, synopsis, response table, statements annex, procedure
report, committee package) returns an :class:`ExportFile`; views send it as a download.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
MARKDOWN = "text/markdown; charset=utf-8"
HTML = "text/html; charset=utf-8"
CSV = "text/csv; charset=utf-8"
ZIP = "application/zip"


@dataclass(frozen=True)
class ExportFile:
    """A file to download: its bytes, MIME type and file name (ASCII-safe, no path)."""

    content: bytes
    mimetype: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha512(self) -> str:
        return hashlib.sha512(self.content).hexdigest()


def file_stem(*parts: str) -> str:
    """A file name stem from words: "Fassung 2 – Integrationskonzept" ->
    "fassung-2-integrationskonzept" (umlauts transcribed, at most 80 characters)."""
    text = "-".join(p for p in parts if p)
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain).replace(umlaut.upper(), plain.capitalize())
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return stem[:80].rstrip("-") or "export"


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML document (its CSS may use @page rules for page numbers and
    running headers). Raises nothing the caller can act on (WeasyPrint's own errors are
    programming errors)."""
    from weasyprint import HTML as WeasyHTML

    pdf: bytes = WeasyHTML(string=html).write_pdf()
    return pdf
