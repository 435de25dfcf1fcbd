"""Words that tell screen readers where an insertion or a deletion starts and ends.

Colour, underline and strike-through do not reach a screen reader, and most announce
``<ins>``/``<del>`` only when asked to (WCAG 1.3.1): every one therefore carries
visually hidden text, "eingefügt: … (Ende der Einfügung)". In the reading view the text
of a section is the coordinate system of the anchors (TEXT.md 1): there the labels are
marked ``data-skip`` so that static/js/offsets.js leaves them out of its count.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import escape


@dataclass(frozen=True)
class ChangeLabels:
    """The hidden labels at the edges of an insertion and a deletion, as HTML (escaped).

    Frozen, so that rendered HTML can be cached by them (they differ per language).
    """

    ins_start: str = ""
    ins_end: str = ""
    del_start: str = ""
    del_end: str = ""

    def ins(self, html: str, attrs: str = "") -> str:
        """``html`` (escaped) as an insertion, with its labels."""
        return f"<ins{attrs}>{self.ins_start}{html}{self.ins_end}</ins>"

    def delete(self, html: str, attrs: str = "", *, start: bool = True, end: bool = True) -> str:
        """``html`` (escaped) as a deletion, with its labels (``start``/``end``: at either
        edge; a deletion cut into pieces by other highlights is labelled once)."""
        first = self.del_start if start else ""
        last = self.del_end if end else ""
        return f"<del{attrs}>{first}{html}{last}</del>"


#: No labels (for tests of the markup around them).
PLAIN = ChangeLabels()


def change_labels(*, proposed: bool = False, skip: bool = False) -> ChangeLabels:
    """The labels in the interface language.

    ``proposed``: for a suggestion shown in the text it would change (not a change yet);
    ``skip``: marked ``data-skip``, for text whose offsets the browser counts.
    Raises nothing.
    """
    attrs = ' class="visually-hidden change-label"' + (' data-skip="1"' if skip else "")

    def span(text: str) -> str:
        return f"<span{attrs}>{escape(text)}</span>"

    if proposed:
        inserted, deleted = _("vorgeschlagene Einfügung:"), _("vorgeschlagene Streichung:")
    else:
        inserted, deleted = _("eingefügt:"), _("gestrichen:")
    return ChangeLabels(
        ins_start=span(f"{inserted} "),
        ins_end=span(" " + _("(Ende der Einfügung)")),
        del_start=span(f"{deleted} "),
        del_end=span(" " + _("(Ende der Streichung)")),
    )
