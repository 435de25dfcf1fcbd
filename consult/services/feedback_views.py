"""The read model of feedback: every comment, suggestion and reply of a consultation as
plain rows (kept per process until the consultation's feedback version moves), what one
reader may see of them, and where they stand in the revision being read."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session, aliased, selectinload

from consult.cache import LRUCache
from consult.models import (
    REMARK_SUPERSEDED,
    Consultation,
    Feedback,
    FeedbackKind,
    Organisation,
    Placement,
    Reply,
    Revision,
    Round,
    User,
)
from consult.services import access, feedback_versions, permissions, revisions
from consult.services.access import statement_rounds_published
from consult.services.feedback_locations import Location, locate


@dataclass
class FeedbackView:
    """A visible piece of feedback located in one revision."""

    feedback: AnyFeedback
    #: None for feedback on the whole section.
    location: Location | None
    #: The revision being read has no such section any more.
    section_missing: bool = False

    @property
    def is_outdated(self) -> bool:
        return self.section_missing or (
            self.location is not None and self.location.state == "orphaned"
        )


@dataclass(slots=True)
class Named:
    """An author or organisation as feedback shows it: id and name."""

    id: int
    name: str


@dataclass(slots=True)
class ReplyRow:
    id: int
    author_id: int
    author: Named
    organisation: Named | None
    body: str
    created_at: datetime


@dataclass(slots=True)
class FeedbackRow:
    """A piece of feedback as the reading view and the API list show it.

    The same attributes as :class:`consult.models.Feedback` (those they read), loaded as
    plain rows: thousands of them cost a fraction of ORM objects with relationships.
    The anchor's context (prefix and suffix) is left out: only locating needs it, and
    :func:`locate` loads it for the few it has not located before.
    """

    id: int
    kind: str
    round_id: int
    revision_id: int
    section_id: int
    version_id: int
    anchor_start: int | None
    anchor_end: int | None
    quote: str | None
    body: str
    replacement: str | None
    status: str
    author_id: int
    organisation_id: int | None
    created_at: datetime
    updated_at: datetime | None
    withdrawn_at: datetime | None
    consultation_id: int
    author: Named
    organisation: Named | None
    #: Shared while empty (most are): a list only for those with replies.
    replies: Sequence[ReplyRow] = ()

    @property
    def has_anchor(self) -> bool:
        return self.anchor_start is not None


#: What the reading view and the API accept: a model object or a row.
AnyFeedback = Feedback | FeedbackRow

#: The columns of a FeedbackRow read from the table, in the dataclass order.
_ROW_COLUMNS = (
    Feedback.id,
    Feedback.kind,
    Feedback.round_id,
    Feedback.revision_id,
    Feedback.section_id,
    Feedback.version_id,
    Feedback.anchor_start,
    Feedback.anchor_end,
    Feedback.quote,
    Feedback.body,
    Feedback.replacement,
    Feedback.status,
    Feedback.author_id,
    Feedback.organisation_id,
    Feedback.created_at,
    Feedback.updated_at,
    Feedback.withdrawn_at,
)
_AUTHOR_ID = [c.key for c in _ROW_COLUMNS].index("author_id")
_ORGANISATION_ID = [c.key for c in _ROW_COLUMNS].index("organisation_id")


@functools.cache
def _row_queries() -> tuple[Select[Any], Select[Any]]:
    """The two queries of :func:`feedback_rows`, built once (building costs more than
    running them from SQLAlchemy's statement cache)."""
    consultation_id = bindparam("consultation_id", type_=Integer)
    author, organisation = aliased(User), aliased(Organisation)
    feedback = (
        select(*_ROW_COLUMNS, author.name, organisation.name)
        .join(author, author.id == Feedback.author_id)
        .outerjoin(organisation, organisation.id == Feedback.organisation_id)
        .where(Feedback.consultation_id == consultation_id)
        .order_by(Feedback.id)
    )
    reply_author, reply_organisation = aliased(User), aliased(Organisation)
    replies = (
        select(
            Reply.id,
            Reply.feedback_id,
            Reply.author_id,
            reply_author.name,
            Reply.organisation_id,
            reply_organisation.name,
            Reply.body,
            Reply.created_at,
        )
        .join(reply_author, reply_author.id == Reply.author_id)
        .outerjoin(reply_organisation, reply_organisation.id == Reply.organisation_id)
        .join(Feedback, Feedback.id == Reply.feedback_id)
        .where(Feedback.consultation_id == consultation_id)
        .order_by(Reply.id)
    )
    return feedback, replies  # type: ignore[return-value]  # typed tuples, used as rows


def feedback_rows(session: Session, consultation_id: int) -> list[FeedbackRow]:
    """All feedback of a consultation with author and organisation names and replies,
    in two queries. Raises nothing."""
    feedback_query, replies_query = _row_queries()
    params = {"consultation_id": consultation_id}
    # Core execution and plain tuples: no ORM objects, no Row attribute lookups, one
    # Named per person (together two thirds of the time for thousands of rows).
    connection = session.connection()
    names: dict[tuple[int, str], Named] = {}

    def named(id_: int | None, name: str | None) -> Named | None:
        if id_ is None or name is None:
            return None
        found = names.get((id_, name))
        if found is None:
            found = names[(id_, name)] = Named(id_, name)
        return found

    items: list[FeedbackRow] = []
    for row in connection.execute(feedback_query, params).all():
        *columns, author_name, organisation_name = tuple(row)
        author = named(columns[_AUTHOR_ID], author_name)
        assert author is not None  # an inner join
        items.append(
            FeedbackRow(  # type: ignore[misc,call-arg]  # the columns in the dataclass order
                *columns,
                consultation_id,
                author=author,
                organisation=named(columns[_ORGANISATION_ID], organisation_name),
            )
        )
    if items:
        replies: dict[int, list[ReplyRow]] = defaultdict(list)
        for reply in connection.execute(replies_query, params).all():
            rid, feedback_id, author_id, name, org_id, org_name, body, created_at = tuple(reply)
            replier = named(author_id, name)
            assert replier is not None  # an inner join
            replies[feedback_id].append(
                ReplyRow(rid, author_id, replier, named(org_id, org_name), body, created_at)
            )
        for item in items:
            if item.id in replies:
                item.replies = replies[item.id]
    return items


#: The rows of a consultation's feedback (by id and creation) with the version they
#: are, in this process: a reading view loads them again only when the version moved.
_ROWS_CACHE: LRUCache[
    tuple[int, datetime], tuple[feedback_versions.VersionKey, tuple[FeedbackRow, ...]]
] = LRUCache(32)


def current_feedback_rows(
    session: Session, consultation_id: int
) -> tuple[feedback_versions.VersionKey | None, Sequence[FeedbackRow]]:
    """All feedback of the consultation (as :func:`feedback_rows`), and the key of the
    version they are. Kept per process and loaded again only when the consultation's
    feedback version moved; so the rows are shared: never change them. Nothing is kept
    (and the key is None) when this transaction changed the consultation's feedback.
    Raises nothing."""
    key = feedback_versions.current(session, consultation_id)
    if key is not None:
        cached = _ROWS_CACHE.get((key.consultation_id, key.created_at))
        if cached is not None and cached[0] == key:
            return key, cached[1]
    rows = tuple(feedback_rows(session, consultation_id))
    if key is not None:  # (an older version's rows are not needed any more)
        _ROWS_CACHE.put((key.consultation_id, key.created_at), (key, rows))
    return key, rows


@dataclass(frozen=True)
class VisibleRows:
    """The feedback of a consultation one reader may see, as of one feedback version."""

    #: The consultation's feedback version (None: not to be cached).
    key: feedback_versions.VersionKey | None
    rows: Sequence[FeedbackRow]
    #: The ids of ``rows``: part of the key of anything cached from them.
    ids: tuple[int, ...]


def visible_rows(
    session: Session, consultation: Consultation, viewer: permissions.FeedbackViewer
) -> VisibleRows:
    """The consultation's feedback that the viewer may see (permissions.can_see_feedback;
    withdrawn items only to their author and editors), from the current rows. Raises nothing."""
    key, items = current_feedback_rows(session, consultation.id)
    round_rules = {
        r.id: (r.visibility, set(r.working_group_ids))
        for r in session.scalars(
            select(Round)
            .where(Round.consultation_id == consultation.id)
            .options(selectinload(Round.groups))
        )
    }
    remark = FeedbackKind.REMARK.value
    # Statements' section remarks follow the statements' visibility, not the round's:
    # which rounds published their statements is asked only when there are any.
    published: set[int] = (
        statement_rounds_published(session, consultation.id)
        if not viewer.is_editor and any(f.kind == remark for f in items)
        else set()
    )
    visible = [
        f
        for f in items
        if (
            permissions.can_see_remark(
                viewer,
                author_id=f.author_id,
                organisation_id=f.organisation_id,
                round_id=f.round_id,
                published_round_ids=published,
            )
            if f.kind == remark
            else permissions.can_see_feedback(
                viewer,
                author_id=f.author_id,
                round_id=f.round_id,
                visibility=round_rules[f.round_id][0],
                round_group_ids=round_rules[f.round_id][1],
            )
        )
        and (f.withdrawn_at is None or access.sees_withdrawn(viewer, f.author_id))
        # A remark of an earlier version of a statement is not part of the text's feedback
        # any more (the statement's versions keep it).
        and not (f.kind == remark and f.status == REMARK_SUPERSEDED)
    ]
    return VisibleRows(key, visible, tuple(f.id for f in visible))


def located_views(
    session: Session, items: Sequence[AnyFeedback], placements: Sequence[Placement]
) -> list[FeedbackView]:
    """The items located in the revision of ``placements`` (feedback of sections it no
    longer has is marked ``section_missing``). Raises nothing."""
    targets = {p.section_id: p.version_id for p in placements}
    located = locate(session, items, targets)
    views = []
    for item in items:
        if item.section_id not in targets:
            location = Location("orphaned", None, None, item.quote) if item.has_anchor else None
            views.append(FeedbackView(item, location, section_missing=True))
        elif item.has_anchor:
            views.append(FeedbackView(item, located[item.id]))
        else:
            views.append(FeedbackView(item, None))
    return views


def visible_feedback(
    session: Session,
    revision: Revision,
    *,
    actor: object,
    placements: Sequence[Placement] | None = None,
    viewer: permissions.FeedbackViewer | None = None,
) -> list[FeedbackView]:
    """All feedback of the consultation the actor may see, located in this revision.

    A constant number of queries, whatever the number of sections or comments.
    Raises nothing (the caller loaded the revision through access.get_revision)."""
    if placements is None:
        placements = revisions.outline(session, revision).placements
    if viewer is None:
        viewer = permissions.feedback_viewer(session, actor, revision.consultation)
    visible = visible_rows(session, revision.consultation, viewer)
    return located_views(session, visible.rows, placements)
