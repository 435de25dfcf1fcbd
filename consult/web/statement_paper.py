"""A statement that came on paper (letter, e-mail, fax, in person), recorded by an editor
for a municipality (issue 12, item 5): it counts on the board like any other; what counts
for the deadline is the date received, so a letter that arrived in time may be recorded
after the round closed. The scan (PDF) is checked by its content (services.statement_files)
and goes with the version; if anything is refused, nothing is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from consult import dates
from consult.db import get_session, parse_number, utcnow
from consult.errors import ServiceError, TooLarge
from consult.models import Round
from consult.services import permissions, statement_files, statement_intake
from consult.services import revisions as revision_service
from consult.services import statement_access as reach
from consult.services.rounds import BERLIN
from consult.services.statement_text import RemarkInput
from consult.web.forms import options
from consult.web.statement_board_forms import PaperForm
from consult.web.util import render_form

bp = Blueprint("statement_paper", __name__)

_REMARK_FIELD = re.compile(r"section_remarks\[(\d+)\]\.(\w+)")


def _round(round_id: int) -> Round:
    db = get_session()
    round_ = reach.statement_round(db, round_id, actor=current_user)
    permissions.require(
        permissions.can_record_statement(db, current_user, round_),
        _("Stellungnahmen auf Papier erfasst die Redaktion."),
    )
    return round_


def _choices(form: PaperForm, round_: Round) -> None:
    db = get_session()
    form.organisation_id.choices = options(
        [("", _("Bitte wählen"))]
        + [(str(o.id), o.name) for o in reach.invited_municipalities(db, round_)]
    )
    sections = options(
        [("", _("Bitte wählen"))]
        + [
            (str(p.section_id), f"{p.key} {p.version.title}".strip())
            for p in revision_service.outline(db, round_.revision).placements
        ]
    )
    for entry in form.remarks:
        entry.form.section_id.choices = sections


def _remarks(form: PaperForm) -> tuple[list[RemarkInput], list[int]] | None:
    """The filled-in remark rows (and which row each is); None when a row is half filled
    (its error is then at its field)."""
    found: list[RemarkInput] = []
    rows: list[int] = []
    complete = True
    for n, entry in enumerate(form.remarks):
        section, body = entry.form.section_id, entry.form.body
        if not section.data and not (body.data or "").strip():
            continue
        number = parse_number(section.data)
        if number is None:
            section.errors = [*section.errors, _("Bitte einen Abschnitt wählen.")]
            complete = False
        elif not (body.data or "").strip():
            body.errors = [*body.errors, _("Bitte die Anmerkung eintragen.")]
            complete = False
        else:
            found.append(RemarkInput(number, body.data or ""))
            rows.append(n)
    return (found, rows) if complete else None


def _show_error(form: PaperForm, exc: ServiceError, rows: list[int]) -> None:
    """Tie a service's refusal to the form's fields (or show it above the form)."""
    if exc.code == "received_after_deadline":
        form.received_at.errors = [*form.received_at.errors, exc.message]
        return
    attached = False
    for name, message in exc.fields.items():
        target = None
        match = _REMARK_FIELD.fullmatch(name)
        if match and int(match.group(1)) < len(rows):
            sub = form.remarks[rows[int(match.group(1))]].form
            target = sub.section_id if match.group(2) == "section_id" else sub.body
        elif name == "file":  # the hint says what to do; say first what was wrong
            target, message = form.scan, exc.message
        elif name in form:
            target = form[name]
        if target is not None:
            target.errors = [*target.errors, message]
            attached = True
    if not attached:
        flash(exc.message, "error")


def _berlin_now() -> datetime:
    return utcnow().astimezone(BERLIN).replace(tzinfo=None, second=0, microsecond=0)


def _upload_limit() -> None:
    """The form carries a scan of up to statement_files.MAX_BYTES, more than other
    requests may: this runs before anything reads the body (the CSRF check) and refuses
    a larger one by its Content-Length."""
    if request.endpoint != "statement_paper.record" or request.method != "POST":
        return
    if (request.content_length or 0) > statement_files.REQUEST_LIMIT:
        raise TooLarge(
            _(
                "Die Datei ist zu groß: höchstens %(mb)d MB je Anlage.",
                mb=statement_files.MAX_BYTES // (1024 * 1024),
            ),
            code="file_too_large",
        )
    request.max_content_length = statement_files.REQUEST_LIMIT


@bp.record_once
def _before_everything(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


@bp.route("/rounds/<int:round_id>/statements/paper", methods=["GET", "POST"])
def record(round_id: int) -> ResponseReturnValue:
    """The form "Eingang auf Papier erfassen", and recording what it sends."""
    round_ = _round(round_id)
    form = PaperForm()
    _choices(form, round_)
    if not form.is_submitted():
        form.received_at.data = _berlin_now()
        form.organisation_id.data = request.args.get("organisation_id", "")
    status = 200
    if form.is_submitted():
        status = _record(form, round_)
        if status == 302:
            return redirect(url_for("statement_board.board", round_id=round_.id))
    return render_form(
        "statements/board_paper.html",
        status,
        round=round_,
        consultation=round_.revision.consultation,
        form=form,
        closed=round_.effective_close() <= utcnow(),
        scan_mb=statement_files.MAX_BYTES // (1024 * 1024),
    )


def _record(form: PaperForm, round_: Round) -> int:
    """Record a sent form; the status of the answer (302: recorded)."""
    valid = form.validate()
    remarks = _remarks(form)
    if not valid or remarks is None:
        return 422
    found, rows = remarks
    assert form.received_at.data is not None
    db = get_session()
    upload = request.files.get(form.scan.name)
    try:
        version = statement_intake.record_paper(
            db,
            round_.id,
            actor=current_user,
            organisation_id=parse_number(form.organisation_id.data) or 0,
            position=form.position.data,
            channel=form.channel.data or "",
            received_at=form.received_at.data.replace(tzinfo=BERLIN).astimezone(UTC),
            receipt_number=form.receipt_number.data,
            body=form.body.data,
            signatory=form.signatory.data,
            signatory_function=form.signatory_function.data,
            remarks=found,
        )
        if upload is not None and upload.filename:
            statement_files.add_attachment(
                db,
                version.statement_id,
                actor=current_user,
                stream=upload.stream,
                filename=upload.filename,
            )
    except ServiceError as exc:
        _show_error(form, exc, rows)
        return exc.status if 400 <= exc.status < 500 else 422
    flash(
        _(
            "Die Stellungnahme von %(name)s ist erfasst (Fassung %(n)s, eingegangen am "
            "%(d)s). Die unterzeichnungsberechtigten Mitglieder der Kommune bekommen eine "
            "Bestätigung.",
            name=version.organisation.name,
            n=version.number,
            d=dates.moment(version.received_at),
        ),
        "success",
    )
    return 302
