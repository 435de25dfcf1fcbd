"""The reading view's feedback part, rendered once and kept for the next readers.

The table of contents, the sections with their highlights and threads, and the threads
of sections that are gone make up nearly all of a reading view (2.5 MB at 2,000 items);
loading the feedback and rendering it cost 12 to 20 times what sending the bytes costs.
Here that part is kept per process (bounded, least recently used out first) under a key
of everything it shows:

- the consultation's feedback version (services.feedback_versions): rows, names,
  statuses, decisions and their publication; it moves with every write that changes
  them, in every worker's view;
- the revision and, for a draft, its outline (a published revision never changes);
- the ids of the feedback this reader may see and of what the filters let through:
  visibility is decided per request (services.feedback_views.visible_rows), so a reader
  never gets a page made for someone who may see more;
- the renderers' context: language, moderation rights, the open round, URLs.

The buttons of a thread differ for its author (edit, withdraw): the part is cut at
every thread's buttons, kept as for someone who wrote none of them, and the reader's
own threads get theirs per request; so all readers with the same rights share one part.
It is kept as UTF-8 bytes with slots for the reader's hidden form fields (CSRF token,
one-time field). The page around it is rendered per request with placeholders
(:data:`TOC`, :data:`DOCUMENT`) where :func:`page_response` puts the bytes: 2.5 MB of
text passed through Jinja, markupsafe and the encoder cost more than everything else
together.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import partial

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import Session

from consult.cache import LRUCache
from consult.models import Placement, PublicationKind, Revision
from consult.services import decisions, feedback_views
from consult.services import revisions as revision_service
from consult.services.permissions import FeedbackViewer
from consult.web.reading import Filters, build_sections
from consult.web.reading_html import SectionRenderer
from consult.web.threads import ACTIONS_SLOT, CSRF_SLOT, ThreadRenderer

#: Pages kept per process: at most this many, and at most this many bytes in all (a
#: 2,000-item page has 2.6 MB).
PAGE_CACHE_SIZE = 64
PAGE_CACHE_BYTES = 24_000_000

#: Placeholders of the feedback part in the rendered template (unguessable, never in
#: user text, which is escaped anyway).
TOC = Markup("<!--toc-" + secrets.token_hex(12) + "-->")  # noqa: S704 - a constant
DOCUMENT = Markup("<!--document-" + secrets.token_hex(12) + "-->")  # noqa: S704 - a constant
_ACTIONS = re.compile(f"<!--{ACTIONS_SLOT}:([0-9]+)-->")
_CSRF_SLOT = CSRF_SLOT.encode()


@dataclass(frozen=True)
class FeedbackPart:
    """What the reading view shows of the feedback, the same for every reader with the
    same rights: UTF-8 HTML with slots for the reader's hidden form fields."""

    toc: bytes
    #: Pieces of the document; the reader's hidden form fields go where a piece *is*
    #: ``_CSRF_SLOT``.
    document: tuple[bytes, ...]
    #: Feedback id -> the pieces [start, end) with the buttons of its thread (as for
    #: someone else than its author).
    actions_at: dict[int, tuple[int, int]]
    #: How many items the reader may see (before filters).
    total: int
    #: How many of them the filters let through (``total`` without filters).
    shown: int
    #: The organisations of those items (id, name), for the filter.
    organisations: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ReaderPart:
    """The shared part, and what is the reader's own: the buttons of the threads they
    wrote (edit, withdraw, resolve) and their hidden form fields."""

    shared: FeedbackPart
    own_actions: dict[int, bytes]
    #: The reader's hidden form fields (CSRF token, one-time field) for CSRF_SLOT.
    form_fields: bytes

    @property
    def total(self) -> int:
        return self.shared.total

    @property
    def shown(self) -> int:
        return self.shared.shown

    @property
    def organisations(self) -> tuple[tuple[int, str], ...]:
        return self.shared.organisations

    def document(self) -> list[bytes]:
        """The pieces of the document with the reader's own buttons and hidden form fields in
        (joined once, with the rest of the page, by :func:`page_response`)."""
        token = self.form_fields
        pieces = [token if piece is _CSRF_SLOT else piece for piece in self.shared.document]
        own = [
            (*self.shared.actions_at[feedback_id], html)
            for feedback_id, html in self.own_actions.items()
            if feedback_id in self.shared.actions_at
        ]
        for start, end, html in sorted(own, reverse=True):  # from the end: indexes stay
            pieces[start:end] = [html.replace(_CSRF_SLOT, token)]
        return pieces


def _weight(part: FeedbackPart) -> int:
    return len(part.toc) + sum(len(piece) for piece in part.document)


_PAGES: LRUCache[tuple[object, ...], FeedbackPart] = LRUCache(
    PAGE_CACHE_SIZE, max_weight=PAGE_CACHE_BYTES, weigh=_weight
)


def feedback_part(
    session: Session,
    revision: Revision,
    visible: feedback_views.VisibleRows,
    filters: Filters,
    viewer: FeedbackViewer,
    sections: SectionRenderer,
    threads: ThreadRenderer,
) -> ReaderPart:
    """The contents, sections and threads of the revision for this reader: kept from an
    earlier request when nothing it shows has changed, else rendered (and kept)."""
    own = [f for f in visible.rows if f.author_id == viewer.user_id]
    reader = partial(
        ReaderPart,
        own_actions={f.id: threads.actions(f, mine=True).encode() for f in own},
        form_fields=threads.form_fields.encode(),
    )
    placements: list[Placement] | None = None
    outline_key: tuple[tuple[int, int, str, int], ...] | None = None
    if revision.is_draft:  # a draft's outline changes; a published one's never
        placements = revision_service.outline(session, revision).placements
        outline_key = tuple((p.section_id, p.version_id, p.key, p.depth) for p in placements)
    shown = (
        tuple(
            f.id for f in visible.rows if filters.accepts(f, viewer.user_id, viewer.groups_by_user)
        )
        if filters.active
        else None
    )
    key = (
        visible.key,
        revision.id,
        outline_key,
        visible.ids,
        shown,
        threads.context,
        sections.context,
    )
    if visible.key is not None:
        cached = _PAGES.get(key)
        if cached is not None:
            return reader(cached)
    if placements is None:
        placements = revision_service.outline(session, revision).placements
    # The decisions this reader may see (editors: all; others: published rounds'). Every
    # decision, its withdrawal and a publication move the feedback version: in the key.
    threads.reviews = decisions.visible_reviews(
        session, revision.consultation_id, actor=current_user
    )
    if viewer.is_editor:
        threads.published_round_ids = frozenset(
            decisions.published_round_ids(
                session, revision.consultation_id, PublicationKind.DECISIONS
            )
        )
    views = feedback_views.located_views(session, visible.rows, placements)
    models, gone = build_sections(placements, views, filters, viewer.user_id, viewer.groups_by_user)
    document = sections.sections(models, threads.join_for_page)
    if gone:
        document += Markup(
            '<section class="doc-section gone" aria-labelledby="gone-h">'
            '<h2 id="gone-h" class="section-title">{}</h2><div class="rail">{}</div></section>'
        ).format(_("Beiträge zu Abschnitten, die es nicht mehr gibt"), threads.join_for_page(gone))
    # Cut at the threads' buttons (rendered for someone who wrote none of them) and
    # at the CSRF slots.
    items = {f.id: f for f in visible.rows}
    pieces: list[bytes] = []
    actions_at: dict[int, tuple[int, int]] = {}

    def add(html: str) -> None:
        first, *rest = html.split(CSRF_SLOT)
        pieces.append(first.encode())
        for after in rest:
            pieces.extend((_CSRF_SLOT, after.encode()))

    for n, piece in enumerate(_ACTIONS.split(str(document))):
        if n % 2:
            start = len(pieces)
            add(threads.actions(items[int(piece)], mine=False))
            actions_at[int(piece)] = (start, len(pieces))
        else:
            add(piece)
    organisations = sorted(
        {(f.organisation.id, f.organisation.name) for f in visible.rows if f.organisation},
        key=lambda pair: pair[1].lower(),
    )
    part = FeedbackPart(
        toc=str(sections.toc(models)).encode(),
        document=tuple(pieces),
        actions_at=actions_at,
        total=len(visible.rows),
        shown=len(shown) if shown is not None else len(visible.rows),
        organisations=tuple(organisations),
    )
    if visible.key is not None:
        _PAGES.put(key, part)
    return reader(part)


def page_response(html: str, part: ReaderPart) -> Response:
    """The page rendered around the placeholders, with the reader's part put in as bytes."""
    head, rest = html.encode().split(TOC.encode())
    middle, tail = rest.split(DOCUMENT.encode())
    body = b"".join([head, part.shared.toc, middle, *part.document(), tail])
    return Response(body, content_type="text/html; charset=utf-8")
