"""The start page: each person's consultations and what is expected of them, by when.

:func:`start_page` collects, for the signed-in person, the rounds they are invited to
(open now, opening soon, closed recently) with their own comments and suggestions in
each; for the consultations they edit, every running round with the feedback received
(totals, new in the last days, still open) and whether the deadline reminder went out,
the rounds about to open, the rounds just closed and the drafts in progress; for the
consultations they observe, the revisions they may read. Each list comes in the order of
urgency (the nearest deadline first).

It asks the database a constant number of questions (at most seven), however many
consultations, rounds, revisions and feedback there are: the consultations with the
person's role, their roles and invitations (:func:`permissions.decide_many`), the
rounds of the last weeks and the future, the feedback counted per round, the reminders
counted per round, and the revisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, contains_eager

from consult.db import utcnow
from consult.models import (
    Consultation,
    Feedback,
    FeedbackKind,
    Revision,
    RevisionStatus,
    Role,
    Round,
    RoundReminder,
    User,
)
from consult.services import consultations, permissions
from consult.services.reminders import REMINDER_BEFORE

#: A round closed at most this long ago is shown as "recently closed".
RECENTLY_CLOSED = timedelta(days=30)
#: Feedback received at most this long ago counts as new for the editors.
NEW_FEEDBACK = timedelta(days=7)

OPEN, SCHEDULED, CLOSED = "open", "scheduled", "closed"


@dataclass(frozen=True)
class Counts:
    """Comments, suggestions and the section remarks of statements (withdrawn and
    superseded ones left out)."""

    comments: int = 0
    suggestions: int = 0
    remarks: int = 0

    @property
    def total(self) -> int:
        return self.comments + self.suggestions + self.remarks


@dataclass(frozen=True)
class Reminder:
    """The e-mail reminder of a running round's deadline (REMINDER_BEFORE the deadline).

    ``state``: "sent" (``at`` when, to ``people`` persons), "due" (``at`` has passed and
    nothing went out for the deadline in force: the scheduled job does not run?) or
    "planned" (at ``at``).
    """

    state: str
    at: datetime
    people: int = 0


@dataclass
class RoundItem:
    """A round on the start page, as the person's role sees it."""

    round: Round
    consultation: Consultation
    #: OPEN, SCHEDULED or CLOSED (at the page's ``now``).
    status: str
    #: The deadline in force (an early close included).
    closes_at: datetime
    #: How the person takes part: Role.EDITOR (runs the consultation), Role.MUNICIPALITY
    #: (invited as a municipality) or Role.PARTICIPANT (invited through a working group).
    role: Role
    #: The person's own comments and suggestions in the round.
    own: Counts = field(default_factory=Counts)
    #: Editors only: all feedback received, what came in within NEW_FEEDBACK, and what is
    #: still open (not resolved, decided or withdrawn).
    received: Counts | None = None
    new: int = 0
    still_open: int = 0
    #: Editors, running rounds only.
    reminder: Reminder | None = None
    #: Closed rounds: the next published revision the person may read (what came of it).
    next_revision: Revision | None = None

    @property
    def revision(self) -> Revision:
        return self.round.revision

    @property
    def for_editor(self) -> bool:
        return self.role is Role.EDITOR

    @property
    def for_municipality(self) -> bool:
        return self.role is Role.MUNICIPALITY


@dataclass(frozen=True)
class ReadingItem:
    """A consultation the person observes: the revisions they may read, newest first."""

    consultation: Consultation
    revisions: list[Revision]

    @property
    def latest(self) -> Revision:
        return self.revisions[0]

    @property
    def previous(self) -> Revision | None:
        return self.revisions[1] if len(self.revisions) > 1 else None


@dataclass
class StartPage:
    """What the start page shows one person (see :func:`start_page`)."""

    now: datetime
    #: Every consultation the person may see, with their role (None: seen as admin).
    consultations: list[tuple[Consultation, str | None]] = field(default_factory=list)
    #: Open rounds (invited, or edited), the nearest deadline first.
    running: list[RoundItem] = field(default_factory=list)
    #: Rounds not yet open, the soonest first.
    upcoming: list[RoundItem] = field(default_factory=list)
    #: Rounds closed within RECENTLY_CLOSED, the latest first.
    closed: list[RoundItem] = field(default_factory=list)
    #: Drafts of the consultations the person edits, the newest first.
    drafts: list[Revision] = field(default_factory=list)
    #: The consultations the person observes.
    reading: list[ReadingItem] = field(default_factory=list)
    #: Roles the person has in any consultation.
    roles: set[Role] = field(default_factory=set)
    is_admin: bool = False

    @property
    def new_since(self) -> datetime:
        return self.now - NEW_FEEDBACK

    @property
    def takes_part(self) -> bool:
        """Invited to rounds or running them (participants, municipalities, editors)."""
        return bool(self.roles & {Role.EDITOR, Role.PARTICIPANT, Role.MUNICIPALITY})


def start_page(session: Session, *, actor: object, now: datetime | None = None) -> StartPage:
    """What the start page shows ``actor``: see the module's description. Admins see every
    consultation in the list, but tasks only where they are members. Raises nothing (an
    anonymous or inactive actor gets an empty page)."""
    now = now or utcnow()
    page = StartPage(now=now)
    if not isinstance(actor, User) or not actor.is_active:
        return page
    page.is_admin = permissions.is_admin(actor)
    page.consultations = consultations.list_for_user(session, actor=actor)
    permissions.decide_many(session, actor, [c.id for c, _role in page.consultations])
    roles: dict[int, Role] = {}
    for consultation, _role in page.consultations:
        role = permissions.role_in(session, actor, consultation.id)
        if role is not None:
            roles[consultation.id] = role
    page.roles = set(roles.values())
    if not roles:
        return page
    by_id = {c.id: c for c, _role in page.consultations}

    items = _round_items(session, actor, roles, by_id, now)
    _count_feedback(session, actor, items, now)
    _add_reminders(session, items, now)
    revisions = _revisions(session, actor, roles)
    _link_next_revisions(items, revisions)

    page.running = sorted((i for i in items if i.status == OPEN), key=lambda i: i.closes_at)
    page.upcoming = sorted(
        (i for i in items if i.status == SCHEDULED), key=lambda i: i.round.opens_at
    )
    page.closed = sorted(
        (i for i in items if i.status == CLOSED), key=lambda i: i.closes_at, reverse=True
    )
    page.drafts = sorted(
        (
            r
            for r in revisions
            if r.status == RevisionStatus.DRAFT.value and roles[r.consultation_id] is Role.EDITOR
        ),
        key=lambda r: r.created_at,
        reverse=True,
    )
    page.reading = [
        ReadingItem(consultation=by_id[cid], revisions=found)
        for cid, role in roles.items()
        if role is Role.OBSERVER
        and (found := _published(r for r in revisions if r.consultation_id == cid))
    ]
    return page


def _round_items(
    session: Session,
    actor: User,
    roles: dict[int, Role],
    by_id: dict[int, Consultation],
    now: datetime,
) -> list[RoundItem]:
    """The rounds of the person's consultations that are running, planned or closed within
    RECENTLY_CLOSED, which they run (editors) or are invited to (one query)."""
    rounds = session.scalars(
        select(Round)
        .join(Revision, Revision.id == Round.revision_id)
        .options(contains_eager(Round.revision))
        .where(
            Round.consultation_id.in_(sorted(roles)),
            # closes_at is never before the deadline in force (an early close is earlier)
            Round.closes_at >= now - RECENTLY_CLOSED,
        )
    ).all()
    items = []
    for round_ in permissions.readable_rounds(session, actor, rounds):
        role = roles[round_.consultation_id]
        status = round_.status_at(now)
        closes_at = round_.effective_close()
        if status == CLOSED and closes_at < now - RECENTLY_CLOSED:
            continue
        if role is not Role.EDITOR:
            if round_.id not in permissions.invited_round_ids(
                session, actor, round_.consultation_id
            ):
                continue  # an admin who is a member but not invited
            as_municipality = role is Role.MUNICIPALITY and round_.includes_municipalities
            role = Role.MUNICIPALITY if as_municipality else Role.PARTICIPANT
        items.append(
            RoundItem(
                round=round_,
                consultation=by_id[round_.consultation_id],
                status=status,
                closes_at=closes_at,
                role=role,
            )
        )
    return items


def _count_feedback(session: Session, actor: User, items: list[RoundItem], now: datetime) -> None:
    """The person's own feedback per round; for editors also all of it (one query)."""
    if not items:
        return
    mine = case((Feedback.author_id == actor.id, 1), else_=0)
    recent = case((Feedback.created_at >= now - NEW_FEEDBACK, 1), else_=0)
    unresolved = case((Feedback.status == "open", 1), else_=0)
    rows = session.execute(
        select(
            Feedback.round_id,
            Feedback.kind,
            func.count(Feedback.id),
            func.sum(mine),
            func.sum(recent),
            func.sum(unresolved),
        )
        .where(Feedback.round_id.in_(sorted({i.round.id for i in items})))
        .where(Feedback.withdrawn_at.is_(None))
        .group_by(Feedback.round_id, Feedback.kind)
    ).all()
    counted: dict[int, dict[str, tuple[int, int, int, int]]] = {}
    for round_id, kind, total, own, new, still_open in rows:
        counted.setdefault(round_id, {})[kind] = (total, own or 0, new or 0, still_open or 0)
    for item in items:
        found = counted.get(item.round.id, {})
        comments = found.get(FeedbackKind.COMMENT.value, (0, 0, 0, 0))
        suggestions = found.get(FeedbackKind.SUGGESTION.value, (0, 0, 0, 0))
        remarks = found.get(FeedbackKind.REMARK.value, (0, 0, 0, 0))
        item.own = Counts(comments=comments[1], suggestions=suggestions[1], remarks=remarks[1])
        # Totals only to those who see all feedback (not to the invited).
        if item.for_editor and permissions.can_moderate_feedback(session, actor, item.consultation):
            item.received = Counts(
                comments=comments[0], suggestions=suggestions[0], remarks=remarks[0]
            )
            item.new = comments[2] + suggestions[2] + remarks[2]
            item.still_open = comments[3] + suggestions[3] + remarks[3]


def _add_reminders(session: Session, items: list[RoundItem], now: datetime) -> None:
    """Whether the deadline reminder of each running round went out (one query)."""
    running = {i.round.id: i for i in items if i.for_editor and i.status == OPEN}
    if not running:
        return
    sent = {
        round_id: (people, at)
        for round_id, people, at in session.execute(
            select(RoundReminder.round_id, func.count(), func.max(RoundReminder.sent_at))
            .join(Round, Round.id == RoundReminder.round_id)
            .where(
                RoundReminder.round_id.in_(sorted(running)),
                # a reminder of an earlier deadline does not count after an extension
                RoundReminder.closes_at == Round.closes_at,
            )
            .group_by(RoundReminder.round_id)
        )
    }
    for round_id, item in running.items():
        if round_id in sent:
            people, at = sent[round_id]
            item.reminder = Reminder(state="sent", at=at, people=people)
        else:
            due = item.closes_at - REMINDER_BEFORE
            item.reminder = Reminder(state="due" if due <= now else "planned", at=due)


def _revisions(session: Session, actor: User, roles: dict[int, Role]) -> list[Revision]:
    """The revisions of the person's consultations that they may read, by consultation and
    number (one query)."""
    revisions = session.scalars(
        select(Revision)
        .where(Revision.consultation_id.in_(sorted(roles)))
        .order_by(Revision.consultation_id, Revision.number)
    ).all()
    return permissions.readable_revisions(session, actor, revisions)


def _published(revisions: Iterable[Revision]) -> list[Revision]:
    """The published (or superseded) ones of a consultation's revisions, newest first."""
    return sorted(
        (r for r in revisions if r.status != RevisionStatus.DRAFT.value),
        key=lambda r: r.number,
        reverse=True,
    )


def _link_next_revisions(items: list[RoundItem], revisions: Sequence[Revision]) -> None:
    """For each closed round, the first later published revision the person may read."""
    for item in items:
        if item.status != CLOSED:
            continue
        later = [
            r
            for r in revisions
            if r.consultation_id == item.consultation.id
            and r.number > item.revision.number
            and r.status != RevisionStatus.DRAFT.value
        ]
        item.next_revision = later[0] if later else None
