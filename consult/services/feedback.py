"""Comments, suggestions and replies: anchoring, visibility, re-anchoring (TEXT.md 2-3)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from consult.cache import LRUCache
from consult.db import store_cached, utcnow
from consult.domain.anchoring import (
    LOCATE_ALGORITHM,
    Anchor,
    make_anchor,
    relocate_many,
    validate_anchor,
)
from consult.domain.errors import AnchorError
from consult.domain.textnorm import normalize_text
from consult.errors import Conflict, Invalid, NotFound, ServiceError
from consult.models import (
    Consultation,
    Feedback,
    FeedbackEdit,
    FeedbackKind,
    FeedbackLocation,
    Organisation,
    Placement,
    Reply,
    Revision,
    Round,
    SectionVersion,
    User,
)
from consult.services import feedback_versions, mail, permissions
from consult.services import revisions as revision_service
from consult.services import rounds as round_service

#: Longest comment, reply, reason or replacement (code points).
MAX_TEXT = 10_000
_UNSET: Any = object()

COMMENT_STATUSES = ("open", "resolved")
SUGGESTION_STATUSES = ("open", "accepted", "rejected", "withdrawn", "applied")


@dataclass(frozen=True)
class Location:
    """Where a piece of feedback stands in the revision being read."""

    state: str  # exact, moved, fuzzy, orphaned
    start: int | None
    end: int | None
    quote: str | None


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
    in two queries."""
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


# --- input ---------------------------------------------------------------------------


def clean_text(
    value: object, field: str, label: str, *, required: bool = True, allow_empty: bool = False
) -> str:
    """Plain text, NFC, ``\\n`` line ends, at most MAX_TEXT code points. Raises Invalid."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Invalid(
            _("%(label)s fehlt oder ist kein Text.", label=label),
            code=f"invalid_{field}",
            fields={field: _("Bitte angeben.")},
        )
    text = normalize_text(value) if not allow_empty else value.replace("\r\n", "\n")
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text: refuse it (422), never fail later (500).
        raise Invalid(
            _("%(label)s enthält ein unzulässiges Steuerzeichen (NUL).", label=label),
            code=f"invalid_{field}",
            fields={field: _("Unzulässiges Zeichen.")},
        )
    if not allow_empty and required and not text.strip():
        raise Invalid(
            _("%(label)s ist leer.", label=label),
            code=f"invalid_{field}",
            fields={field: _("Bitte angeben.")},
        )
    if len(text) > MAX_TEXT:
        raise Invalid(
            _(
                "%(label)s ist zu lang (höchstens %(limit)s Zeichen).",
                label=label,
                limit=format_decimal(MAX_TEXT),
            ),
            code=f"invalid_{field}",
            fields={field: _("Höchstens %(limit)d Zeichen.", limit=MAX_TEXT)},
        )
    return text


def parse_anchor(body: str, anchor: object, *, insertion_allowed: bool) -> Anchor:
    """An anchor ``{start, end, quote}`` checked against the body. Raises Invalid (422)."""
    if not isinstance(anchor, dict):
        raise Invalid(
            _("„anchor“ muss ein Objekt mit start, end und quote sein (oder null)."),
            code="invalid_anchor",
        )
    start, end, quote = anchor.get("start"), anchor.get("end"), anchor.get("quote")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise Invalid(_("start und end müssen ganze Zahlen sein."), code="invalid_anchor")
    if not isinstance(quote, str):
        raise Invalid(_("quote muss Text sein."), code="invalid_anchor")
    assert isinstance(start, int) and isinstance(end, int)
    if start > end:
        raise Invalid(_("start darf nicht hinter end liegen."), code="invalid_anchor")
    if start < 0 or end > len(body):
        raise Invalid(
            _(
                "Die Textstelle %(start)d–%(end)d liegt außerhalb des Abschnitts "
                "(%(length)d Zeichen).",
                start=start,
                end=end,
                length=len(body),
            ),
            code="anchor_out_of_range",
        )
    if start == end and not insertion_allowed:
        raise Invalid(
            _(
                "Ein Kommentar braucht eine markierte Textstelle (start < end) oder "
                "anchor: null für den ganzen Abschnitt."
            ),
            code="invalid_anchor",
        )
    try:
        return validate_anchor(body, start, end, quote)
    except AnchorError:
        raise Invalid(
            _(
                "Das Zitat stimmt nicht mit dem Text an dieser Stelle überein. Wurde der "
                "Text inzwischen geändert? Bitte laden Sie die Seite neu."
            ),
            code="quote_mismatch",
        ) from None


def anchor_from_quote(body: str, quote: str) -> Anchor:
    """The anchor of a quoted phrase typed by hand (forms without JavaScript).

    Raises Invalid when the phrase is not in the section or occurs more than once.
    """
    phrase = normalize_text(quote).strip()
    if not phrase:
        raise Invalid(_("Das Zitat ist leer."), code="invalid_quote", fields={"quote": _("Leer.")})
    first = body.find(phrase)
    if first < 0:
        raise Invalid(
            _("Diese Textstelle steht nicht im Abschnitt. Bitte kopieren Sie sie genau."),
            code="quote_not_found",
            fields={"quote": _("Nicht im Abschnitt gefunden.")},
        )
    if body.find(phrase, first + 1) >= 0:
        raise Invalid(
            _("Diese Textstelle kommt mehrfach vor. Bitte zitieren Sie etwas mehr Text."),
            code="quote_ambiguous",
            fields={"quote": _("Kommt mehrfach vor.")},
        )
    return make_anchor(body, first, first + len(phrase))


def _placement(session: Session, revision: Revision, section_id: int) -> Placement:
    placement = session.scalar(
        select(Placement)
        .where(Placement.revision_id == revision.id, Placement.section_id == section_id)
        .options(joinedload(Placement.version))
    )
    if placement is None:
        raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
    return placement


# --- writing -------------------------------------------------------------------------


def _new_feedback(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    kind: FeedbackKind,
    anchor: object,
    quote: str | None,
    now: datetime | None,
) -> tuple[Feedback, str]:
    user = permissions.require_user(actor)
    revision = revision_service.get_revision(session, revision_id, actor=actor)
    placement = _placement(session, revision, section_id)
    round_ = round_service.feedback_round(session, revision, user, now)
    body_text = placement.version.body
    located: Anchor | None
    if quote:
        located = anchor_from_quote(body_text, quote)
    elif anchor is None:
        if kind is FeedbackKind.SUGGESTION:
            raise Invalid(
                _("Ein Änderungsvorschlag braucht eine Textstelle (anchor)."),
                code="invalid_anchor",
            )
        located = None
    else:
        located = parse_anchor(body_text, anchor, insertion_allowed=kind is FeedbackKind.SUGGESTION)
    feedback = Feedback(
        kind=kind.value,
        consultation_id=revision.consultation_id,
        round_id=round_.id,
        revision_id=revision.id,
        section_id=section_id,
        version_id=placement.version_id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        status="open",
        created_at=now or utcnow(),
    )
    if located is not None:
        feedback.anchor_start, feedback.anchor_end = located.start, located.end
        feedback.quote, feedback.prefix, feedback.suffix = (
            located.quote,
            located.prefix,
            located.suffix,
        )
    return feedback, body_text


def create_comment(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    body: object,
    anchor: object = None,
    quote: str | None = None,
    now: datetime | None = None,
) -> Feedback:
    """A comment on a text range (anchor) or the whole section (anchor None).

    ``quote`` (forms without JavaScript) anchors on a phrase typed by hand. Raises
    NotFound, NotPermitted (not invited), Conflict (round not open), Invalid.
    """
    text = clean_text(body, "body", _("Der Kommentar"))
    feedback, _body_text = _new_feedback(
        session,
        revision_id,
        section_id,
        actor=actor,
        kind=FeedbackKind.COMMENT,
        anchor=anchor,
        quote=quote,
        now=now,
    )
    feedback.body = text
    session.add(feedback)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def create_suggestion(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    replacement: object,
    anchor: object = None,
    reason: object = None,
    quote: str | None = None,
    now: datetime | None = None,
) -> Feedback:
    """A proposed replacement of a range (insertion: start == end; deletion: "")."""
    new_text = clean_text(replacement, "replacement", _("Der neue Text"), allow_empty=True)
    why = clean_text(reason, "reason", _("Die Begründung"), required=False)
    feedback, _body_text = _new_feedback(
        session,
        revision_id,
        section_id,
        actor=actor,
        kind=FeedbackKind.SUGGESTION,
        anchor=anchor,
        quote=quote,
        now=now,
    )
    if feedback.quote == new_text:
        raise Invalid(
            _("Der Vorschlag ändert nichts am Text."),
            code="no_change",
            fields={"replacement": _("Bitte den Text ändern.")},
        )
    feedback.replacement = new_text
    feedback.body = why
    session.add(feedback)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def get_feedback(
    session: Session, feedback_id: int, *, actor: object, kind: FeedbackKind | None = None
) -> Feedback:
    """Feedback the actor may see; NotFound otherwise (also for the other kind)."""
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or (kind is not None and feedback.kind != kind.value):
        raise NotFound(_("Diesen Beitrag gibt es nicht."))
    consultation = session.get(Revision, feedback.revision_id)
    assert consultation is not None
    viewer = permissions.feedback_viewer(session, actor, consultation.consultation)
    round_ = session.get(Round, feedback.round_id)
    assert round_ is not None
    if not permissions.can_see_feedback(
        viewer,
        author_id=feedback.author_id,
        round_id=round_.id,
        visibility=round_.visibility,
        round_group_ids=set(round_.working_group_ids),
    ) or (feedback.withdrawn_at is not None and not _is_author_or_editor(viewer, feedback)):
        raise NotFound(_("Diesen Beitrag gibt es nicht."))
    return feedback


def _is_author_or_editor(viewer: permissions.FeedbackViewer, feedback: AnyFeedback) -> bool:
    return viewer.is_editor or viewer.user_id == feedback.author_id


def _require_open_round(session: Session, feedback: Feedback, now: datetime | None) -> None:
    round_ = session.get(Round, feedback.round_id)
    assert round_ is not None
    if round_.status_at(now or utcnow()) != "open":
        raise Conflict(
            _("Die Beteiligungsrunde ist beendet; Beiträge lassen sich nicht mehr ändern."),
            code="round_closed",
        )


def require_can_reply(
    session: Session, feedback: Feedback, *, actor: object, now: datetime | None = None
) -> None:
    """Raise unless the actor may answer in this (visible) thread now: editors at any
    time, the round's invited people while it is open; never once it is withdrawn."""
    user = permissions.require_user(actor)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    if not permissions.can_moderate_feedback(session, user, revision.consultation):
        round_ = session.get(Round, feedback.round_id)
        assert round_ is not None
        permissions.require(
            permissions.can_give_feedback(session, user, round_),
            _("Sie sind zu dieser Beteiligungsrunde nicht eingeladen."),
        )
        _require_open_round(session, feedback, now)
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Beitrag wurde zurückgezogen."), code="withdrawn")


def reply(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    body: object,
    now: datetime | None = None,
    notify: bool = True,
) -> Reply:
    """A reply in the thread. Editors may answer at any time, others while the round is open.

    The thread's author and everyone who answered before get an e-mail (unless they
    turned that off, or can no longer see the thread).
    """
    user = permissions.require_user(actor)
    text = clean_text(body, "body", _("Die Antwort"))
    feedback = get_feedback(session, feedback_id, actor=actor)
    require_can_reply(session, feedback, actor=user, now=now)
    answer = Reply(
        feedback_id=feedback.id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        body=text,
        created_at=now or utcnow(),
    )
    session.add(answer)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    if notify:
        _notify_thread(session, feedback, answer, user)
    return answer


def _notify_thread(session: Session, feedback: Feedback, answer: Reply, replier: User) -> None:
    earlier = session.scalars(
        select(Reply.author_id).where(Reply.feedback_id == feedback.id, Reply.id != answer.id)
    )
    people = dict.fromkeys([feedback.author_id, *earlier])
    people.pop(replier.id, None)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    wanting = session.scalars(
        select(User)
        .where(User.id.in_(list(people)), User.is_active.is_(True), User.notify_replies.is_(True))
        .order_by(User.id)
    )
    for person in wanting:
        try:
            get_feedback(session, feedback.id, actor=person)
        except ServiceError:
            continue  # no longer allowed to see it (e.g. left the working group)
        mail.queue_template(
            session,
            person,
            "reply_notice",
            feedback=feedback,
            reply=answer,
            replier=replier,
            consultation=revision.consultation,
        )


def edit(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    body: object = _UNSET,
    replacement: object = _UNSET,
    now: datetime | None = None,
) -> Feedback:
    """The author changes the text while the round is open; the earlier text is kept."""
    user = permissions.require_user(actor)
    feedback = get_feedback(session, feedback_id, actor=actor)
    permissions.require(
        feedback.author_id == user.id,
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag bearbeiten."),
    )
    _require_open_round(session, feedback, now)
    if feedback.withdrawn_at is not None or feedback.status not in ("open",):
        raise Conflict(_("Dieser Beitrag kann nicht mehr bearbeitet werden."), code="not_editable")
    is_suggestion = feedback.kind == FeedbackKind.SUGGESTION.value
    new_body = feedback.body
    if body is not _UNSET:
        new_body = clean_text(body, "body", _("Der Text"), required=not is_suggestion)
    new_replacement = feedback.replacement
    if replacement is not _UNSET:
        if not is_suggestion:
            raise Invalid(_("Ein Kommentar hat keinen neuen Text."), code="invalid_replacement")
        new_replacement = clean_text(
            replacement, "replacement", _("Der neue Text"), allow_empty=True
        )
        if new_replacement == feedback.quote:
            raise Invalid(_("Der Vorschlag ändert nichts am Text."), code="no_change")
    if new_body == feedback.body and new_replacement == feedback.replacement:
        return feedback
    stamp = now or utcnow()
    session.add(
        FeedbackEdit(
            feedback_id=feedback.id,
            body=feedback.body,
            replacement=feedback.replacement,
            edited_at=stamp,
        )
    )
    feedback.body, feedback.replacement, feedback.updated_at = new_body, new_replacement, stamp
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def withdraw(
    session: Session, feedback_id: int, *, actor: object, now: datetime | None = None
) -> Feedback:
    """The author withdraws their comment or suggestion (it stays on record)."""
    user = permissions.require_user(actor)
    feedback = get_feedback(session, feedback_id, actor=actor)
    permissions.require(
        feedback.author_id == user.id,
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag zurückziehen."),
    )
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Beitrag ist schon zurückgezogen."), code="withdrawn")
    if feedback.status not in ("open", "resolved"):
        raise Conflict(_("Über diesen Vorschlag ist schon entschieden."), code="decided")
    _require_open_round(session, feedback, now)
    feedback.withdrawn_at = now or utcnow()
    if feedback.kind == FeedbackKind.SUGGESTION.value:
        feedback.status = "withdrawn"
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


def set_resolved(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    resolved: bool,
    now: datetime | None = None,
) -> Feedback:
    """Resolve or reopen a comment thread (editors and the comment's author)."""
    user = permissions.require_user(actor)
    feedback = get_feedback(session, feedback_id, actor=actor, kind=FeedbackKind.COMMENT)
    revision = session.get(Revision, feedback.revision_id)
    assert revision is not None
    permissions.require(
        feedback.author_id == user.id
        or permissions.can_moderate_feedback(session, user, revision.consultation),
        _("Nur die Redaktion und die Verfasserin oder der Verfasser können das."),
    )
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Kommentar wurde zurückgezogen."), code="withdrawn")
    feedback.status = "resolved" if resolved else "open"
    feedback.resolved_at = (now or utcnow()) if resolved else None
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return feedback


# --- locating ------------------------------------------------------------------------


def _anchors_of(session: Session, items: Sequence[AnyFeedback]) -> list[Anchor]:
    """The stored anchors of the items, with their context (which rows do not carry)."""
    context: dict[int, tuple[str | None, str | None]] = {}
    rows = [i.id for i in items if not isinstance(i, Feedback)]
    for chunk in range(0, len(rows), 5000):
        context.update(
            (id_, (prefix, suffix))
            for id_, prefix, suffix in session.execute(
                select(Feedback.id, Feedback.prefix, Feedback.suffix).where(
                    Feedback.id.in_(rows[chunk : chunk + 5000])
                )
            )
        )
    anchors = []
    for item in items:
        assert item.anchor_start is not None and item.anchor_end is not None
        prefix, suffix = (
            (item.prefix, item.suffix) if isinstance(item, Feedback) else context[item.id]
        )
        anchors.append(
            Anchor(item.anchor_start, item.anchor_end, item.quote or "", prefix or "", suffix or "")
        )
    return anchors


def locate(
    session: Session, items: Sequence[AnyFeedback], target_versions: dict[int, int]
) -> dict[int, Location]:
    """Locations of anchored feedback in the given versions (section id -> version id).

    Stored results are read; missing ones, and those placed by an earlier version of
    the rules, are computed (one diff per pair of versions) and stored. Feedback on
    the whole section is not in the result.
    """
    result: dict[int, Location] = {}
    pending: list[AnyFeedback] = []
    for item in items:
        if not item.has_anchor or item.section_id not in target_versions:
            continue
        if target_versions[item.section_id] == item.version_id:
            result[item.id] = Location("exact", item.anchor_start, item.anchor_end, item.quote)
        else:
            pending.append(item)
    if not pending:
        return result
    wanted_versions = {target_versions[i.section_id] for i in pending}
    stored = session.execute(
        select(FeedbackLocation).where(
            FeedbackLocation.feedback_id.in_([i.id for i in pending]),
            FeedbackLocation.version_id.in_(wanted_versions),
            FeedbackLocation.algorithm == LOCATE_ALGORITHM,
        )
    ).scalars()
    by_key = {(loc.feedback_id, loc.version_id): loc for loc in stored}
    missing: dict[tuple[int, int], list[AnyFeedback]] = defaultdict(list)
    for item in pending:
        target = target_versions[item.section_id]
        loc = by_key.get((item.id, target))
        if loc is None:
            missing[(item.version_id, target)].append(item)
        else:
            result[item.id] = Location(loc.state, loc.start, loc.end, item.quote)
    if missing:
        version_ids = {v for pair in missing for v in pair}
        bodies: dict[int, str] = {
            version_id: body
            for version_id, body in session.execute(
                select(SectionVersion.id, SectionVersion.body).where(
                    SectionVersion.id.in_(version_ids)
                )
            )
        }
        rows: list[dict[str, object]] = []
        for (origin, target), group in missing.items():
            located = relocate_many(_anchors_of(session, group), bodies[origin], bodies[target])
            for item, where in zip(group, located, strict=True):
                result[item.id] = Location(where.state, where.start, where.end, item.quote)
                rows.append(
                    {
                        "feedback_id": item.id,
                        "version_id": target,
                        "state": where.state,
                        "start": where.start,
                        "end": where.end,
                        "algorithm": LOCATE_ALGORITHM,
                    }
                )
        store_cached(session, FeedbackLocation, rows, keys=["feedback_id", "version_id"])
    return result


def locate_for_revision(session: Session, revision: Revision) -> int:
    """Compute and store where every earlier anchored feedback stands in this revision.

    Called when a revision is published, so reading it never computes. Returns the
    number of pieces of feedback considered.
    """
    placements = revision_service.outline(session, revision).placements
    targets = {p.section_id: p.version_id for p in placements}
    items = session.scalars(
        select(Feedback).where(
            Feedback.consultation_id == revision.consultation_id,
            Feedback.anchor_start.is_not(None),
            Feedback.section_id.in_(list(targets)),
        )
    ).all()
    locate(session, items, targets)
    return len(items)


# --- reading -------------------------------------------------------------------------


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
    (and the key is None) when this transaction changed the consultation's feedback."""
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
    withdrawn items only to their author and editors), from the current rows."""
    key, items = current_feedback_rows(session, consultation.id)
    round_rules = {
        r.id: (r.visibility, set(r.working_group_ids))
        for r in session.scalars(
            select(Round)
            .where(Round.consultation_id == consultation.id)
            .options(selectinload(Round.groups))
        )
    }
    visible = [
        f
        for f in items
        if permissions.can_see_feedback(
            viewer,
            author_id=f.author_id,
            round_id=f.round_id,
            visibility=round_rules[f.round_id][0],
            round_group_ids=round_rules[f.round_id][1],
        )
        and (f.withdrawn_at is None or _is_author_or_editor(viewer, f))
    ]
    return VisibleRows(key, visible, tuple(f.id for f in visible))


def located_views(
    session: Session, items: Sequence[AnyFeedback], placements: Sequence[Placement]
) -> list[FeedbackView]:
    """The items located in the revision of ``placements`` (feedback of sections it no
    longer has is marked ``section_missing``)."""
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
    """
    if placements is None:
        placements = revision_service.outline(session, revision).placements
    if viewer is None:
        viewer = permissions.feedback_viewer(session, actor, revision.consultation)
    visible = visible_rows(session, revision.consultation, viewer)
    return located_views(session, visible.rows, placements)
