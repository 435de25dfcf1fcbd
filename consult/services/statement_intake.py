"""Statements that came on paper (letter, e-mail, fax, in person), recorded by an
editor: they count like submitted ones, marked as recorded by the editor, and what counts
for the deadline is the date received."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain import textrules
from consult.errors import Conflict, Invalid
from consult.models import PAPER_CHANNELS, Channel, StatementVersion
from consult.services import audit, permissions, statement_text, statement_versions
from consult.services import statement_access as reach
from consult.services.rounds import parse_datetime
from consult.services.statement_text import RemarkInput
from consult.services.text_fields import checked


def record_paper(
    session: Session,
    round_id: int,
    *,
    actor: object,
    organisation_id: int,
    position: str | None,
    channel: str,
    received_at: str | datetime | None = None,
    receipt_number: str | None = None,
    body: str | None = None,
    signatory: str | None = None,
    signatory_function: str | None = None,
    remarks: Sequence[RemarkInput] = (),
    now: datetime | None = None,
    notify: bool = True,
) -> StatementVersion:
    """Record a statement that came by letter, e-mail, fax or in person (editors): it
    counts like a submitted one, marked as recorded by the editor. What counts for the
    deadline is ``received_at`` (default: now), so a letter received in time can be
    recorded after the round closed. The municipality's signatories get a confirmation
    (``notify``).

    Raises NotFound, NotPermitted (not an editor), Conflict (received after the
    municipality's deadline: ``received_after_deadline``; before the round opened:
    ``round_not_open``), Invalid (channel, a date in the future, the text).
    """
    user = permissions.require_user(actor)
    round_ = reach.statement_round(session, round_id, actor=actor)
    permissions.require(
        permissions.can_record_statement(session, user, round_),
        _("Stellungnahmen auf Papier erfasst die Redaktion."),
    )
    organisation = reach.municipality(session, organisation_id)
    when = now or utcnow()
    way = _channel(channel)
    received = parse_datetime(received_at, "received_at") if received_at is not None else when
    if received > when:
        raise Invalid(
            _("Das Eingangsdatum liegt in der Zukunft."),
            code="received_in_future",
            fields={"received_at": _("Darf nicht in der Zukunft liegen.")},
        )
    number = checked(
        receipt_number, textrules.RECEIPT_NUMBER, "receipt_number", _("Die Eingangsnummer")
    )
    text = statement_text.check(
        session,
        round_,
        position=position,
        body=body,
        signatory=signatory,
        function=signatory_function,
        remarks=remarks,
        final=True,
    )
    try:
        reach.require_open(session, round_, organisation, received)
    except Conflict as exc:
        if exc.code != "round_closed":
            raise
        raise Conflict(
            _(
                "Die Stellungnahme ist nach der Frist eingegangen (%(message)s) und kann "
                "nicht als fristgerecht erfasst werden.",
                message=exc.message,
            ),
            code="received_after_deadline",
            details=exc.details,
        ) from None
    statement = statement_versions.statement_for(session, round_, organisation)
    version = statement_versions.new_version(
        session, round_, statement, text, author=user, channel=way, received_at=received, now=when
    )
    version.recorded_by_id = user.id
    version.receipt_number = number or None
    audit.record(
        session,
        actor=actor,
        action="statement.recorded",
        object_type="statement",
        object_id=statement.id,
        consultation_id=round_.consultation_id,
        details={
            "municipality": organisation.name,
            "version": version.number,
            "channel": way.value,
            "received_at": received.isoformat(),
        },
    )
    if notify:
        statement_versions.confirm(
            session,
            version,
            statement_versions.signatories(session, round_, organisation),
            "statement_received",
        )
    return version


def _channel(value: str) -> Channel:
    try:
        way = Channel(value)
    except ValueError:
        way = None
    if way not in PAPER_CHANNELS:
        names = ", ".join(c.value for c in PAPER_CHANNELS)
        raise Invalid(
            _("Unbekannter Eingangsweg. Möglich: %(names)s.", names=names),
            code="invalid_channel",
            fields={"channel": _("Bitte wählen.")},
        )
    assert way is not None
    return way
