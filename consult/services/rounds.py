"""Consultation rounds: open one on a published revision (inviting working groups and
municipalities), extend its deadline with a reason, close it, reopen a closed one with a
reason; which round a person gives feedback in. Working groups are
:mod:`consult.services.working_groups`, deadline reminders :mod:`consult.services.reminders`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consult.db import is_id, utcnow
from consult.domain import textrules
from consult.errors import Conflict, Invalid, NotPermitted
from consult.models import (
    ExtensionKind,
    Membership,
    Revision,
    RevisionStatus,
    Role,
    Round,
    RoundExtension,
    RoundGroup,
    User,
    Visibility,
    WorkingGroup,
    WorkingGroupMember,
)
from consult.services import access, audit, mail, permissions
from consult.services.locks import lock
from consult.services.text_fields import checked

BERLIN = ZoneInfo("Europe/Berlin")
MAX_REASON = 2000


def parse_datetime(value: object, field: str) -> datetime:
    """An aware datetime from ISO 8601 text or a datetime; times without offset are
    taken as Europe/Berlin. Raises Invalid."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(
                _(
                    "„%(field)s“ ist kein gültiger Zeitpunkt (ISO 8601, z. B. "
                    "2026-12-31T23:59+01:00).",
                    field=field,
                ),
                code="invalid_datetime",
                fields={field: _("Bitte Datum und Uhrzeit angeben.")},
            ) from None
    else:
        raise Invalid(
            _("„%(field)s“ fehlt.", field=field),
            code="invalid_datetime",
            fields={field: _("Fehlt.")},
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BERLIN)
    return parsed.astimezone(UTC)


def list_rounds(session: Session, consultation_id: int, *, actor: object) -> list[Round]:
    """The rounds of a consultation the actor may see, the latest to open first, groups and
    extensions loaded. Raises NotFound when the actor may not see the consultation."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    rounds = session.scalars(
        select(Round)
        .where(Round.consultation_id == consultation.id)
        .options(selectinload(Round.groups), selectinload(Round.extensions))
        .order_by(Round.opens_at.desc())
    ).all()
    return permissions.readable_rounds(session, actor, rounds)


def invited_users(session: Session, round_: Round) -> list[User]:
    """Everyone invited to the round (members of its groups, municipality members).
    Raises nothing."""
    users: dict[int, User] = {}
    if round_.working_group_ids:
        for user in session.scalars(
            select(User)
            .join(WorkingGroupMember, WorkingGroupMember.user_id == User.id)
            .where(WorkingGroupMember.working_group_id.in_(round_.working_group_ids))
        ):
            users[user.id] = user
    if round_.includes_municipalities:
        for user in session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.consultation_id == round_.consultation_id,
                Membership.role == Role.MUNICIPALITY.value,
            )
        ):
            users[user.id] = user
    return [u for u in users.values() if u.is_active]


def create_round(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    revision_id: int,
    title: str,
    opens_at: str | datetime,
    closes_at: str | datetime,
    working_group_ids: Sequence[int] | None = None,
    municipalities: bool = False,
    visibility: str | None = None,
    description: str | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> Round:
    """Open a round on a published revision and e-mail the invited people.

    Raises NotPermitted, NotFound, Invalid (times, audience, visibility, revision).
    """
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_rounds(session, actor, consultation),
        _("Nur die Redaktion eröffnet Beteiligungsrunden."),
    )
    now = now or utcnow()
    if not isinstance(revision_id, int) or isinstance(revision_id, bool):
        raise Invalid(
            _("revision_id muss eine Zahl sein."),
            code="invalid_revision",
            fields={"revision_id": _("Bitte eine Fassung wählen.")},
        )
    revision = session.get(Revision, revision_id)
    if revision is None or revision.consultation_id != consultation.id:
        raise Invalid(
            _("Diese Fassung gibt es in diesem Verfahren nicht."),
            code="unknown_revision",
            fields={"revision_id": _("Bitte eine Fassung wählen.")},
        )
    if revision.status == RevisionStatus.DRAFT.value:
        raise Invalid(
            _("Eine Runde bezieht sich auf eine veröffentlichte Fassung, nicht auf einen Entwurf."),
            code="revision_not_published",
            fields={"revision_id": _("Bitte eine veröffentlichte Fassung wählen.")},
        )
    start = parse_datetime(opens_at, "opens_at")
    end = parse_datetime(closes_at, "closes_at")
    if end <= start:
        raise Invalid(
            _("Das Ende muss nach dem Beginn liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss nach dem Beginn liegen.")},
        )
    if end <= now:
        raise Invalid(
            _("Das Ende muss in der Zukunft liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss in der Zukunft liegen.")},
        )
    try:
        chosen = Visibility(str(visibility or Visibility.EDITORS.value))
    except ValueError:
        raise Invalid(
            _("Unbekannte Sichtbarkeit (editors, group oder round)."),
            code="invalid_visibility",
            fields={"visibility": _("Bitte wählen.")},
        ) from None
    group_ids = working_group_ids if working_group_ids is not None else []
    if not isinstance(group_ids, list) or not all(is_id(i) for i in group_ids):
        raise Invalid(
            _("working_group_ids muss eine Liste von Zahlen sein."),
            code="invalid_working_group_ids",
        )
    known = set(
        session.scalars(
            select(WorkingGroup.id).where(
                WorkingGroup.consultation_id == consultation.id,
                WorkingGroup.id.in_(group_ids),
            )
        )
    )
    if set(group_ids) - known:
        raise Invalid(
            _("Diese Arbeitskreise gibt es nicht: %(ids)s.", ids=sorted(set(group_ids) - known)),
            code="unknown_working_group",
        )
    if not isinstance(municipalities, bool):
        raise Invalid(_("municipalities muss true oder false sein."), code="invalid_municipalities")
    if not group_ids and not municipalities:
        raise Invalid(
            _("Bitte mindestens einen Arbeitskreis oder die Kommunen einladen."),
            code="no_audience",
            fields={"working_group_ids": _("Bitte wählen.")},
        )
    author = permissions.require_user(actor)
    round_ = Round(
        consultation_id=consultation.id,
        revision_id=revision.id,
        title=checked(title, textrules.TITLE, "title", _("Der Titel")),
        description=checked(
            description, textrules.ROUND_DESCRIPTION, "description", _("Die Beschreibung")
        ),
        opens_at=start,
        closes_at=end,
        visibility=chosen.value,
        includes_municipalities=municipalities,
        created_by_id=author.id,
    )
    round_.groups = [RoundGroup(working_group_id=i) for i in sorted(set(group_ids))]
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.opened",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
        details={"title": round_.title, "closes_at": round_.closes_at.isoformat()},
    )
    if notify:
        _invite(session, round_)
    return round_


def _invite(session: Session, round_: Round) -> None:
    for user in invited_users(session, round_):
        mail.queue_template(session, user, "round_invite", round=round_)


def extend_round(
    session: Session,
    round_id: int,
    *,
    actor: object,
    closes_at: str | datetime,
    reason: str,
    now: datetime | None = None,
    notify: bool = True,
) -> Round:
    """Move the deadline later, with a reason that is kept. Extending a round that is
    closed opens it again: that is recorded (and e-mailed) as a reopening, as by
    :func:`reopen_round`. Raises NotFound, NotPermitted, Invalid (the time, the reason)."""
    round_ = access.get_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_manage_rounds(session, actor, round_.revision.consultation),
        _("Nur die Redaktion verlängert Fristen."),
    )
    lock(session, round_)  # two extensions at once: the second sees the first
    now = now or utcnow()
    new_end = parse_datetime(closes_at, "closes_at")
    why = checked(reason, textrules.REASON, "reason", _("Die Begründung"))
    if new_end <= round_.closes_at and round_.closed_early_at is None:
        raise Invalid(
            _("Die neue Frist muss nach der bisherigen liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss nach der bisherigen Frist liegen.")},
        )
    _require_future(new_end, now)
    closed = round_.status_at(now) == "closed"
    kind = ExtensionKind.REOPENING if closed else ExtensionKind.EXTENSION
    return _move_deadline(session, round_, kind, new_end, why, actor=actor, now=now, notify=notify)


def reopen_round(
    session: Session,
    round_id: int,
    *,
    actor: object,
    closes_at: str | datetime,
    reason: str,
    now: datetime | None = None,
    notify: bool = True,
) -> Round:
    """Open a closed round again until ``closes_at`` (closed by mistake, or more time is
    wanted after its end), with a reason that is kept: the round's history shows it as
    reopened, and the invited are e-mailed as when it opened.

    Raises NotFound, NotPermitted (not an editor of the consultation), Conflict
    (``round_not_closed``: the round is open or has not begun), Invalid (the time, the
    reason). Nothing is written when it raises.
    """
    round_ = access.get_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_manage_rounds(session, actor, round_.revision.consultation),
        _("Nur die Redaktion öffnet Runden wieder."),
    )
    lock(session, round_)  # a close and a reopening at once: the second sees the first
    now = now or utcnow()
    if round_.status_at(now) != "closed":
        raise Conflict(
            _("Die Runde ist nicht beendet; wieder öffnen lässt sich nur eine beendete Runde."),
            code="round_not_closed",
        )
    new_end = parse_datetime(closes_at, "closes_at")
    why = checked(reason, textrules.REASON, "reason", _("Die Begründung"))
    _require_future(new_end, now)
    return _move_deadline(
        session, round_, ExtensionKind.REOPENING, new_end, why, actor=actor, now=now, notify=notify
    )


def _require_future(new_end: datetime, now: datetime) -> None:
    if new_end <= now:
        raise Invalid(
            _("Die neue Frist muss in der Zukunft liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss in der Zukunft liegen.")},
        )


def _move_deadline(
    session: Session,
    round_: Round,
    kind: ExtensionKind,
    new_end: datetime,
    reason: str,
    *,
    actor: object,
    now: datetime,
    notify: bool,
) -> Round:
    """Record the new deadline with its reason; a reopening is e-mailed to the invited."""
    author = permissions.require_user(actor)
    round_.extensions.append(
        RoundExtension(
            kind=kind.value,
            previous_closes_at=round_.effective_close(),
            closes_at=new_end,
            reason=reason,
            created_by_id=author.id,
            created_at=now,
        )
    )
    round_.closes_at = new_end
    round_.closed_early_at = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.reopened" if kind is ExtensionKind.REOPENING else "round.extended",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
        details={"closes_at": new_end.isoformat(), "reason": reason},
    )
    if notify and kind is ExtensionKind.REOPENING:
        for user in invited_users(session, round_):
            mail.queue_template(session, user, "round_reopened", round=round_, reason=reason)
    return round_


def close_round(
    session: Session, round_id: int, *, actor: object, now: datetime | None = None
) -> Round:
    """Close an open round now. Raises Conflict when it is not open."""
    round_ = access.get_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_manage_rounds(session, actor, round_.revision.consultation),
        _("Nur die Redaktion schließt Runden."),
    )
    lock(session, round_)
    now = now or utcnow()
    if round_.status_at(now) == "closed":
        raise Conflict(_("Die Runde ist schon geschlossen."), code="round_closed")
    round_.closed_early_at = now
    if round_.opens_at > now:
        round_.opens_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.closed",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
    )
    return round_


def feedback_round(
    session: Session, revision: Revision, user: object, now: datetime | None = None
) -> Round:
    """The round in which the user gives feedback on this revision.

    Raises NotPermitted when no round on it invites the user, Conflict when the
    rounds that do are not open (closed: ``round_closed``; not yet: ``round_not_open``).
    """
    now = now or utcnow()
    invited = permissions.invited_round_ids(session, user, revision.consultation_id)
    rounds = (
        session.scalars(
            select(Round)
            .where(Round.revision_id == revision.id, Round.id.in_(invited))
            .order_by(Round.closes_at.desc())
        ).all()
        if invited
        else []
    )
    if not rounds:
        raise NotPermitted(_("Sie sind zu keiner Beteiligungsrunde zu dieser Fassung eingeladen."))
    open_now = [r for r in rounds if r.status_at(now) == "open"]
    if open_now:
        return open_now[0]
    if all(r.status_at(now) == "scheduled" for r in rounds):
        first = min(rounds, key=lambda r: r.opens_at)
        raise Conflict(
            _("Die Beteiligungsrunde hat noch nicht begonnen."),
            code="round_not_open",
            details={"opens_at": first.opens_at.isoformat()},
        )
    raise Conflict(
        _("Die Beteiligungsrunde ist beendet; neue Beiträge sind nicht mehr möglich."),
        code="round_closed",
    )
