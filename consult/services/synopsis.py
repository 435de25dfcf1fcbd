"""The synopsis (Synopse) of two revisions, ready to be written as a file: the sections in
reading order, each with its heading, the older wording (left) and the newer one (right)
as runs of equal, deleted and inserted text, and the provenance of its changes.

The provenance comes from consult.services.change_causes, the causes the diff page names
under "Warum geändert?": "Vorschlag Nr. 12, Caritasverband (übernommen)" or
"redaktionelle Änderung (Name)", numbered as the references after each change. On
request, unchanged sections are collapsed to their headings. The comparison is the diff
page's (consult.services.diffs.compare_revisions, which checks ``against`` and what the
actor may read). The files are written by consult.services.synopsis_exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult import dates
from consult.db import utcnow
from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op
from consult.models import Revision
from consult.services import change_causes, diffs
from consult.services.change_causes import EDITOR, HIDDEN, Cause, SectionCauses
from consult.services.diffs import RevisionComparison, SectionComparison

#: Which side of the synopsis a piece of text shows on.
OLD: Final = "old"
NEW: Final = "new"


@dataclass(frozen=True)
class Piece:
    """A run of text in one column: equal, deleted (left) or inserted (right), and the
    numbers of the causes to refer to after it (the last piece of a change)."""

    kind: str
    text: str
    refs: tuple[int, ...] = ()

    @property
    def is_deleted(self) -> bool:
        return self.kind == DELETE

    @property
    def is_inserted(self) -> bool:
        return self.kind == INSERT


@dataclass(frozen=True)
class Row:
    """One section of the synopsis: its heading, both columns and the causes of its
    changes (numbered from 1, as the references in the text). ``collapsed``: an
    unchanged section shown by its heading only."""

    section: SectionComparison
    title: list[Piece]
    old: list[Piece] | None
    new: list[Piece] | None
    causes: list[str] = field(default_factory=list)
    collapsed: bool = False

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def old_key(self) -> str:
        """The key the section had before, when it was renumbered ("" otherwise)."""
        s = self.section
        return s.old_key if s.old_key and s.key and s.old_key != s.key else ""

    @property
    def status(self) -> str:
        return self.section.status

    @property
    def level(self) -> int:
        """The heading level of the section (2 for the top, at most 5)."""
        return min(self.section.depth + 2, 5)


@dataclass(frozen=True)
class Synopsis:
    comparison: RevisionComparison
    rows: list[Row]
    collapse_unchanged: bool
    made_at: datetime

    @property
    def old(self) -> Revision:
        return self.comparison.other

    @property
    def new(self) -> Revision:
        return self.comparison.revision

    @property
    def title(self) -> str:
        return str(
            _("Synopse: Fassung %(a)s → Fassung %(b)s", a=self.old.number, b=self.new.number)
        )

    @property
    def has_causes(self) -> bool:
        return any(row.causes for row in self.rows)


def status_labels() -> dict[str, str]:
    """The state of a section, as the synopsis names it (in the reader's language)."""
    return {
        "unchanged": _("unverändert"),
        "changed": _("geändert"),
        "added": _("neu"),
        "removed": _("entfernt"),
        "moved": _("verschoben"),
    }


def revision_label(revision: Revision) -> str:
    """ "Fassung 2 vom 24.12.2026" (a draft: "Fassung 3 (Entwurf)")."""
    if revision.is_draft or revision.published_at is None:
        return str(_("Fassung %(n)s (Entwurf)", n=revision.number))
    return str(
        _("Fassung %(n)s vom %(day)s", n=revision.number, day=dates.day(revision.published_at))
    )


def provenance(cause: Cause) -> str:
    """What made a change, in a line: "Vorschlag Nr. 12, Caritasverband (übernommen)",
    "redaktionelle Änderung (Miriam Redaktion)", or, for a suggestion the reader may not
    see, "Änderungsvorschlag aus der Beteiligung"."""
    if cause.kind == HIDDEN:
        return str(_("Änderungsvorschlag aus der Beteiligung"))
    if cause.kind == EDITOR:
        if cause.editor:
            return str(_("redaktionelle Änderung (%(name)s)", name=cause.editor))
        return str(_("redaktionelle Änderung"))
    text = str(_("Vorschlag Nr. %(id)s", id=cause.feedback_id))
    who = cause.organisation or cause.author
    if who:
        text = f"{text}, {who}"
    # The words of the diff page and the response table.
    decided = {"accept": _("übernommen"), "accept_modified": _("geändert übernommen")}
    if cause.decision in decided:
        text = f"{text} ({decided[cause.decision]})"
    return text


def pieces(ops: list[Op], side: str, why: SectionCauses | None = None) -> list[Piece]:
    """The text of one column (``OLD``: equal and deleted; ``NEW``: equal and inserted),
    with the references to the causes after the last piece of each change that shows on
    this side."""
    refs: dict[int, tuple[int, ...]] = {}
    if why is not None:
        shown = DELETE if side == OLD else INSERT
        for hunk, numbers in why.hunks:
            visible = [i for i in range(hunk.first, hunk.last) if ops[i][0] == shown]
            if numbers and visible:
                refs[visible[-1]] = numbers
    hidden = INSERT if side == OLD else DELETE
    return [
        Piece(kind, text, refs.get(index, ()))
        for index, (kind, text) in enumerate(ops)
        if kind != hidden and text
    ]


def _row(section: SectionComparison, why: SectionCauses | None, collapse: bool) -> Row:
    title = [Piece(kind, text) for kind, text in section.title_ops if text]
    if not title:
        title = [Piece(EQUAL, section.title)]
    if collapse and section.status == "unchanged":
        return Row(section, title, None, None, collapsed=True)
    old = pieces(section.body_ops, OLD, why) if section.old_version is not None else None
    new = pieces(section.body_ops, NEW, why) if section.new_version is not None else None
    causes = [provenance(c) for _n, c in why.numbered()] if why is not None else []
    return Row(section, title, old, new, causes)


def synopsis_of(
    session: Session,
    revision_id: int,
    against_id: object,
    *,
    actor: object,
    collapse_unchanged: bool = False,
) -> Synopsis:
    """The synopsis of ``against`` (left) -> ``revision`` (right) for the actor, with the
    causes of the changes the actor may see. Raises NotFound (a revision the actor may
    not read) or Invalid (``against`` missing, not a number, of another consultation)."""
    comparison = diffs.compare_revisions(session, revision_id, against_id, actor=actor)
    why = change_causes.for_comparison(session, comparison, actor=actor)
    rows = [_row(s, why.get(s.section_id), collapse_unchanged) for s in comparison.sections]
    return Synopsis(comparison, rows, collapse_unchanged, utcnow())
