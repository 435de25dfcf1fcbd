"""Turning uploaded Word files (DOCX) into the Markdown that the draft import reads."""

from __future__ import annotations

import io
import re
import zipfile

from consult.errors import Invalid, TooLarge

#: Largest DOCX accepted (bytes).
MAX_DOCX = 10 * 1024 * 1024

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


def docx_to_markdown(data: bytes) -> str:
    """Markdown of a DOCX: heading styles become "#" headings, list styles "- " items.

    Raises TooLarge above MAX_DOCX and Invalid when the bytes are not a DOCX.
    """
    if len(data) > MAX_DOCX:
        raise TooLarge(f"Die Datei ist zu groß (höchstens {MAX_DOCX // (1024 * 1024)} MB).")
    not_docx = Invalid(
        "Die Datei ist kein Word-Dokument im DOCX-Format.",
        code="not_docx",
        fields={"file": "Bitte eine .docx-Datei wählen."},
    )
    if not data.startswith(b"PK\x03\x04"):
        raise not_docx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise not_docx
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile and python-docx raise assorted errors on damaged files
        raise not_docx from exc

    lines: list[str] = []
    number = 0
    for paragraph in document.paragraphs:
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
