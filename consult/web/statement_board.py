"""The editors' side of the municipalities' statements (issue 12): the board of a round
(one row per invited municipality, the positions as a chart), reminders to the pending
municipalities, a later deadline for one municipality, publishing the statements and the
annex for the council. Recording a statement that came on paper is
consult.web.statement_paper; the municipalities' own pages are consult.web.statements.

Every page here is for the editors: the services check who may do what, and the board
page asks the board service whether it was built for an editor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.lists import format_list
from flask import Blueprint, Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from consult import dates
from consult.db import get_session, parse_number, utcnow
from consult.errors import ServiceError
from consult.models import Organisation, Round
from consult.services import (
    audit,
    permissions,
    statement_annex,
    statement_board,
    statement_reminders,
)
from consult.services import consultations as consultation_service
from consult.services import rounds as round_service
from consult.services import statement_access as reach
from consult.services.statement_board import Board, Row
from consult.web import confirm
from consult.web.forms import options
from consult.web.statement_board_forms import ExtensionForm
from consult.web.util import form_error, render_form

bp = Blueprint("statement_board", __name__)

#: The annex's formats: media type and what the link calls it.
ANNEX_TYPES = {"docx": statement_annex.DOCX_TYPE, "pdf": statement_annex.PDF_TYPE}


def status_labels() -> dict[str, str]:
    return {
        "submitted": _("eingereicht"),
        "draft": _("Entwurf"),
        "returned": _("zurückgegeben"),
        "pending": _("ausstehend"),
        "overdue": _("überfällig"),
    }


def channel_labels() -> dict[str, str]:
    return {
        "online": _("Portal"),
        "letter": _("Brief"),
        "email": _("E-Mail"),
        "fax": _("Fax"),
        "in_person": _("persönlich"),
    }


@dataclass(frozen=True)
class Bar:
    """One bar of the chart of positions."""

    key: str
    label: str
    count: int
    #: The bar's length in the SVG's units (0 for none).
    length: int


#: The chart's geometry (SVG units): where the bars start and how long the longest is.
BAR_START, BAR_MAX = 270, 300


def chart(found: Board) -> list[Bar]:
    """The positions counted, and the municipalities without a statement yet."""
    labels = statement_annex.position_labels()
    counts = [(key, labels.get(key, key), n) for key, n in found.positions.items()]
    without = len(found.rows) - found.statuses.get("submitted", 0)
    counts.append(("none", _("noch keine Stellungnahme"), without))
    top = max((n for _key, _label, n in counts), default=0) or 1
    return [Bar(key, label, n, round(BAR_MAX * n / top)) for key, label, n in counts]


def remindable(found: Board, now: datetime) -> list[Row]:
    """The rows a reminder would reach now: nothing submitted, the deadline ahead, not yet
    reminded of it, someone to e-mail (as statement_reminders decides)."""
    return [
        r
        for r in found.rows
        if r.version is None and r.deadline > now and r.reminded_at is None and r.members > 0
    ]


def names(organisations: list[Organisation] | list[Row]) -> str:
    found = [o.organisation.name if isinstance(o, Row) else o.name for o in organisations]
    return format_list(found, locale=str(get_locale() or "de_DE"))


def remind_question(round_: Round, rows: list[Row]) -> confirm.Question:
    people = sum(r.members for r in rows)
    if not rows:
        consequence = _(
            "Zurzeit ist keine Kommune zu erinnern: Alle haben Stellung genommen, wurden an "
            "ihre Frist schon erinnert, haben niemanden im Verfahren oder ihre Frist ist "
            "abgelaufen."
        )
    else:
        consequence = " ".join(
            (
                ngettext(
                    "%(num)s Kommune ohne Stellungnahme wird erinnert: %(names)s.",
                    "%(num)s Kommunen ohne Stellungnahme werden erinnert: %(names)s.",
                    len(rows),
                    names=names(rows),
                ),
                ngettext(
                    "Dazu geht %(num)s E-Mail an ihre Mitglieder im Verfahren.",
                    "Dazu gehen %(num)s E-Mails an ihre Mitglieder im Verfahren.",
                    people,
                ),
                _("Jede Kommune wird an jede Frist nur einmal erinnert."),
            )
        )
    return confirm.Question(
        _("Ausstehende Kommunen an die Stellungnahme zur Runde „%(t)s“ erinnern?", t=round_.title),
        consequence,
        _("Ja, Kommunen erinnern"),
    )


def publish_question(round_: Round, members: int, submitted: int) -> confirm.Question:
    return confirm.Question(
        _("Stellungnahmen der Runde „%(t)s“ veröffentlichen?", t=round_.title),
        " ".join(
            (
                ngettext(
                    "%(num)s Stellungnahme ist eingegangen.",
                    "%(num)s Stellungnahmen sind eingegangen.",
                    submitted,
                ),
                ngettext(
                    "Danach kann jede Person, die an diesem Verfahren beteiligt ist (%(num)s "
                    "Person: Teilnehmende der Arbeitskreise, Kommunen, Beobachtende wie die "
                    "Fraktionen), die Stellungnahmen aller Kommunen lesen: Haltung, Text, "
                    "Unterzeichnung, Anmerkungen zu Abschnitten und Anlagen, auch solche, die "
                    "danach noch eingehen.",
                    "Danach können alle %(num)s Personen, die an diesem Verfahren beteiligt "
                    "sind (Teilnehmende der Arbeitskreise, Kommunen, Beobachtende wie die "
                    "Fraktionen), die Stellungnahmen aller Kommunen lesen: Haltung, Text, "
                    "Unterzeichnung, Anmerkungen zu Abschnitten und Anlagen, auch solche, die "
                    "danach noch eingehen.",
                    members,
                ),
                _("Entwürfe bleiben bei den Kommunen. Das lässt sich nicht zurücknehmen."),
            )
        ),
        _("Ja, Stellungnahmen veröffentlichen"),
    )


def summary(round_: Round) -> tuple[int, int] | None:
    """(submitted, invited) of a round that asks the municipalities, for the round's page
    (the caller checked that the reader is an editor); None for other rounds."""
    if not round_.includes_municipalities:
        return None
    db = get_session()
    invited = len(reach.invited_municipalities(db, round_))
    return invited - statement_board.pending_count(db, round_.id), invited


def _editor_board(round_id: int) -> Board:
    found = statement_board.board(get_session(), round_id, actor=current_user)
    permissions.require(
        found.for_editor, _("Den Stand der Stellungnahmen aller Kommunen sieht die Redaktion.")
    )
    return found


def _extension_form(found: Board, form: ExtensionForm | None = None) -> ExtensionForm:
    if form is None:
        form = ExtensionForm(formdata=None)
        form.organisation_id.data = request.args.get("extend", "")
    form.organisation_id.choices = options(
        [("", _("Bitte wählen"))]
        + [(str(r.organisation.id), r.organisation.name) for r in found.rows]
    )
    return form


def _board_page(
    found: Board, status: int = 200, form: ExtensionForm | None = None
) -> ResponseReturnValue:
    db = get_session()
    now = utcnow()
    round_ = found.round
    to_remind = remindable(found, now)
    members = len(consultation_service.list_members(db, round_.consultation_id, actor=current_user))
    rows = found.rows
    return render_form(
        "statements/board.html",
        status,
        board=found,
        round=round_,
        consultation=round_.revision.consultation,
        rows=rows,
        names_by_id={r.organisation.id: r.organisation.name for r in rows},
        submitted=found.statuses.get("submitted", 0),
        bars=chart(found),
        bar_start=BAR_START,
        statuses=status_labels(),
        positions=statement_annex.position_labels(),
        channels=channel_labels(),
        extensions=statement_board.extensions(db, round_.id, actor=current_user),
        extension_form=_extension_form(found, form),
        to_remind=to_remind,
        remind_attrs=confirm.attributes(remind_question(round_, to_remind)),
        publish_attrs=confirm.attributes(
            publish_question(round_, members, found.statuses.get("submitted", 0))
        ),
        now=now,
    )


@bp.route("/rounds/<int:round_id>/statements/board")
def board(round_id: int) -> ResponseReturnValue:
    """The editors' board of the round's statements."""
    return _board_page(_editor_board(round_id))


@bp.route("/rounds/<int:round_id>/statements/remind", methods=["POST"])
def remind(round_id: int) -> ResponseReturnValue:
    """E-mail the pending municipalities, once confirmed (consult.web.confirm)."""
    found = _editor_board(round_id)
    board_url = url_for("statement_board.board", round_id=round_id)
    to_remind = remindable(found, utcnow())
    if to_remind and not confirm.confirmed():
        return confirm.ask(remind_question(found.round, to_remind), cancel_url=board_url)
    done = statement_reminders.remind_pending(get_session(), round_id, actor=current_user)
    if done.reminded:
        message = " ".join(
            (
                ngettext(
                    "%(num)s Kommune erinnert:", "%(num)s Kommunen erinnert:", len(done.reminded)
                ),
                names(done.reminded) + ".",
                ngettext("%(num)s E-Mail verschickt.", "%(num)s E-Mails verschickt.", done.mails),
            )
        )
    else:
        message = _("Keine Kommune erinnert.")
    if done.already:
        message += " " + ngettext(
            "%(num)s Kommune war an ihre Frist schon erinnert worden: %(names)s.",
            "%(num)s Kommunen waren an ihre Frist schon erinnert worden: %(names)s.",
            len(done.already),
            names=names(done.already),
        )
    if done.unreachable:
        message += " " + ngettext(
            "%(num)s Kommune hat noch niemanden im Verfahren und bekam keine E-Mail: %(names)s.",
            "%(num)s Kommunen haben noch niemanden im Verfahren und bekamen keine E-Mail: "
            "%(names)s.",
            len(done.unreachable),
            names=names(done.unreachable),
        )
    flash(message, "success" if done.reminded else "info")
    return redirect(board_url)


@bp.route("/rounds/<int:round_id>/statements/extensions", methods=["POST"])
def extend(round_id: int) -> ResponseReturnValue:
    """A later deadline for one municipality, with its reason."""
    found = _editor_board(round_id)
    form = _extension_form(found, ExtensionForm())
    if not form.validate_on_submit():
        return _board_page(found, 422, form)
    assert form.closes_at.data is not None
    try:
        extension = statement_board.extend(
            get_session(),
            round_id,
            actor=current_user,
            organisation_id=parse_number(form.organisation_id.data) or 0,
            closes_at=form.closes_at.data.replace(tzinfo=round_service.BERLIN).astimezone(UTC),
            reason=form.reason.data or "",
        )
    except ServiceError as exc:
        form_error(form, exc)
        return _board_page(found, exc.status if 400 <= exc.status < 500 else 422, form)
    name = next(
        r.organisation.name for r in found.rows if r.organisation.id == extension.organisation_id
    )
    flash(
        _(
            "Die Frist für %(name)s ist bis %(d)s verlängert. Die Mitglieder der Kommune "
            "bekommen eine E-Mail mit der Begründung.",
            name=name,
            d=dates.moment(extension.closes_at, weekday=True),
        ),
        "success",
    )
    return redirect(url_for("statement_board.board", round_id=round_id))


@bp.route("/rounds/<int:round_id>/statements/publish", methods=["POST"])
def publish(round_id: int) -> ResponseReturnValue:
    """Show the round's statements to every member of the consultation, once confirmed."""
    found = _editor_board(round_id)
    board_url = url_for("statement_board.board", round_id=round_id)
    if not confirm.confirmed():
        members = consultation_service.list_members(
            get_session(), found.round.consultation_id, actor=current_user
        )
        question = publish_question(found.round, len(members), found.statuses["submitted"])
        return confirm.ask(question, cancel_url=board_url)
    statement_board.publish(get_session(), round_id, actor=current_user)
    flash(
        _("Die Stellungnahmen sind veröffentlicht: Alle Beteiligten können sie lesen."), "success"
    )
    return redirect(board_url)


@bp.route("/rounds/<int:round_id>/statements/annex.<any(docx, pdf):file_format>")
def annex(round_id: int, file_format: str) -> ResponseReturnValue:
    """The statements annex for the council (Anlage Stellungnahmen) as DOCX or PDF."""
    made = statement_annex.annex(get_session(), round_id, actor=current_user)
    if file_format == "docx":
        content = statement_annex.to_docx(made)
    else:
        content = statement_annex.to_pdf(made)
    audit.record_export(
        get_session(),
        actor=current_user,
        action="export.annex",
        round_=made.round,
        file_format=file_format,
    )
    response = Response(content, mimetype=ANNEX_TYPES[file_format])
    name = f"anhang-stellungnahmen-runde-{made.round.id}.{file_format}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
