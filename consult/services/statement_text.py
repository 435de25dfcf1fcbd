"""The text of a statement as the services check it: the position, the body (a
rejection needs its reasons, a consent without anything says "keine Bedenken"), the
signatory and their function, and remarks on single sections, anchored in the round's
revision like comments. Used by services.statements and services.statement_intake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.db import is_id
from consult.domain import textrules
from consult.domain.anchoring import Anchor
from consult.errors import Invalid
from consult.models import Placement, Round, StatementPosition
from consult.services.feedback_input import parse_anchor
from consult.services.text_fields import checked

#: The body of a consent without remarks ("keine Bedenken"), stored with the version
#: (a statement to a German council is German whatever the interface language).
NO_OBJECTIONS = "Gegen den Entwurf bestehen keine Bedenken."
#: Most section remarks in one statement.
MAX_REMARKS = 200


@dataclass(frozen=True)
class RemarkInput:
    """A remark on one section: the whole section (``anchor`` None) or a range of its
    body in the round's revision (``{start, end, quote}``, as a comment's)."""

    section_id: int
    body: str
    anchor: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Remark:
    placement: Placement
    body: str
    anchor: Anchor | None


@dataclass(frozen=True)
class StatementText:
    """A statement's text, checked."""

    position: StatementPosition | None
    body: str
    signatory: str
    function: str
    remarks: list[Remark]


def positions() -> list[str]:
    """The positions a statement may take."""
    return [p.value for p in StatementPosition]


def _position(value: str | None, *, required: bool) -> StatementPosition | None:
    if value is None or value == "":
        if required:
            raise Invalid(
                _("Bitte wählen Sie die Haltung der Kommune (position)."),
                code="invalid_position",
                fields={"position": _("Bitte wählen.")},
            )
        return None
    try:
        return StatementPosition(value)
    except ValueError:
        raise Invalid(
            _("Unbekannte Haltung. Möglich: %(names)s.", names=", ".join(positions())),
            code="invalid_position",
            fields={"position": _("Bitte eine der möglichen Haltungen wählen.")},
        ) from None


def _placements(session: Session, round_: Round, section_ids: set[int]) -> dict[int, Placement]:
    if not section_ids:
        return {}
    return {
        p.section_id: p
        for p in session.scalars(
            select(Placement)
            .where(
                Placement.revision_id == round_.revision_id, Placement.section_id.in_(section_ids)
            )
            .options(joinedload(Placement.version))
        )
    }


def _remarks(session: Session, round_: Round, remarks: Sequence[RemarkInput]) -> list[Remark]:
    if len(remarks) > MAX_REMARKS:
        raise Invalid(
            _("Höchstens %(n)d Anmerkungen zu Abschnitten.", n=MAX_REMARKS),
            code="invalid_section_remarks",
            fields={"section_remarks": _("Zu viele.")},
        )
    wanted = {r.section_id for r in remarks if is_id(r.section_id)}
    placements = _placements(session, round_, wanted)
    found = []
    for n, remark in enumerate(remarks):
        placement = placements.get(remark.section_id) if is_id(remark.section_id) else None
        if placement is None:
            raise Invalid(
                _("Diesen Abschnitt gibt es in der Fassung dieser Runde nicht."),
                code="unknown_section",
                fields={f"section_remarks[{n}].section_id": _("Unbekannt.")},
            )
        body = checked(
            remark.body, textrules.COMMENT, f"section_remarks[{n}].body", _("Die Anmerkung")
        )
        anchor = None
        if remark.anchor is not None:
            try:
                anchor = parse_anchor(
                    placement.version.body, dict(remark.anchor), insertion_allowed=False
                )
            except Invalid as exc:  # name the remark's fields
                where = f"section_remarks[{n}]."
                fields = {where + name: text for name, text in exc.fields.items()}
                raise Invalid(
                    exc.message, code=exc.code, fields=fields or {where + "anchor": exc.message}
                ) from None
        found.append(Remark(placement, body, anchor))
    return found


def check(
    session: Session,
    round_: Round,
    *,
    position: str | None,
    body: str | None,
    signatory: str | None,
    function: str | None,
    remarks: Sequence[RemarkInput],
    final: bool,
) -> StatementText:
    """The statement's text checked; ``final``: as submitted (a position and a signatory
    required, a rejection needs its reasons, consent with remarks needs them). Raises
    Invalid (codes ``invalid_position``, ``signatory_required``, ``body_required``,
    ``unknown_section``, ``quote_mismatch``, ``invalid_<field>``)."""
    chosen = _position(position, required=final)
    text = checked(body, textrules.STATEMENT_BODY, "body", _("Die Stellungnahme"))
    name = checked(signatory, textrules.FUNCTION, "signatory", _("Die unterzeichnende Person"))
    role = checked(function, textrules.FUNCTION, "signatory_function", _("Die Funktion"))
    checked_remarks = _remarks(session, round_, remarks)
    if final:
        if not name:
            raise Invalid(
                _("Bitte geben Sie an, wer die Stellungnahme unterzeichnet."),
                code="signatory_required",
                fields={"signatory": _("Bitte angeben.")},
            )
        if chosen is StatementPosition.REJECTION and not text.strip():
            raise Invalid(
                _("Bitte begründen Sie die Ablehnung."),
                code="body_required",
                fields={"body": _("Bitte begründen.")},
            )
        if (
            chosen is StatementPosition.CONSENT_WITH_REMARKS
            and not text.strip()
            and not checked_remarks
        ):
            raise Invalid(
                _("Bitte tragen Sie die Anmerkungen ein (im Text oder zu einzelnen Abschnitten)."),
                code="body_required",
                fields={"body": _("Bitte Anmerkungen eintragen.")},
            )
        if chosen is StatementPosition.CONSENT and not text.strip() and not checked_remarks:
            text = NO_OBJECTIONS
    return StatementText(chosen, text, name, role, checked_remarks)
