"""Rendering the reading view's table of contents and sections.

A Jinja loop over 200 sections cost about 30 ms: every fragment of output passes up
through the block and the base template's generators, and every label was translated
again per section. Here the labels are translated once per page and each section is a
few string joins. Every piece of user text is escaped (section bodies come escaped
from :meth:`SectionModel.body_html`, threads from the ThreadRenderer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from consult.services.feedback_views import FeedbackView
from consult.web.change_labels import change_labels
from consult.web.reading import SectionModel

#: Deepest indentation the stylesheet distinguishes.
MAX_DEPTH_CLASS = 4


class SectionRenderer:
    """Renders the table of contents and the sections of one reading-view page."""

    def __init__(self, *, revision_id: int, can_annotate: bool) -> None:
        self.can_annotate = can_annotate
        # The no-JS feedback form of each section: build the URL once, add ids by hand.
        self.give_url = url_for("feedback.give", revision_id=revision_id, section_id=0).rsplit(
            "/0/feedback", 1
        )[0]
        self.give_label = str(escape(_("Kommentieren oder Änderung vorschlagen")))
        self.count_title = str(escape(_("Beiträge")))
        self.count_label = str(escape(_("Beiträge:")))
        # Format strings: each section fills in its title.
        self.body_label = _("Text von %(t)s – zum Markieren Umschalt und Pfeiltasten")
        self.rail_label = _("Beiträge zu %(t)s")
        #: Hidden words for screen readers at the edges of suggestions shown in the text,
        #: left out of the browser's offset count (data-skip).
        self.change_labels = change_labels(proposed=True, skip=True)
        #: What the output depends on besides the sections: part of cached pages' keys.
        self.context = (
            can_annotate,
            self.give_url,
            self.give_label,
            self.count_title,
            self.count_label,
            self.body_label,
            self.rail_label,
            self.change_labels,
        )

    def toc(self, sections: Sequence[SectionModel]) -> Markup:
        out = []
        for s in sections:
            p = s.placement
            key = f'<span class="key">{escape(p.key)}</span> ' if p.key else ""
            count = (
                f' <span class="toc-count" title="{self.count_title}">'
                f'<span class="visually-hidden">– {self.count_label} </span>{s.count}</span>'
                if s.count
                else ""
            )
            out.append(
                f'<li class="toc-depth-{min(p.depth, MAX_DEPTH_CLASS)}">'
                f'<a href="#s-{p.section_id}">{key}{escape(p.version.title)}{count}</a></li>'
            )
        return Markup("".join(out))  # noqa: S704 - every piece escaped above

    def sections(
        self,
        sections: Sequence[SectionModel],
        rail: Callable[[Sequence[FeedbackView]], Markup],
    ) -> Markup:
        """The sections with their text and, where there is feedback, their rail
        (``rail`` renders threads: ThreadRenderer.join_for_page)."""
        out = []
        for s in sections:
            p = s.placement
            sid = p.section_id
            title = escape(p.version.title)
            level = min(p.depth + 2, 6)
            key = f'<span class="key">{escape(p.key)}</span> ' if p.key else ""
            body_attrs = ""
            if self.can_annotate and p.version.body:
                label = escape(self.body_label % {"t": p.version.title})
                body_attrs = f' tabindex="0" role="group" aria-label="{label}"'
            out.append(
                f'<section class="doc-section depth-{min(p.depth, MAX_DEPTH_CLASS)}" '
                f'id="s-{sid}" data-section-id="{sid}" data-version-id="{p.version_id}" '
                f'aria-labelledby="h-{sid}"><div class="section-main">'
                f'<h{level} id="h-{sid}" class="section-title">{key}{title}</h{level}>'
                f'<div class="section-body"{body_attrs}>{s.body_html(self.change_labels)}</div>'
            )
            if self.can_annotate:
                out.append(
                    f'<p class="section-actions no-print"><a href="{self.give_url}/{sid}/feedback">'
                    f'{self.give_label}<span class="visually-hidden">: {title}</span></a></p>'
                )
            out.append("</div>")
            if s.threads:
                label = escape(self.rail_label % {"t": p.version.title})
                out.append(f'<aside class="rail" aria-label="{label}">{rail(s.threads)}</aside>')
            out.append("</section>")
        return Markup("".join(out))  # noqa: S704 - every piece escaped above
