"""The structure of a draft: parsing Markdown into sections, section trees, keys, blocks.

Plain Python: imported by the import and revision services and by the renderer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from consult.domain import textrules
from consult.domain.errors import N_, MessageError
from consult.domain.textnorm import normalize_text

#: Most sections a draft may have, and longest title.
MAX_SECTIONS = 2000
#: Most paragraphs (and list items) an imported draft may have: a long concept has a few
#: thousand. Together with MAX_SECTIONS it bounds the work of an import and of the pages
#: that show the draft, whatever the length of the text.
MAX_PARAGRAPHS = 20_000
MAX_TITLE = 300
MAX_KEY = 32
#: Title of the section made from text that stands before the first heading.
PREAMBLE_TITLE = "Vorbemerkung"

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_NUMBERED = re.compile(r"^(\d{1,4}(?:\.\d{1,4}){0,7})\.?[ \t]+(\S.*)$")
_KEY = re.compile(r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$")
#: A pasted line that looks like a numbered heading: "3.2 Handlungsfeld Bildung".
_PASTED_HEADING = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){0,5})\.?[ \t]+(\S[^\n]{0,150})$")
_LIST_ITEM = re.compile(r"^(- |\d{1,3}\. )")


class OutlineError(MessageError, ValueError):
    """The text or the structure of a draft is not acceptable (German template + params)."""


@dataclass(frozen=True)
class ParsedSection:
    """One section found in imported text, before it is saved."""

    key: str
    title: str
    body: str
    #: Index of the parent in the parsed list, None at the top level.
    parent: int | None
    depth: int


@dataclass(frozen=True)
class Block:
    """A paragraph or list item of a body, as the reading view renders it.

    ``start`` is the code-point offset of its first visible character in the body;
    ``text`` is ``body[start:start + len(text)]``.
    """

    kind: str  # "p", "ul" or "ol" (a list item of such a list)
    start: int
    text: str
    #: The item number of an ordered list item ("3"), else "".
    number: str = ""


def split_key(title: str) -> tuple[str, str]:
    """("3.2", "Handlungsfeld Bildung") from "3.2 Handlungsfeld Bildung"; ("", title) if none."""
    match = _NUMBERED.match(title.strip())
    if not match:
        return "", title.strip()
    return match.group(1), match.group(2).strip()


def parent_key_of(key: str) -> str | None:
    """The default parent key: "3.2" -> "3", "3" -> None (API.md)."""
    if "." not in key:
        return None
    return key.rsplit(".", 1)[0]


def check_key(key: str) -> str:
    """A valid key ("", "3", "3.2", "A.1"); raises OutlineError."""
    key = key.strip()
    if key and (len(key) > MAX_KEY or not _KEY.match(key)):
        raise OutlineError(
            N_("Die Nummer „%(key)s“ ist ungültig (erlaubt z. B. „3“ oder „3.2“)."), key=key[:40]
        )
    return key


def check_title(title: str) -> str:
    """A trimmed, non-empty title of at most MAX_TITLE characters, under the text rules of
    a title (no invisible or control characters); raises OutlineError."""
    try:
        title = textrules.check_text(title, replace(textrules.TITLE, required=False))
    except textrules.TextRuleError as exc:
        if exc.reason != "too_long":
            # ("label" is translated with the template: see services.section_input.)
            raise OutlineError(exc.labelled, label=N_("Eine Überschrift"), **exc.params) from None
        title = " ".join(normalize_text(title).split())
    if not title:
        raise OutlineError(N_("Jeder Abschnitt braucht eine Überschrift."))
    if len(title) > MAX_TITLE:
        raise OutlineError(
            N_("Eine Überschrift ist zu lang (höchstens %(limit)d Zeichen)."), limit=MAX_TITLE
        )
    return title


def _is_pasted_heading(paragraph: str) -> re.Match[str] | None:
    if "\n" in paragraph or paragraph.rstrip().endswith((".", ":", ";", ",")):
        return None
    return _PASTED_HEADING.match(paragraph.strip())


def _headings(lines: list[str], pasted: bool) -> list[tuple[int, int, str]]:
    """(line index, level, heading text) of every heading line."""
    found: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match:
            found.append((index, len(match.group(1)), match.group(2)))
    if found or not pasted:
        return found
    # Pasted text without "#": numbered lines that stand alone are headings.
    for index, line in enumerate(lines):
        alone = (index == 0 or not lines[index - 1].strip()) and (
            index + 1 == len(lines) or not lines[index + 1].strip()
        )
        match = _is_pasted_heading(line) if alone else None
        if match:
            found.append((index, match.group(1).count(".") + 1, line.strip()))
    return found


def parse_markdown(text: str, *, pasted: bool = False) -> list[ParsedSection]:
    """Sections from Markdown: each heading starts one; its level gives the nesting.

    A leading number ("3.2 Bildung") becomes the key. Text before the first heading
    becomes a section titled "Vorbemerkung". With ``pasted=True`` and no "#"
    headings, lines such as "3.2 Bildung" standing alone are taken as headings.
    Raises OutlineError (empty text, no headings, a key twice, more than MAX_SECTIONS
    sections or MAX_PARAGRAPHS paragraphs), counting before any section is built.
    """
    text = normalize_text(text)
    if not text.strip():
        raise OutlineError(N_("Der Text ist leer."))
    lines = text.split("\n")
    headings = _headings(lines, pasted)
    if not headings:
        raise OutlineError(
            N_(
                "Keine Überschriften gefunden. Beginnen Sie jeden Abschnitt mit einer Zeile wie "
                "„# 1 Einleitung“ oder „## 3.2 Handlungsfeld Bildung“."
            )
        )
    has_preamble = any(lines[: headings[0][0]])  # normalised: a blank line is empty
    if len(headings) + has_preamble > MAX_SECTIONS:
        raise OutlineError(
            N_("Zu viele Abschnitte: der Text hat %(count)d, höchstens %(limit)d sind möglich."),
            count=len(headings) + has_preamble,
            limit=MAX_SECTIONS,
        )
    paragraphs = _count_blocks(lines, {index for index, _, _ in headings})
    if paragraphs > MAX_PARAGRAPHS:
        raise OutlineError(
            N_(
                "Zu viele Absätze: der Text hat %(count)d Absätze und Listenpunkte, höchstens "
                "%(limit)d sind möglich."
            ),
            count=paragraphs,
            limit=MAX_PARAGRAPHS,
        )
    raw: list[tuple[int, str, str, str]] = []  # level, key, title, body
    preamble = normalize_text("\n".join(lines[: headings[0][0]]))
    if preamble:
        raw.append((headings[0][1], "", PREAMBLE_TITLE, preamble))
    for n, (index, level, heading) in enumerate(headings):
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        key, title = split_key(heading)
        body = normalize_text("\n".join(lines[index + 1 : end]))
        raw.append((level, check_key(key), check_title(title or key), body))
    parents = parents_from_levels([level for level, *_ in raw])
    depths = depths_of(parents)
    keys = [key for _, key, _, _ in raw]
    check_unique_keys(keys)
    return [
        ParsedSection(key=key, title=title, body=body, parent=parents[i], depth=depths[i])
        for i, (_, key, title, body) in enumerate(raw)
    ]


def parents_from_levels(levels: Sequence[int]) -> list[int | None]:
    """Parent index per item: the nearest earlier item with a smaller heading level."""
    parents: list[int | None] = []
    stack: list[tuple[int, int]] = []  # (level, index)
    for index, level in enumerate(levels):
        while stack and stack[-1][0] >= level:
            stack.pop()
        parents.append(stack[-1][1] if stack else None)
        stack.append((level, index))
    return parents


def check_unique_keys(keys: Sequence[str]) -> None:
    """Raise OutlineError if a non-empty key occurs twice."""
    seen: set[str] = set()
    for key in keys:
        if key and key in seen:
            raise OutlineError(N_("Die Nummer „%(key)s“ kommt zweimal vor."), key=key)
        seen.add(key)


def depths_of(parents: Sequence[int | None]) -> list[int]:
    """Depth per item of a tree given in reading order (parents before children).

    Raises OutlineError when a parent does not come before its child or when a
    child is separated from its parent by a section outside the parent (the reading
    order must walk the tree: parent, its descendants, then the next sibling).
    """
    depths: list[int] = []
    stack: list[int] = []  # indices of the ancestors of the current item, and itself
    for index, parent in enumerate(parents):
        if parent is not None and not 0 <= parent < index:
            raise OutlineError(
                N_(
                    "Ein Abschnitt muss nach seinem übergeordneten Abschnitt stehen "
                    "(keine Zyklen, kein Verweis nach vorn)."
                )
            )
        if parent is None:
            stack = []
        else:
            if parent not in stack:
                raise OutlineError(
                    N_(
                        "Die Reihenfolge passt nicht zur Gliederung: ein Unterabschnitt steht "
                        "nicht direkt unter seinem übergeordneten Abschnitt."
                    )
                )
            stack = stack[: stack.index(parent) + 1]
        depths.append(len(stack))
        stack.append(index)
    return depths


def renumber(parents: Sequence[int | None], numbered: Sequence[bool]) -> list[str]:
    """Keys "1", "1.1", ... by position in the tree; unnumbered items keep "" and don't count.

    Unnumbered items are transparent: a numbered item below one is counted among the
    children of its nearest numbered ancestor (or the top level), so keys stay unique.
    """
    keys: list[str] = []
    #: Per item: itself if numbered, else its nearest numbered ancestor (None: none).
    numbered_at: list[int | None] = []
    counters: dict[int | None, int] = {}
    for index, parent in enumerate(parents):
        owner = numbered_at[parent] if parent is not None else None
        if not numbered[index]:
            keys.append("")
            numbered_at.append(owner)
            continue
        counters[owner] = counters.get(owner, 0) + 1
        prefix = keys[owner] + "." if owner is not None else ""
        keys.append(f"{prefix}{counters[owner]}")
        numbered_at.append(index)
    return keys


def _count_blocks(lines: Sequence[str], headings: set[int]) -> int:
    """How many blocks (see :func:`blocks`) the bodies between the headings will have."""
    count = 0
    in_paragraph = False
    for index, line in enumerate(lines):
        if index in headings or not line.strip():
            in_paragraph = False
        elif _LIST_ITEM.match(line):
            count += 1
            in_paragraph = False
        elif not in_paragraph:
            count += 1
            in_paragraph = True
    return count


def blocks(body: str) -> list[Block]:
    """Paragraphs and list items of a body, each with its code-point offset (TEXT.md 1).

    A paragraph is a run of non-blank lines that are not list items.
    """
    result: list[Block] = []
    paragraph: list[str] = []  # the lines of the paragraph being read
    start = 0  # its offset
    offset = 0
    for line in body.split("\n"):
        if not line.strip() or _LIST_ITEM.match(line):
            if paragraph:
                result.append(Block("p", start, "\n".join(paragraph)))
                paragraph = []
            marker = _LIST_ITEM.match(line)
            if marker:
                skip = len(marker.group(1))
                kind = "ul" if marker.group(1) == "- " else "ol"
                number = marker.group(1)[:-2] if kind == "ol" else ""
                result.append(Block(kind, offset + skip, line[skip:], number))
        else:
            if not paragraph:
                start = offset
            paragraph.append(line)
        offset += len(line) + 1
    if paragraph:
        result.append(Block("p", start, "\n".join(paragraph)))
    return result


def group_blocks(body: str) -> list[tuple[str, list[Block]]]:
    """Blocks grouped for HTML: ("p", [one block]) or ("ul"/"ol", [consecutive items])."""
    groups: list[tuple[str, list[Block]]] = []
    for block in blocks(body):
        if block.kind != "p" and groups and groups[-1][0] == block.kind:
            groups[-1][1].append(block)
        else:
            groups.append((block.kind, [block]))
    return groups


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"“”»«')\]]*\s+|\n+")


def sentences(body: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or list item of a body, without surrounding space.

    Used for choosing a text range without a mouse: pick a sentence from a list.
    """
    spans: list[tuple[int, int]] = []
    for block in blocks(body):
        position = 0
        text = block.text
        for match in _SENTENCE_END.finditer(text):
            _add_span(spans, block.start, text, position, match.start())
            position = match.end()
        _add_span(spans, block.start, text, position, len(text))
    return spans


def _add_span(spans: list[tuple[int, int]], offset: int, text: str, a: int, b: int) -> None:
    part = text[a:b]
    stripped = part.strip()
    if not stripped:
        return
    lead = len(part) - len(part.lstrip())
    start = offset + a + lead
    spans.append((start, start + len(stripped)))
