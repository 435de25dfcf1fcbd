"""A draft written back as Markdown, in the form :func:`consult.domain.outline.parse_markdown`
reads: one heading per section ("# 1 Einleitung", "## 3.2 Handlungsfeld Bildung"), its
level the section's depth + 1, the body below it as stored.

Importing the result gives the same sections (keys, titles, bodies, nesting), with the
limits that Markdown itself sets:

- headings have at most six levels: deeper sections are written at level 6 (and come
  back as siblings of their parent);
- a body line that itself looks like a heading ("# ...") starts a section on import, and
  an unnumbered title that begins with a number ("2030 Ziele") comes back as key "2030";
  a title ending in " #" loses its closing hashes; :func:`round_trips` tells whether a
  draft is free of these.

Plain Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from consult.domain import outline

#: Markdown's deepest heading.
MAX_LEVEL = 6
_HEADING_LIKE = re.compile(r"^#{1,6}[ \t]", re.MULTILINE)
_CLOSING_HASHES = re.compile(r"[ \t]#+$")


@dataclass(frozen=True)
class DocSection:
    """One section of a revision as the exports write it."""

    key: str
    title: str
    body: str
    #: 0 at the top level.
    depth: int

    @property
    def heading(self) -> str:
        """ "3.2 Handlungsfeld Bildung" (the title alone for an unnumbered section)."""
        return f"{self.key} {self.title}" if self.key else self.title


def heading_level(depth: int) -> int:
    """The Markdown (and HTML) heading level of a section at ``depth``: 1..6."""
    return min(depth + 1, MAX_LEVEL)


def to_markdown(sections: Iterable[DocSection]) -> str:
    """The sections as Markdown: a heading line, a blank line, the body, a blank line.
    Raises nothing."""
    parts: list[str] = []
    for section in sections:
        parts.append(f"{'#' * heading_level(section.depth)} {section.heading}")
        if section.body:
            parts.append(section.body)
    return "\n\n".join(parts) + "\n"


def round_trips(sections: Sequence[DocSection]) -> bool:
    """Whether importing :func:`to_markdown` of the sections gives them back exactly (no
    section deeper than six levels, no heading-like body line, no unnumbered title that
    starts with a number). Raises nothing."""
    for section in sections:
        if section.depth >= MAX_LEVEL or _HEADING_LIKE.search(section.body):
            return False
        if not section.key and outline.split_key(section.title)[0]:
            return False
        if _CLOSING_HASHES.search(section.heading):
            return False
    return True
