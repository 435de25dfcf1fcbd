"""Turning uploaded Word files (DOCX) into the Markdown that the draft import reads."""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from consult.errors import Invalid, TooLarge

if TYPE_CHECKING:
    from docx.table import Table

#: Largest DOCX accepted (bytes).
MAX_DOCX = 10 * 1024 * 1024
#: Largest total size of the files packed in a DOCX (guards against zip bombs).
MAX_UNPACKED = 200 * 1024 * 1024

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título)\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"list|aufzählung|liste", re.IGNORECASE)
_NUMBERED_STYLE = re.compile(r"number|nummer", re.IGNORECASE)


def _heading_level(style_name: str) -> int | None:
    match = _HEADING_STYLE.match(style_name.strip())
    if match:
        return max(1, min(6, int(match.group(1))))
    if style_name.strip().lower() in {"title", "titel"}:
        return 1
    return None


def _table_rows(table: Table) -> list[str]:
    """The non-empty rows of a table as text, merged cells once, nested tables flattened."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []
        for cell in row.cells:
            if any(cell._tc is other for other in seen):  # a merged cell repeats
                continue
            seen.append(cell._tc)
            nested = [line for inner in cell.tables for line in _table_rows(inner)]
            text = " ".join(" ".join([cell.text, *nested]).split())
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def docx_to_markdown(data: bytes) -> str:
    """Markdown of a DOCX: heading styles become "#" headings, list styles "- " items,
    tables one paragraph with a line per row.

    Raises TooLarge above MAX_DOCX (or MAX_UNPACKED unpacked) and Invalid when the
    bytes are not a DOCX.
    """
    if len(data) > MAX_DOCX:
        raise TooLarge(
            _("Die Datei ist zu groß (höchstens %(limit)d MB).", limit=MAX_DOCX // (1024 * 1024))
        )
    not_docx = Invalid(
        _("Die Datei ist kein Word-Dokument im DOCX-Format."),
        code="not_docx",
        fields={"file": _("Bitte eine .docx-Datei wählen.")},
    )
    if not data.startswith(b"PK\x03\x04"):
        raise not_docx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise not_docx
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise TooLarge(
                _(
                    "Die Datei ist entpackt zu groß (höchstens %(limit)d MB).",
                    limit=MAX_UNPACKED // (1024 * 1024),
                )
            )
        import docx

        document = docx.Document(io.BytesIO(data))
    except TooLarge:
        raise
    except Exception as exc:  # zipfile and python-docx raise assorted errors on damaged files
        raise not_docx from exc
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    number = 0
    for block in document.iter_inner_content():
        if not isinstance(block, Paragraph):
            # A table: one line per row, cells separated by " | ", as one paragraph.
            rows = _table_rows(block)
            if rows:
                number = 0
                if lines and lines[-1]:
                    lines.append("")
                lines.extend([*rows, ""])
            continue
        paragraph = block
        text = " ".join(paragraph.text.replace("\t", " ").split("\n")).strip()
        style = paragraph.style.name if paragraph.style is not None else ""
        level = _heading_level(style or "")
        if not text:
            continue
        if level is not None:
            lines.extend(["", "#" * level + " " + " ".join(text.split()), ""])
            number = 0
        elif style and _LIST_STYLE.search(style):
            if _NUMBERED_STYLE.search(style):
                number += 1
                lines.append(f"{number}. {text}")
            else:
                lines.append(f"- {text}")
        else:
            number = 0
            if lines and lines[-1]:
                lines.append("")
            lines.extend([text, ""])
    markdown = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
