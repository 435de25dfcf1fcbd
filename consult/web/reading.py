"""The reading view's model: sections with highlights, threads and counts, filtered."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from consult.cache import LRUCache
from consult.db import parse_number
from consult.domain.highlight import Mark, Piece, pieces
from consult.domain.outline import Block, group_blocks
from consult.models import Placement
from consult.services.feedback_views import AnyFeedback, FeedbackView
from consult.web.change_labels import PLAIN, ChangeLabels


@dataclass
class Filters:
    mine: bool = False
    status: str = ""  # "" (all), "open"
    kind: str = ""  # "", "comment", "suggestion"
    group: int | None = None
    organisation: int | None = None
    #: Only the feedback given in one round (the start page's counters link here).
    round_id: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> Filters:
        def number(name: str) -> int | None:
            return parse_number(args.get(name))

        return cls(
            mine=args.get("mine") == "1",
            status="open" if args.get("status") == "open" else "",
            kind=kind if (kind := args.get("kind", "")) in ("comment", "suggestion") else "",
            group=number("group"),
            organisation=number("org"),
            round_id=number("round"),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.mine
            or self.status
            or self.kind
            or self.group
            or self.organisation
            or self.round_id
        )

    def accepts(
        self, item: AnyFeedback, user_id: int | None, groups_by_user: Mapping[int, set[int]]
    ) -> bool:
        """Whether the filters let the feedback item through."""
        if self.mine and item.author_id != user_id:
            return False
        if self.status == "open" and (item.status != "open" or item.withdrawn_at is not None):
            return False
        if self.kind and item.kind != self.kind:
            return False
        if self.group is not None and self.group not in groups_by_user.get(item.author_id, set()):
            return False
        if self.round_id is not None and item.round_id != self.round_id:
            return False
        return self.organisation is None or item.organisation_id == self.organisation


@dataclass
class SectionModel:
    placement: Placement
    threads: list[FeedbackView] = field(default_factory=list)
    _groups: list[tuple[str, list[Block]]] | None = None
    marks: list[Mark] = field(default_factory=list)
    replacements: dict[int, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.threads)

    @property
    def groups(self) -> list[tuple[str, list[Block]]]:
        """The body's paragraphs and lists (computed when first needed)."""
        if self._groups is None:
            self._groups = group_blocks(self.placement.version.body)
        return self._groups

    def block_html(self, block: Block, labels: ChangeLabels = PLAIN) -> Markup:
        """One block with its highlights: <mark> for comments, <del>/<ins> for suggestions.

        Text is escaped piece by piece; inserted replacement text is marked
        ``data-skip`` so the browser's offset count ignores it (TEXT.md 1), and so must
        the hidden ``labels`` be (consult.web.change_labels, ``skip=True``). A deletion
        cut into pieces by comments is labelled once, at the edges of the run.
        """
        if not self.marks:
            return escape(block.text)
        out: list[str] = []
        cut = pieces(block.text, block.start, self.marks, last=True)
        for n, piece in enumerate(cut):
            html = str(escape(piece.text))
            if piece.text and piece.suggestion_ids:
                ids = " ".join(str(i) for i in piece.suggestion_ids)
                html = labels.delete(
                    html,
                    f' class="sg-del" data-fb="{ids}"',
                    start=n == 0 or _deleting(cut[n - 1]) != piece.suggestion_ids,
                    end=bool(piece.then_insert)
                    or n + 1 == len(cut)
                    or _deleting(cut[n + 1]) != piece.suggestion_ids,
                )
            if piece.text and piece.comment_ids:
                ids = " ".join(str(i) for i in piece.comment_ids)
                html = f'<mark class="fb-mark" data-fb="{ids}">{html}</mark>'
            out.append(html)
            for suggestion_id in piece.then_insert:
                text = escape(self.replacements.get(suggestion_id, ""))
                if text:
                    attrs = f' class="sg-ins" data-skip="1" data-fb="{suggestion_id}"'
                    out.append(labels.ins(str(text), attrs))
        return Markup("".join(out))  # noqa: S704 - every piece escaped above

    def body_html(self, labels: ChangeLabels = PLAIN) -> Markup:
        """The section's blocks as HTML (paragraphs and lists with ``data-start``), with
        the hidden ``labels`` of suggestions shown in the text.

        Cached by everything it shows (the text, its highlights and the labels, which
        differ per language): the same for every reader.
        """
        key = (
            self.placement.version.body,
            tuple(self.marks),
            tuple(sorted(self.replacements.items())),
            labels,
        )
        cached = _BODY_CACHE.get(key)
        if cached is not None:
            return Markup(cached)  # noqa: S704 - built below from escaped pieces
        out: list[str] = []
        for kind, blocks in self.groups:
            if kind == "p":
                block = blocks[0]
                inner = self.block_html(block, labels)
                out.append(f'<p class="block" data-start="{block.start}">{inner}</p>')
                continue
            out.append(f"<{kind}>")
            for block in blocks:
                value = f' value="{escape(block.number)}"' if kind == "ol" else ""
                out.append(
                    f'<li class="block"{value} data-start="{block.start}">'
                    f"{self.block_html(block, labels)}</li>"
                )
            out.append(f"</{kind}>")
        html = "".join(out)
        _BODY_CACHE.put(key, html)
        return Markup(html)  # noqa: S704 - every piece escaped in block_html


#: Rendered section bodies by (text, highlights); the same for every reader.
BODY_CACHE_SIZE = 5000
_BODY_CACHE: LRUCache[tuple[object, ...], str] = LRUCache(BODY_CACHE_SIZE)


def _deleting(piece: Piece) -> tuple[int, ...]:
    """The suggestions whose deletion covers the piece (none for an empty piece)."""
    return piece.suggestion_ids if piece.text else ()


def _thread_order(view: FeedbackView) -> tuple[int, int, int]:
    if view.is_outdated:
        return (2, 0, view.feedback.id)
    if view.location is None:
        return (0, 0, view.feedback.id)
    return (1, view.location.start or 0, view.feedback.id)


def build_sections(
    placements: Sequence[Placement],
    views: Sequence[FeedbackView],
    filters: Filters,
    user_id: int | None,
    groups_by_user: Mapping[int, set[int]],
) -> tuple[list[SectionModel], list[FeedbackView]]:
    """Section models in reading order, and the feedback of sections that no longer exist."""
    models = {p.section_id: SectionModel(p) for p in placements}
    gone: list[FeedbackView] = []
    for view in views:
        if filters.active and not filters.accepts(view.feedback, user_id, groups_by_user):
            continue
        model = models.get(view.feedback.section_id)
        if model is None:
            gone.append(view)
            continue
        model.threads.append(view)
        item, where = view.feedback, view.location
        if (
            where is not None
            and where.state != "orphaned"
            and where.start is not None
            and where.end is not None
            and item.withdrawn_at is None
        ):
            is_suggestion = item.kind == "suggestion"
            if is_suggestion and item.status != "open":
                continue
            if is_suggestion and where.state == "fuzzy":
                # The text changed since: striking it and inserting the old proposal
                # would misstate both. Highlight it; the rail shows the proposal.
                is_suggestion = False
            model.marks.append(Mark(item.id, where.start, where.end, is_suggestion))
            if is_suggestion:
                model.replacements[item.id] = item.replacement or ""
    result = []
    for placement in placements:
        model = models[placement.section_id]
        model.threads.sort(key=_thread_order)
        if model.replacements:
            model.marks = _show_insertions(model.marks, [b for _, g in model.groups for b in g])
        result.append(model)
    return result, gone


def _show_insertions(marks: list[Mark], block_list: Sequence[Block]) -> list[Mark]:
    """Marks whose inserted text would fall between blocks, moved to a block's edge.

    A suggestion's replacement is shown where its range ends. That point may lie in the
    line breaks (or list marker) between two blocks, e.g. after a paragraph selected by
    triple click, which ends at the start of the next one; no block would show it. Such a
    mark ends at the end of the block before instead (or starts the first block), which
    changes no highlighted text, only where the replacement is drawn.
    """
    if not block_list:
        return marks
    ends = [b.start + len(b.text) for b in block_list]
    starts = [b.start for b in block_list]
    moved: list[Mark] = []
    for mark in marks:
        point = mark.end
        if not mark.is_suggestion or _shown_in_a_block(mark, starts, ends):
            moved.append(mark)
            continue
        before = bisect.bisect_left(ends, point) - 1  # the last block ending before the point
        if before < 0:
            edge = starts[0]
            moved.append(Mark(mark.feedback_id, edge, edge, True))
        else:
            edge = ends[before]
            moved.append(Mark(mark.feedback_id, min(mark.start, edge), edge, True))
    return moved


def _shown_in_a_block(mark: Mark, starts: Sequence[int], ends: Sequence[int]) -> bool:
    """True if a block shows the mark's replacement (as highlight.pieces decides, with
    ``last=True``): a range in the block holding its end, a point in the block around it."""
    index = bisect.bisect_right(starts, mark.end) - 1
    if index < 0:
        return False
    if mark.start < mark.end:
        return starts[index] < mark.end <= ends[index]
    return starts[index] <= mark.end <= ends[index]
