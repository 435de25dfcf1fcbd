"""The editors' board of a round's statements, deadlines extended for one municipality,
reminders to the municipalities that have not submitted, and publishing the statements.

The board has one row per invited municipality (every organisation of kind
municipality, also those with no member yet) with its status:

- ``submitted``: a version counts (a newer draft may be in progress: ``has_draft``);
- ``draft``: staff saved a draft that waits for release; ``returned``: the signatory sent
  it back;
- ``pending``: nothing yet, the deadline has not passed; ``overdue``: nothing submitted
  by the municipality's deadline.

Reminders to the pending municipalities are :mod:`consult.services.statement_reminders`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain import textrules
from consult.errors import Conflict, Invalid
from consult.models import (
    Membership,
    Organisation,
    PublicationKind,
    Role,
    Round,
    RoundPublication,
    Statement,
    StatementExtension,
    StatementPosition,
    StatementReminder,
    StatementVersion,
    User,
)
from consult.services import audit, feedback_versions, mail, permissions
from consult.services import statement_access as reach
from consult.services.locks import lock
from consult.services.rounds import parse_datetime
from consult.services.text_fields import checked

STATUSES = ("submitted", "draft", "returned", "pending", "overdue")


@dataclass(frozen=True)
class Row:
    """One invited municipality on the board."""

    organisation: Organisation
    status: str
    deadline: datetime
    statement_id: int | None = None
    #: The current version (None: none submitted).
    version: StatementVersion | None = None
    #: A draft newer than the current version is in progress.
    has_draft: bool = False
    extension: StatementExtension | None = None
    #: When the municipality was last reminded of its current deadline.
    reminded_at: datetime | None = None
    #: Its members in the consultation (0: nobody to e-mail yet).
    members: int = 0

    @property
    def recorded_by_editor(self) -> bool:
        return self.version is not None and self.version.recorded_by_id is not None


@dataclass
class Board:
    round: Round
    rows: list[Row]
    #: Current versions per position (every position, also with 0), for the chart.
    positions: dict[str, int] = field(default_factory=dict)
    #: Rows per status (every status).
    statuses: dict[str, int] = field(default_factory=dict)
    published_at: datetime | None = None
    #: Built for an editor (drafts and returns shown as such; for others "pending").
    for_editor: bool = False


def _publication(session: Session, round_id: int) -> RoundPublication | None:
    return session.scalar(
        select(RoundPublication).where(
            RoundPublication.round_id == round_id,
            RoundPublication.kind == PublicationKind.STATEMENTS.value,
        )
    )


def members_by_municipality(session: Session, round_: Round) -> dict[int, list[User]]:
    """The active municipality members of the round's consultation, by organisation."""
    found: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.consultation_id == round_.consultation_id,
            Membership.role == Role.MUNICIPALITY.value,
            User.is_active.is_(True),
            User.organisation_id.is_not(None),
        )
        .order_by(User.id)
    ):
        assert user.organisation_id is not None
        found.setdefault(user.organisation_id, []).append(user)
    return found


def rows(session: Session, round_: Round, *, now: datetime, for_editor: bool = True) -> list[Row]:
    """The board's rows (no permission check: for callers that checked). Raises nothing."""
    statements = {
        s.organisation_id: s
        for s in session.scalars(select(Statement).where(Statement.round_id == round_.id))
    }
    current = {
        v.organisation_id: v
        for v in session.scalars(
            select(StatementVersion)
            .join(Statement, Statement.id == StatementVersion.statement_id)
            .where(
                Statement.round_id == round_.id,
                StatementVersion.number == Statement.version_count,
            )
        )
    }
    extensions = reach.extensions_by_municipality(session, round_.id)
    reminded = {
        (r.organisation_id, r.closes_at): r.sent_at
        for r in session.scalars(
            select(StatementReminder).where(StatementReminder.round_id == round_.id)
        )
    }
    members = members_by_municipality(session, round_)
    found = []
    for organisation in reach.invited_municipalities(session, round_):
        statement = statements.get(organisation.id)
        version = current.get(organisation.id)
        extension = extensions.get(organisation.id)
        end = reach.deadline(round_, extension)
        if version is not None:
            status = "submitted"
        elif now >= end:
            status = "overdue"
        elif for_editor and statement is not None and statement.has_draft:
            status = statement.status
        else:
            status = "pending"
        found.append(
            Row(
                organisation=organisation,
                status=status,
                deadline=end,
                statement_id=statement.id if statement is not None else None,
                version=version,
                has_draft=bool(for_editor and version and statement and statement.has_draft),
                extension=extension,
                reminded_at=reminded.get((organisation.id, end)),
                members=len(members.get(organisation.id, [])),
            )
        )
    return found


def board(session: Session, round_id: int, *, actor: object, now: datetime | None = None) -> Board:
    """The board of a round's statements: editors at any time; the consultation's members
    once the statements are published (drafts and returns then show as pending).
    Raises NotFound, Conflict (a round without statements), NotPermitted."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    editor = permissions.can_record_statement(session, actor, round_)
    published = _publication(session, round_.id)
    permissions.require(
        editor or published is not None,
        _("Den Stand der Stellungnahmen sieht die Redaktion, bis sie sie veröffentlicht."),
    )
    found = rows(session, round_, now=now or utcnow(), for_editor=editor)
    positions = Counter(r.version.position for r in found if r.version is not None)
    statuses = Counter(r.status for r in found)
    return Board(
        round=round_,
        rows=found,
        positions={p.value: positions.get(p.value, 0) for p in StatementPosition},
        statuses={s: statuses.get(s, 0) for s in STATUSES},
        published_at=published.published_at if published else None,
        for_editor=editor,
    )


# --- extensions -------------------------------------------------------------------------


def extend(
    session: Session,
    round_id: int,
    *,
    actor: object,
    organisation_id: int,
    closes_at: str | datetime,
    reason: str,
    now: datetime | None = None,
    notify: bool = True,
) -> StatementExtension:
    """Give one municipality a later deadline, with a reason that is kept (editors); its
    members are e-mailed. Raises NotFound, NotPermitted, Conflict (a round without
    statements), Invalid (unknown municipality, a time not after its deadline or not in
    the future, no reason)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    user = permissions.require_user(actor)
    permissions.require(
        permissions.can_record_statement(session, user, round_),
        _("Fristen verlängert die Redaktion."),
    )
    organisation = reach.municipality(session, organisation_id)
    new_end = parse_datetime(closes_at, "closes_at")
    why = checked(reason, textrules.REASON, "reason", _("Die Begründung"))
    lock(session, round_)  # two extensions at once: the second sees the first
    when = now or utcnow()
    previous = reach.deadline_for(session, round_, organisation.id)
    if new_end <= previous:
        raise Invalid(
            _("Die neue Frist muss nach der bisherigen liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss nach der bisherigen Frist liegen.")},
        )
    if new_end <= when:
        raise Invalid(
            _("Die neue Frist muss in der Zukunft liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss in der Zukunft liegen.")},
        )
    extension = StatementExtension(
        round_id=round_.id,
        organisation_id=organisation.id,
        previous_closes_at=previous,
        closes_at=new_end,
        reason=why,
        created_by_id=user.id,
        created_at=when,
    )
    session.add(extension)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statement.extended",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
        details={
            "municipality": organisation.name,
            "closes_at": new_end.isoformat(),
            "reason": why,
        },
    )
    if notify:
        for member in members_by_municipality(session, round_).get(organisation.id, []):
            mail.queue_template(
                session,
                member,
                "statement_extended",
                round=round_,
                organisation=organisation,
                extension=extension,
            )
    return extension


def extensions(session: Session, round_id: int, *, actor: object) -> list[StatementExtension]:
    """Every extension of the round, the first first: all for the editors, a
    municipality's own for its members. Raises NotFound, Conflict (no statements)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    query = select(StatementExtension).where(StatementExtension.round_id == round_.id)
    if not permissions.can_record_statement(session, actor, round_):
        own = permissions.municipality_of(session, actor, round_.consultation_id)
        query = query.where(StatementExtension.organisation_id == (own or -1))
    return list(session.scalars(query.order_by(StatementExtension.id)))


# --- publication ------------------------------------------------------------------------


def publish(
    session: Session, round_id: int, *, actor: object, now: datetime | None = None
) -> Round:
    """Make the round's statements (their versions and section remarks) readable for every
    member of the consultation (editors). Raises NotFound, NotPermitted, Conflict
    (``already_published``; a round without statements)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    user = permissions.require_user(actor)
    permissions.require(
        permissions.can_record_statement(session, user, round_),
        _("Die Stellungnahmen veröffentlicht die Redaktion."),
    )
    lock(session, round_)
    if _publication(session, round_.id) is not None:
        raise Conflict(
            _("Die Stellungnahmen dieser Runde sind schon veröffentlicht."),
            code="already_published",
        )
    session.add(
        RoundPublication(
            round_id=round_.id,
            kind=PublicationKind.STATEMENTS.value,
            published_by_id=user.id,
            published_at=now or utcnow(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statements.published",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
    )
    feedback_versions.bump(session, round_.consultation_id)  # their remarks become visible
    return round_


def pending_count(session: Session, round_id: int) -> int:
    """How many invited municipalities have no version yet (for lists). Raises nothing."""
    round_ = session.get(Round, round_id)
    if round_ is None or not round_.includes_municipalities:
        return 0
    submitted = session.scalar(
        select(func.count(Statement.id)).where(
            Statement.round_id == round_id, Statement.version_count > 0
        )
    )
    return len(reach.invited_municipalities(session, round_)) - int(submitted or 0)
