"""The structure of a plain-text e-mail, so its HTML part says the same as its text part.

Every mail is written once, as text (templates/mail/*.txt); the HTML alternative is built
from that text: paragraphs (separated by blank lines), their lines, and links (every
``http(s)://`` address). Lines like ``=== Title ===`` and ``--- Title ---`` (the digest's
headings) become headings. Nothing here escapes: the HTML template does (autoescape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: An address in a mail's text: up to the next space; punctuation that ends a sentence
#: or closes a quote is not part of it.
_URL = re.compile(r"https?://[^\s<>\"“”„]+")
_TRAILING = ".,;:!?)]}'’"
_HEADING = re.compile(r"^(===|---) (.+) \1$")


@dataclass(frozen=True)
class Segment:
    """A run of text; a link when ``href`` is set (then ``text`` is the address)."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Block:
    """A paragraph (``p``: its lines, each a list of segments) or a heading (one line)."""

    kind: Literal["p", "h2", "h3"]
    lines: tuple[tuple[Segment, ...], ...]


def segments(line: str) -> tuple[Segment, ...]:
    """The line as text and links. Raises nothing."""
    found: list[Segment] = []
    position = 0
    for match in _URL.finditer(line):
        address = match.group(0).rstrip(_TRAILING)
        if not address.partition("://")[2]:
            continue
        start, end = match.start(), match.start() + len(address)
        if start > position:
            found.append(Segment(line[position:start]))
        found.append(Segment(address, address))
        position = end
    if position < len(line) or not found:
        found.append(Segment(line[position:]))
    return tuple(found)


def blocks(text: str) -> list[Block]:
    """The mail's text as paragraphs and headings, in order; blank lines separate
    paragraphs, a heading line stands on its own. Raises nothing."""
    result: list[Block] = []
    lines: list[tuple[Segment, ...]] = []

    def close() -> None:
        if lines:
            result.append(Block("p", tuple(lines)))
            lines.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        heading = _HEADING.match(line.strip())
        if heading:
            close()
            kind: Literal["h2", "h3"] = "h2" if heading.group(1) == "===" else "h3"
            result.append(Block(kind, (segments(heading.group(2)),)))
        elif not line.strip():
            close()
        else:
            lines.append(segments(line))
    close()
    return result
