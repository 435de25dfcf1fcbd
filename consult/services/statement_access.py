"""What every statement service needs: the round that asks for statements, the invited
municipalities, each municipality's deadline (the round's, or a later one granted to it),
and permission-checked loading of statements.

Shared by services.statements (writing), statement_reads, statement_files,
statement_board and statement_annex, so that none of them imports another just to load
something.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import fits_id, is_id
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    Organisation,
    OrganisationKind,
    PublicationKind,
    Round,
    RoundPublication,
    Statement,
    StatementExtension,
)
from consult.services import access, permissions

MUNICIPALITY = OrganisationKind.MUNICIPALITY.value


def statement_round(session: Session, round_id: int, *, actor: object) -> Round:
    """A round of a consultation the actor takes part in (observers too: published
    statements are for every member) that asks the municipalities for statements.
    Raises NotFound (unknown or not visible), Conflict ``no_statements`` (a round
    without the municipalities)."""
    round_ = access.get_round_for_responses(session, round_id, actor=actor)
    if not round_.includes_municipalities:
        raise Conflict(
            _("Zu dieser Beteiligungsrunde sind die Kommunen nicht um Stellungnahme gebeten."),
            code="no_statements",
        )
    return round_


def municipality(session: Session, organisation_id: object) -> Organisation:
    """The municipality named by ``organisation_id``. Raises Invalid (unknown, or not a
    municipality)."""
    organisation = session.get(Organisation, organisation_id) if is_id(organisation_id) else None
    if organisation is None:
        raise Invalid(
            _("Diese Organisation gibt es nicht."),
            code="unknown_organisation",
            fields={"organisation_id": _("Unbekannt.")},
        )
    if organisation.kind != MUNICIPALITY:
        raise Invalid(
            _(
                "Stellungnahmen geben nur Kommunen ab; „%(name)s“ ist keine.",
                name=organisation.name,
            ),
            code="not_a_municipality",
            fields={"organisation_id": _("Bitte eine Kommune wählen.")},
        )
    return organisation


def invited_municipalities(session: Session, round_: Round) -> list[Organisation]:
    """Every municipality the round asks for a statement, by name: all active
    organisations of kind municipality (also those with no member yet), and any that
    gave a statement in it since. Raises nothing."""
    if not round_.includes_municipalities:
        return []
    given = select(Statement.organisation_id).where(Statement.round_id == round_.id)
    return list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == MUNICIPALITY,
                Organisation.is_active.is_(True) | Organisation.id.in_(given),
            )
            .order_by(Organisation.name)
        )
    )


def extensions_by_municipality(session: Session, round_id: int) -> dict[int, StatementExtension]:
    """The latest extension of each municipality's deadline in the round. Raises nothing."""
    found: dict[int, StatementExtension] = {}
    for extension in session.scalars(
        select(StatementExtension)
        .where(StatementExtension.round_id == round_id)
        .order_by(StatementExtension.id)
    ):
        found[extension.organisation_id] = extension
    return found


def deadline(round_: Round, extension: StatementExtension | None) -> datetime:
    """A municipality's deadline: the round's (an early close included), or the later one
    granted to it. Raises nothing."""
    end = round_.effective_close()
    if extension is not None and extension.closes_at > end:
        return extension.closes_at
    return end


def deadline_for(session: Session, round_: Round, organisation_id: int) -> datetime:
    """The deadline of one municipality in the round. Raises nothing."""
    extension = session.scalar(
        select(StatementExtension)
        .where(
            StatementExtension.round_id == round_.id,
            StatementExtension.organisation_id == organisation_id,
        )
        .order_by(StatementExtension.id.desc())
        .limit(1)
    )
    return deadline(round_, extension)


def require_open(session: Session, round_: Round, organisation: Organisation, at: datetime) -> None:
    """Raise unless the municipality may still submit at ``at``: Conflict
    ``round_not_open`` before the round opens, ``round_closed`` after its deadline (the
    round's, or one extended for it)."""
    if at < round_.opens_at:
        raise Conflict(
            _("Die Beteiligungsrunde hat noch nicht begonnen."),
            code="round_not_open",
            details={"opens_at": round_.opens_at.isoformat()},
        )
    end = deadline_for(session, round_, organisation.id)
    if at >= end:
        raise Conflict(
            _(
                "Die Frist für die Stellungnahme von %(name)s ist am %(end)s abgelaufen; "
                "eine neue Fassung ist nicht mehr möglich.",
                name=organisation.name,
                end=format_datetime(end, "dd.MM.yyyy, HH:mm"),
            ),
            code="round_closed",
            details={"closes_at": end.isoformat()},
        )


def published(session: Session, round_id: int) -> bool:
    """Whether the editors published the round's statements. Raises nothing."""
    return (
        session.scalar(
            select(func.count(RoundPublication.id)).where(
                RoundPublication.round_id == round_id,
                RoundPublication.kind == PublicationKind.STATEMENTS.value,
            )
        )
        or 0
    ) > 0


def get_statement(session: Session, statement_id: int, *, actor: object) -> Statement:
    """A statement the actor may read (see permissions.can_read_statement). Raises
    NotFound (unknown, or its round not visible), NotPermitted (another municipality's,
    before the statements are published)."""
    statement = session.get(Statement, statement_id) if fits_id(statement_id) else None
    if statement is None:
        raise NotFound(_("Diese Stellungnahme gibt es nicht."))
    round_ = session.get(Round, statement.round_id)
    assert round_ is not None
    if not (
        permissions.is_admin(actor)
        or permissions.role_in(session, actor, round_.consultation_id) is not None
    ):
        raise NotFound(_("Diese Stellungnahme gibt es nicht."))
    if not permissions.can_read_statement(
        session,
        actor,
        round_,
        statement.organisation_id,
        published=published(session, round_.id),
    ):
        raise NotPermitted(
            _(
                "Die Stellungnahmen anderer Kommunen sind erst sichtbar, wenn die Redaktion "
                "sie veröffentlicht hat."
            )
        )
    return statement


def round_of(session: Session, statement: Statement) -> Round:
    """The round of a statement (loaded). Raises nothing."""
    round_ = session.get(Round, statement.round_id)
    assert round_ is not None
    return round_


def require_municipality_member(
    session: Session, actor: object, round_: Round, organisation: Organisation
) -> None:
    """Raise NotPermitted unless the actor acts for this municipality in the round."""
    if not permissions.can_draft_statement(session, actor, round_, organisation.id):
        raise NotPermitted(
            _("Sie können nur für Ihre eigene Kommune Stellung nehmen.")
            if permissions.municipality_of(session, actor, round_.consultation_id) is not None
            else _("Stellungnahmen geben die Mitglieder der jeweiligen Kommune ab.")
        )
