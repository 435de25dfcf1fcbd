"""Working groups and consultation rounds: open, extend (with a reason), close."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from consult.db import is_id, utcnow
from consult.domain.textnorm import normalize_text
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    Consultation,
    Membership,
    Revision,
    RevisionStatus,
    Role,
    Round,
    RoundExtension,
    RoundGroup,
    RoundReminder,
    Section,
    User,
    Visibility,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupSection,
)
from consult.services import permissions
from consult.services.consultations import get_consultation
from consult.services.locks import lock, lock_name

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


def _clean_text(value: object, field: str, label: str, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(
            _("%(label)s fehlt.", label=label),
            code=f"invalid_{field}",
            fields={field: _("Bitte angeben.")},
        )
    text = normalize_text(value)
    if len(text) > limit:
        raise Invalid(
            _("%(label)s ist zu lang (höchstens %(limit)d Zeichen).", label=label, limit=limit),
            code=f"invalid_{field}",
            fields={field: _("Höchstens %(limit)d Zeichen.", limit=limit)},
        )
    return text


# --- working groups ------------------------------------------------------------------


def list_working_groups(
    session: Session, consultation_id: int, *, actor: object
) -> list[WorkingGroup]:
    consultation = get_consultation(session, consultation_id, actor=actor)
    return list(
        session.scalars(
            select(WorkingGroup)
            .where(WorkingGroup.consultation_id == consultation.id)
            .options(
                selectinload(WorkingGroup.members)
                .selectinload(WorkingGroupMember.user)
                .joinedload(User.organisation),
                selectinload(WorkingGroup.sections),
            )
            .order_by(WorkingGroup.name)
        )
    )


def _section_ids(session: Session, consultation: Consultation, section_ids: object) -> list[int]:
    if section_ids is None:
        return []
    if not isinstance(section_ids, list) or not all(is_id(i) for i in section_ids):
        raise Invalid(_("section_ids muss eine Liste von Zahlen sein."), code="invalid_section_ids")
    ids = sorted(set(section_ids))
    found = set(
        session.scalars(
            select(Section.id).where(
                Section.id.in_(ids), Section.consultation_id == consultation.id
            )
        )
    )
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise Invalid(
            _("Diese Abschnitte gibt es in diesem Verfahren nicht: %(ids)s.", ids=unknown),
            code="unknown_section",
        )
    return ids


def _ensure_unique_group_name(
    session: Session, consultation_id: int, name: str, own_id: int | None = None
) -> None:
    """Raise Conflict when another working group of the consultation has this name.

    Compared case-folded in Python ("Ärzte" is "ärzte"): SQL's lower() folds only ASCII
    on SQLite. A consultation has a handful of groups.
    """
    query = select(WorkingGroup.id, WorkingGroup.name).where(
        WorkingGroup.consultation_id == consultation_id
    )
    wanted = name.casefold()
    lock_name(session, f"working group names {consultation_id}")  # two editors at once
    if any(gid != own_id and other.casefold() == wanted for gid, other in session.execute(query)):
        raise Conflict(
            _("Einen Arbeitskreis mit diesem Namen gibt es schon."),
            code="duplicate_name",
            fields={"name": _("Schon vergeben.")},
        )


def create_working_group(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    name: object,
    section_ids: object = None,
    description: object = None,
) -> WorkingGroup:
    """A new working group. Raises NotPermitted, Invalid, Conflict (name taken)."""
    consultation = get_consultation(session, consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_members(session, actor, consultation),
        _("Nur die Redaktion verwaltet die Arbeitskreise."),
    )
    clean = " ".join(_clean_text(name, "name", _("Der Name"), 200).split())
    ids = _section_ids(session, consultation, section_ids)
    _ensure_unique_group_name(session, consultation.id, clean)
    group = WorkingGroup(
        consultation_id=consultation.id,
        name=clean,
        description=_clean_text(
            description, "description", _("Die Beschreibung"), 5000, required=False
        ),
    )
    group.sections = [WorkingGroupSection(section_id=i) for i in ids]
    session.add(group)
    session.flush()
    return group


def get_working_group(session: Session, group_id: int, *, actor: object) -> WorkingGroup:
    group = session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound(_("Diesen Arbeitskreis gibt es nicht."))
    get_consultation(session, group.consultation_id, actor=actor)
    return group


def update_working_group(
    session: Session,
    group_id: int,
    *,
    actor: object,
    name: object,
    section_ids: object,
    description: object = None,
) -> WorkingGroup:
    group = get_working_group(session, group_id, actor=actor)
    consultation = get_consultation(session, group.consultation_id, actor=actor)
    permissions.require(permissions.can_manage_members(session, actor, consultation))
    clean = " ".join(_clean_text(name, "name", _("Der Name"), 200).split())
    _ensure_unique_group_name(session, consultation.id, clean, own_id=group.id)
    ids = _section_ids(session, consultation, section_ids)
    group.name = clean
    group.description = _clean_text(
        description, "description", _("Die Beschreibung"), 5000, required=False
    )
    group.sections = [WorkingGroupSection(section_id=i) for i in ids]
    session.flush()
    return group


def set_user_groups(
    session: Session, consultation: Consultation, user: User, group_ids: object
) -> None:
    """Replace the user's working groups in this consultation. Raises Invalid."""
    if not isinstance(group_ids, list) or not all(is_id(i) for i in group_ids):
        raise Invalid(
            _("working_group_ids muss eine Liste von Zahlen sein."),
            code="invalid_working_group_ids",
        )
    wanted = set(group_ids)
    known = set(
        session.scalars(
            select(WorkingGroup.id).where(
                WorkingGroup.consultation_id == consultation.id,
                WorkingGroup.id.in_(wanted),
            )
        )
    )
    if wanted - known:
        raise Invalid(
            _("Diese Arbeitskreise gibt es nicht: %(ids)s.", ids=sorted(wanted - known)),
            code="unknown_working_group",
        )
    all_ids = select(WorkingGroup.id).where(WorkingGroup.consultation_id == consultation.id)
    session.execute(
        delete(WorkingGroupMember).where(
            WorkingGroupMember.user_id == user.id, WorkingGroupMember.working_group_id.in_(all_ids)
        )
    )
    for group_id in sorted(wanted):
        session.add(WorkingGroupMember(working_group_id=group_id, user_id=user.id))
    session.flush()


def user_group_ids(session: Session, consultation_id: int, user_id: int) -> list[int]:
    return list(
        session.scalars(
            select(WorkingGroupMember.working_group_id)
            .join(WorkingGroup, WorkingGroup.id == WorkingGroupMember.working_group_id)
            .where(
                WorkingGroup.consultation_id == consultation_id,
                WorkingGroupMember.user_id == user_id,
            )
            .order_by(WorkingGroupMember.working_group_id)
        )
    )


def group_ids_by_user(session: Session, consultation_id: int) -> dict[int, list[int]]:
    """:func:`user_group_ids` of every member of a working group of the consultation, by
    user id, in one query (people in no group are missing)."""
    rows = session.execute(
        select(WorkingGroupMember.user_id, WorkingGroupMember.working_group_id)
        .join(WorkingGroup, WorkingGroup.id == WorkingGroupMember.working_group_id)
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroupMember.working_group_id)
    )
    found: dict[int, list[int]] = {}
    for user_id, group_id in rows:
        found.setdefault(user_id, []).append(group_id)
    return found


# --- rounds --------------------------------------------------------------------------


def get_round(session: Session, round_id: int, *, actor: object) -> Round:
    """A round the actor may see (editors, invited people); NotFound otherwise."""
    round_ = session.get(Round, round_id)
    if round_ is None or not permissions.can_read_round(session, actor, round_):
        raise NotFound(_("Diese Beteiligungsrunde gibt es nicht."))
    return round_


def list_rounds(session: Session, consultation_id: int, *, actor: object) -> list[Round]:
    consultation = get_consultation(session, consultation_id, actor=actor)
    rounds = session.scalars(
        select(Round)
        .where(Round.consultation_id == consultation.id)
        .options(selectinload(Round.groups), selectinload(Round.extensions))
        .order_by(Round.opens_at.desc())
    ).all()
    return permissions.readable_rounds(session, actor, rounds)


def invited_users(session: Session, round_: Round) -> list[User]:
    """Everyone invited to the round (members of its groups, municipality members)."""
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
    revision_id: object,
    title: object,
    opens_at: object,
    closes_at: object,
    working_group_ids: object = None,
    municipalities: object = False,
    visibility: object = None,
    description: object = None,
    now: datetime | None = None,
    notify: bool = True,
) -> Round:
    """Open a round on a published revision and e-mail the invited people.

    Raises NotPermitted, NotFound, Invalid (times, audience, visibility, revision).
    """
    consultation = get_consultation(session, consultation_id, actor=actor)
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
        title=" ".join(_clean_text(title, "title", _("Der Titel"), 300).split()),
        description=_clean_text(
            description, "description", _("Die Beschreibung"), 10000, required=False
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
    if notify:
        _invite(session, round_)
    return round_


def _invite(session: Session, round_: Round) -> None:
    from consult.services import mail

    for user in invited_users(session, round_):
        mail.queue_template(session, user, "round_invite", round=round_)


def extend_round(
    session: Session,
    round_id: int,
    *,
    actor: object,
    closes_at: object,
    reason: object,
    now: datetime | None = None,
) -> Round:
    """Move the deadline later, with a reason that is kept; reopens a closed round."""
    round_ = get_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_manage_rounds(session, actor, round_.revision.consultation),
        _("Nur die Redaktion verlängert Fristen."),
    )
    lock(session, round_)  # two extensions at once: the second sees the first
    now = now or utcnow()
    new_end = parse_datetime(closes_at, "closes_at")
    why = _clean_text(reason, "reason", _("Die Begründung"), MAX_REASON)
    if new_end <= round_.closes_at and round_.closed_early_at is None:
        raise Invalid(
            _("Die neue Frist muss nach der bisherigen liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss nach der bisherigen Frist liegen.")},
        )
    if new_end <= now:
        raise Invalid(
            _("Die neue Frist muss in der Zukunft liegen."),
            code="invalid_period",
            fields={"closes_at": _("Muss in der Zukunft liegen.")},
        )
    author = permissions.require_user(actor)
    round_.extensions.append(
        RoundExtension(
            previous_closes_at=round_.effective_close(),
            closes_at=new_end,
            reason=why,
            created_by_id=author.id,
        )
    )
    round_.closes_at = new_end
    round_.closed_early_at = None
    session.flush()
    return round_


def close_round(
    session: Session, round_id: int, *, actor: object, now: datetime | None = None
) -> Round:
    """Close an open round now. Raises Conflict when it is not open."""
    round_ = get_round(session, round_id, actor=actor)
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
    return round_


def open_rounds_for(
    session: Session, revision: Revision, user: object, now: datetime | None = None
) -> list[Round]:
    """Rounds on this revision the user is invited to, open now."""
    now = now or utcnow()
    invited = permissions.invited_round_ids(session, user, revision.consultation_id)
    rounds: Sequence[Round] = (
        session.scalars(
            select(Round).where(Round.revision_id == revision.id, Round.id.in_(invited))
        ).all()
        if invited
        else []
    )
    return [r for r in rounds if r.status_at(now) == "open"]


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


#: Reminders go out this long before a round's deadline.
REMINDER_BEFORE = timedelta(hours=48)


def queue_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Queue one deadline reminder per invited person for every open round that closes
    within REMINDER_BEFORE (again after an extension). Returns the number queued."""
    from consult.services import mail

    now = now or utcnow()
    due = [
        r
        for r in session.scalars(
            select(Round).where(
                Round.closes_at > now,
                Round.closes_at <= now + REMINDER_BEFORE,
                Round.opens_at <= now,
                Round.closed_early_at.is_(None),
            )
        )
    ]
    queued = 0
    for round_ in due:
        lock(session, round_)  # two cron runs at once: the second sees the first's reminders
        sent = {
            r.user_id: r
            for r in session.scalars(
                select(RoundReminder).where(RoundReminder.round_id == round_.id)
            )
        }
        for user in invited_users(session, round_):
            previous = sent.get(user.id)
            if previous is not None and previous.closes_at == round_.closes_at:
                continue
            mail.queue_template(session, user, "round_reminder", round=round_, now=now)
            if previous is None:
                session.add(
                    RoundReminder(
                        round_id=round_.id, user_id=user.id, closes_at=round_.closes_at, sent_at=now
                    )
                )
            else:
                previous.closes_at, previous.sent_at = round_.closes_at, now
            queued += 1
    session.flush()
    return queued


def set_group_members(session: Session, group_id: int, *, actor: object, user_ids: object) -> None:
    """Make exactly these members of the consultation the group's members.

    Raises NotPermitted, NotFound, Invalid (ids that are not members of the consultation).
    """
    group = get_working_group(session, group_id, actor=actor)
    consultation = get_consultation(session, group.consultation_id, actor=actor)
    permissions.require(
        permissions.can_manage_members(session, actor, consultation),
        _("Nur die Redaktion verwaltet die Arbeitskreise."),
    )
    if not isinstance(user_ids, list) or not all(is_id(i) for i in user_ids):
        raise Invalid(
            _("Die Mitglieder müssen eine Liste von Zahlen sein."), code="invalid_members"
        )
    wanted = set(user_ids)
    members = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.consultation_id == consultation.id, Membership.user_id.in_(wanted)
            )
        )
    )
    if wanted - members:
        raise Invalid(
            _(
                "Diese Personen sind am Verfahren nicht beteiligt: %(ids)s.",
                ids=sorted(wanted - members),
            ),
            code="not_a_member",
        )
    session.execute(
        delete(WorkingGroupMember).where(
            WorkingGroupMember.working_group_id == group.id,
            WorkingGroupMember.user_id.not_in(wanted),
        )
    )
    current = set(
        session.scalars(
            select(WorkingGroupMember.user_id).where(
                WorkingGroupMember.working_group_id == group.id
            )
        )
    )
    for user_id in sorted(wanted - current):
        session.add(WorkingGroupMember(working_group_id=group.id, user_id=user_id))
    session.flush()
    session.expire(group, ["members"])
