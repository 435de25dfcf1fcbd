"""Turning uploaded Word files (DOCX) into the Markdown that the draft import reads.

The work is bounded before it begins and then linear in the document. The file's size,
its parts, the markup of its XML (which parsing holds in memory) and its paragraphs are
counted first, each with a refusal that names the limit. Then the body is read once:
each paragraph's style comes from a table built once from the document's styles (what
python-docx's ``paragraph.style`` gives, without its scan of every style for every
paragraph), and each table is read row by row (python-docx finds the cell a vertically
merged cell continues by walking back up its column, row by row).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING

from flask_babel import format_decimal
from flask_babel import gettext as _

from consult.domain.outline import MAX_PARAGRAPHS
from consult.errors import Invalid, TooLarge

if TYPE_CHECKING:
    from docx.oxml.xmlchemy import BaseOxmlElement

#: Largest DOCX accepted (bytes).
MAX_DOCX = 10 * 1024 * 1024
#: Largest total size of the files packed in a DOCX (guards against zip bombs).
MAX_UNPACKED = 200 * 1024 * 1024
#: Most files packed in a DOCX (Word writes a dozen or two, plus one per image): the zip's
#: directory is read into memory, and each file is looked at before parsing.
MAX_PARTS = 3000
#: Most tags (each "<") in the XML packed in a DOCX. Parsing holds every element in memory,
#: about 250 bytes each: 2,000,000 take about 0.8 s and 500 MB, twice the tags of 20,000
#: paragraphs with Word's usual formatting (runs with fonts and sizes).
MAX_XML_TAGS = 2_000_000
#: Most characters of text taken from a DOCX: as many as the Markdown import takes.
MAX_TEXT = 2_000_000

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título)\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"list|aufzählung|liste", re.IGNORECASE)
_NUMBERED_STYLE = re.compile(r"number|nummer", re.IGNORECASE)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC = _W + "p", _W + "tbl", _W + "tr", _W + "tc"
_R, _HYPERLINK, _T, _BR = _W + "r", _W + "hyperlink", _W + "t", _W + "br"
_PPR, _PSTYLE, _TCPR, _TRPR = _W + "pPr", _W + "pStyle", _W + "tcPr", _W + "trPr"
_GRID_SPAN, _GRID_BEFORE, _V_MERGE = _W + "gridSpan", _W + "gridBefore", _W + "vMerge"
_STYLE, _NAME = _W + "style", _W + "name"
_VAL, _TYPE, _STYLE_ID, _DEFAULT = _W + "val", _W + "type", _W + "styleId", _W + "default"
#: What python-docx's ``Run.text`` makes of the run's other children (a <w:br> is "\n"
#: as a line break, "" as a page or column break).
_RUN_CHARACTERS = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}

#: How an XML parser could recognise a file: the start of EBCDIC "<?xm" (refused), and
#: the encodings in which every "<" is one byte 0x3C (and so counted).
_EBCDIC = b"\x4c\x6f\xa7\x94"
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?\sencoding\s*=\s*[\"']([^\"']*)[\"']")
_COUNTABLE_ENCODING = re.compile(
    rb"utf-?(?:8|16|32)(?:le|be)?|ucs-?[24]|(?:us-)?ascii|iso-?8859-\d{1,2}|latin-?1"
    rb"|(?:windows|cp)-?125\d",
    re.IGNORECASE,
)


def _heading_level(style_name: str) -> int | None:
    match = _HEADING_STYLE.match(style_name.strip())
    if match:
        return max(1, min(6, int(match.group(1))))
    if style_name.strip().lower() in {"title", "titel"}:
        return 1
    return None


def _number(element: BaseOxmlElement | None, default: int) -> int:
    """The integer in an element's w:val (a missing or broken one counts as ``default``)."""
    if element is None:
        return default
    try:
        return int(element.get(_VAL, default))
    except ValueError:
        return default


def _not_docx() -> Invalid:
    return Invalid(
        _("Die Datei ist kein Word-Dokument im DOCX-Format."),
        code="not_docx",
        fields={"file": _("Bitte eine .docx-Datei wählen.")},
    )


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse a DOCX of too many files, too many bytes unpacked or too much XML markup.

    Every packed file that an XML parser could read is counted, whatever its name (the
    parts are found through the package's relationships, not by name): one that starts,
    after a byte-order mark and white space, with "<" in UTF-8, UTF-16 or UTF-32. Its tags
    are counted as its bytes "<", which needs an encoding where "<" is that byte: a file in
    another (UTF-7 spells "<" as "+ADw-"; EBCDIC) is refused as not a DOCX (Word writes
    UTF-8), as is an XML declaration too long to read its encoding from.
    Raises TooLarge, or Invalid (not_docx).
    """
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise TooLarge(
            _(
                "Die Datei besteht aus %(count)s einzelnen Dateien, höchstens %(limit)s sind "
                "möglich.",
                count=format_decimal(len(parts)),
                limit=format_decimal(MAX_PARTS),
            )
        )
    if sum(part.file_size for part in parts) > MAX_UNPACKED:
        raise TooLarge(
            _(
                "Die Datei ist entpackt zu groß (höchstens %(limit)d MB).",
                limit=MAX_UNPACKED // (1024 * 1024),
            )
        )
    tags = 0
    for part in parts:
        with archive.open(part) as packed:
            head = packed.read(1024)
            if head.startswith(_EBCDIC):
                raise _not_docx()
            start = head.replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xfe\xff \t\r\n")
            if not start.startswith(b"<"):
                continue  # an image or other binary file: no XML parser reads it
            if start.startswith(b"<?xml"):
                if b">" not in start:
                    raise _not_docx()
                declared = _XML_ENCODING.match(start[: start.index(b">") + 1])
                if declared and not _COUNTABLE_ENCODING.fullmatch(declared.group(1).strip()):
                    raise _not_docx()
            tags += head.count(b"<")
            while tags <= MAX_XML_TAGS and (chunk := packed.read(1024 * 1024)):
                tags += chunk.count(b"<")
        if tags > MAX_XML_TAGS:
            raise TooLarge(
                _(
                    "Die Datei ist zu umfangreich: Text und Formatierung bestehen aus mehr als "
                    "%(limit)s Elementen. Bitte kopieren Sie den Text stattdessen in das Textfeld.",
                    limit=format_decimal(MAX_XML_TAGS),
                )
            )


class _StyleTable:
    """Heading level and list kind of each paragraph style, as python-docx resolves them.

    python-docx takes the first <w:style> of a paragraph's style id if it is a paragraph
    style, else the last default paragraph style; built once, looked up per paragraph.
    """

    def __init__(self, styles: BaseOxmlElement) -> None:
        #: Style id -> name of the first style of that id, None if not a paragraph style.
        self._by_id: dict[str, str | None] = {}
        self._default = ""
        for style in styles.iterchildren(_STYLE):
            is_paragraph_style = style.get(_TYPE) == "paragraph"
            name_element = style.find(_NAME)
            name = (name_element.get(_VAL) if name_element is not None else None) or ""
            style_id = style.get(_STYLE_ID)
            if style_id is not None and style_id not in self._by_id:
                self._by_id[style_id] = name if is_paragraph_style else None
            if is_paragraph_style and style.get(_DEFAULT) in ("1", "true", "on"):
                self._default = name
        self._kinds: dict[str, tuple[int | None, bool, bool]] = {}

    def kind(self, paragraph: BaseOxmlElement) -> tuple[int | None, bool, bool]:
        """(heading level or None, is a list item, is numbered) of a <w:p>."""
        properties = paragraph.find(_PPR)
        style = properties.find(_PSTYLE) if properties is not None else None
        style_id = style.get(_VAL) if style is not None else None
        name = self._by_id.get(style_id) if style_id else None
        if name is None:  # no style id, an unknown one, or not a paragraph style's
            name = self._default
        kind = self._kinds.get(name)
        if kind is None:
            is_list = bool(_LIST_STYLE.search(name))
            kind = (_heading_level(name), is_list, is_list and bool(_NUMBERED_STYLE.search(name)))
            self._kinds[name] = kind
        return kind


class _Reader:
    """The text of paragraphs and tables, within MAX_TEXT characters in all."""

    def __init__(self) -> None:
        self._left = MAX_TEXT

    def _taken(self, text: str) -> str:
        self._left -= len(text)
        if self._left < 0:
            raise TooLarge(
                _(
                    "Der Text des Dokuments ist zu lang (höchstens %(limit)s Zeichen).",
                    limit=format_decimal(MAX_TEXT),
                )
            )
        return text

    def paragraph_text(self, paragraph: BaseOxmlElement) -> str:
        """What python-docx's ``Paragraph.text`` gives: the runs, also those of links."""
        parts: list[str] = []
        for child in paragraph.iterchildren(_R, _HYPERLINK):
            for run in (child,) if child.tag == _R else child.iterchildren(_R):
                for item in run.iterchildren(_T, _BR, *_RUN_CHARACTERS):
                    if item.tag == _T:
                        parts.append(self._taken(item.text or ""))
                    elif item.tag == _BR:
                        if item.get(_TYPE, "textWrapping") == "textWrapping":
                            parts.append(self._taken("\n"))
                    else:
                        parts.append(self._taken(_RUN_CHARACTERS[item.tag]))
        return "".join(parts)

    def table_rows(self, table: BaseOxmlElement) -> list[str]:
        """The non-empty rows of a table as text, merged cells once, nested tables flattened.

        A cell that continues a vertical merge shows the cell it continues (the one that
        starts at its grid column in the row above, or what that one continues).
        """
        rows: list[str] = []
        above: dict[int, BaseOxmlElement] = {}  # grid column -> cell shown there
        for row in table.iterchildren(_TR):
            properties = row.find(_TRPR)
            column = _number(properties.find(_GRID_BEFORE), 0) if properties is not None else 0
            starts: dict[int, BaseOxmlElement] = {}
            seen: set[BaseOxmlElement] = set()
            cells: list[str] = []
            for tc in row.iterchildren(_TC):
                properties = tc.find(_TCPR)
                span = _number(properties.find(_GRID_SPAN), 1) if properties is not None else 1
                merge = properties.find(_V_MERGE) if properties is not None else None
                cell = tc
                if merge is not None and merge.get(_VAL, "continue") == "continue":
                    cell = above.get(column, tc)
                starts.setdefault(column, cell)
                column += max(span, 0)
                if cell in seen:
                    continue
                seen.add(cell)
                shown = cell.find(_TCPR)
                if shown is not None and _number(shown.find(_GRID_SPAN), 1) < 1:
                    continue  # python-docx lists a cell once per column it spans
                paragraphs = "\n".join(self.paragraph_text(p) for p in cell.iterchildren(_P))
                nested = [
                    line for inner in cell.iterchildren(_TBL) for line in self.table_rows(inner)
                ]
                text = " ".join(" ".join([paragraphs, *nested]).split())
                if text:
                    cells.append(text)
            if cells:
                rows.append(" | ".join(cells))
            above = starts
        return rows


def docx_to_markdown(data: bytes) -> str:
    """Markdown of a DOCX: heading styles become "#" headings, list styles "- " items,
    tables one paragraph with a line per row.

    Raises TooLarge above MAX_DOCX bytes (or MAX_UNPACKED unpacked, MAX_PARTS files,
    MAX_XML_TAGS tags of XML, MAX_TEXT characters of text), Invalid (too_many_paragraphs)
    above MAX_PARAGRAPHS paragraphs, and Invalid (not_docx) when the bytes are not a DOCX.
    """
    if len(data) > MAX_DOCX:
        raise TooLarge(
            _("Die Datei ist zu groß (höchstens %(limit)d MB).", limit=MAX_DOCX // (1024 * 1024))
        )
    if not data.startswith(b"PK\x03\x04"):
        raise _not_docx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise _not_docx()
            _check_parts(archive)
        import docx  # here: python-docx (with lxml) is heavy, and only DOCX uploads need it

        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        styles = _StyleTable(document.styles.element)
    except (TooLarge, Invalid):
        raise
    except Exception as exc:  # zipfile and python-docx raise assorted errors on damaged files
        raise _not_docx() from exc
    if body is None:
        return "\n"
    paragraphs = int(body.xpath("count(.//w:p)"))
    if paragraphs > MAX_PARAGRAPHS:
        raise Invalid(
            _(
                "Das Dokument hat %(count)s Absätze, höchstens %(limit)s sind möglich (leere "
                "Absätze und Absätze in Tabellen zählen mit).",
                count=format_decimal(paragraphs),
                limit=format_decimal(MAX_PARAGRAPHS),
            ),
            code="too_many_paragraphs",
        )
    reader = _Reader()
    lines: list[str] = []
    number = 0
    for block in body.iterchildren(_P, _TBL):
        if block.tag == _TBL:
            # A table: one line per row, cells separated by " | ", as one paragraph.
            rows = reader.table_rows(block)
            if rows:
                number = 0
                if lines and lines[-1]:
                    lines.append("")
                lines.extend([*rows, ""])
            continue
        text = " ".join(reader.paragraph_text(block).replace("\t", " ").split("\n")).strip()
        if not text:
            continue
        level, is_list, is_numbered = styles.kind(block)
        if level is not None:
            lines.extend(["", "#" * level + " " + " ".join(text.split()), ""])
            number = 0
        elif is_list:
            if is_numbered:
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
