"""A municipality's statement (Stellungnahme) in the browser: its own page in a round
(deadline first, then the form for staff and signatories: draft, submit, release,
return, "keine Bedenken", PDF attachments), and the statement as others read it (its
versions, one version, the difference between two, attachments as downloads).

Every action goes through consult.services.statements, statement_files and
statement_reads, which check the rights; the editors' side (board, paper intake,
extensions, reminders, annex) is consult.web.statement_board.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import dump_options_header

from consult.db import get_session, parse_number
from consult.errors import ServiceError, TooLarge
from consult.models import Round
from consult.services import permissions, statement_files, statement_reads, statements
from consult.services import revisions as revision_service
from consult.services import statement_access as reach
from consult.services.statement_reads import Situation
from consult.web import confirm
from consult.web.statement_forms import (
    CHANNEL_LABELS,
    POSITION_LABELS,
    STATUS_LABELS,
    ReleaseForm,
    ReturnForm,
    StatementForm,
    UploadForm,
    form_problems,
    remark_inputs,
    revision_number,
    statement_error,
)
from consult.web.util import render_form

bp = Blueprint("statements", __name__)

PAGE = "statements/statement_page.html"


# --- the municipality's own page -----------------------------------------------------


def _own_situation(round_id: int) -> Situation:
    """The deadline and rights of the signed-in member's municipality in the round.
    Raises NotFound, Conflict (a round without statements), NotPermitted (not a member
    of a municipality)."""
    db = get_session()
    round_ = reach.statement_round(db, round_id, actor=current_user)
    organisation_id = permissions.municipality_of(db, current_user, round_.consultation_id)
    permissions.require(
        organisation_id is not None,
        _(
            "Diese Seite ist für die Mitglieder der eingeladenen Kommunen. Die Stellungnahmen "
            "selbst können Sie lesen, sobald die Redaktion sie veröffentlicht hat."
        ),
    )
    assert organisation_id is not None
    return statement_reads.situation(db, round_.id, organisation_id, actor=current_user)


def _sections(round_: Round) -> list[tuple[str, str]]:
    placements = revision_service.outline(get_session(), round_.revision).placements
    return [(str(p.section_id), f"{p.key} {p.version.title}".strip()) for p in placements]


def _draft_form(situation: Situation) -> StatementForm:
    """The form filled with the saved draft (or, for a signatory, their name)."""
    statement = situation.statement
    data: dict[str, Any] = {"remarks": []}
    if statement is not None:
        data.update(
            position=statement.draft_position,
            body=statement.draft_body,
            signatory=statement.draft_signatory_name,
            signatory_function=statement.draft_signatory_function,
            draft_revision=str(statement.draft_revision),
            remarks=[
                {"section_id": str(r.section_id), "body": r.body} for r in statement.draft_remarks
            ],
        )
    if situation.can_submit and not data.get("signatory"):
        db = get_session()
        data["signatory"] = current_user.name
        data["signatory_function"] = permissions.signatory_function(
            db, current_user, situation.round.consultation_id
        )
    data["remarks"].append({"section_id": "", "body": ""})
    return StatementForm(formdata=None, data=data)


def _page(
    situation: Situation,
    status: int = 200,
    *,
    form: StatementForm | None = None,
    return_form: ReturnForm | None = None,
    upload_form: UploadForm | None = None,
    problem: str | None = None,
    stale: bool = False,
) -> ResponseReturnValue:
    db = get_session()
    form = form or _draft_form(situation)
    sections = [("", _("– Abschnitt wählen –")), *_sections(situation.round)]
    for entry in form.remarks.entries:
        entry.form.section_id.choices = sections
    statement = situation.statement
    shown = statement_reads.view(db, statement, actor=current_user) if statement else None
    return render_form(
        PAGE,
        status,
        situation=situation,
        round=situation.round,
        statement=statement,
        shown=shown,
        form=form,
        problems=form_problems(form),
        return_form=return_form or ReturnForm(formdata=None),
        release_form=ReleaseForm(formdata=None),
        upload_form=upload_form or UploadForm(formdata=None),
        problem=problem,
        stale=stale,
        just_submitted=parse_number(request.args.get("eingereicht")),
        no_objections=confirm.attributes(_no_objections_question(situation)),
        max_mb=statement_files.MAX_BYTES // (1024 * 1024),
        **_labels(),
    )


def _labels() -> dict[str, Any]:
    return {
        "position_labels": POSITION_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "status_labels": STATUS_LABELS,
    }


def _no_objections_question(situation: Situation) -> confirm.Question:
    return confirm.Question(
        _("„Keine Bedenken“ für %(name)s einreichen?", name=situation.organisation.name),
        _(
            "Die Stellungnahme lautet dann: Einvernehmen, „Gegen den Entwurf bestehen keine "
            "Bedenken.“ – unterzeichnet in Ihrem Namen. Ein gespeicherter Entwurf wird dabei "
            "nicht eingereicht. Bis zum Ende der Frist können Sie eine neue Fassung einreichen; "
            "diese ersetzt die frühere, die nachlesbar bleibt."
        ),
        _("Ja, „Keine Bedenken“ einreichen"),
    )


def _to_page(round_id: int, anchor: str | None = None, **args: Any) -> ResponseReturnValue:
    return redirect(url_for(".round_statement", round_id=round_id, _anchor=anchor, **args))


def _submitted(round_id: int, number: int) -> ResponseReturnValue:
    flash(
        _(
            "Ihre Stellungnahme ist eingereicht (Fassung %(n)s). Sie erhalten eine Bestätigung "
            "mit einer Kopie als PDF per E-Mail.",
            n=number,
        ),
        "success",
    )
    return _to_page(round_id, "bestaetigung", eingereicht=number)


def _status(exc: ServiceError) -> int:
    """The status of a refused form: 409 (deadline, stale draft), 413, else 422. A
    refusal for want of rights or an unknown object answers with its error page."""
    if exc.status in (401, 403, 404):
        raise exc
    return exc.status if exc.status in (409, 413) else 422


@bp.route("/rounds/<int:round_id>/statement", methods=["GET", "POST"])
def round_statement(round_id: int) -> ResponseReturnValue:
    """The page of the member's municipality: deadline, status, form, versions."""
    situation = _own_situation(round_id)
    if request.method == "GET":
        return _page(situation)
    form = StatementForm()
    action = request.form.get("action", "draft")
    if action == "more":  # one more remark (without JavaScript): nothing is saved
        if len(form.remarks.entries) < form.remarks.max_entries:
            form.remarks.append_entry()
        return _page(situation, form=form)
    if not form.validate_on_submit():
        return _page(situation, 422, form=form)
    remarks, entries = remark_inputs(form)
    fields: dict[str, Any] = {
        "actor": current_user,
        "organisation_id": situation.organisation.id,
        "position": form.position.data or None,
        "body": form.body.data or "",
        "signatory": form.signatory.data or None,
        "signatory_function": form.signatory_function.data or None,
        "remarks": remarks,
        "draft_revision": revision_number(form.draft_revision.data),
    }
    db = get_session()
    try:
        if action == "submit":
            version = statements.submit(db, round_id, **fields)
        else:
            statements.save_draft(db, round_id, **fields)
    except ServiceError as exc:
        status = _status(exc)
        stale = exc.code == "stale_draft"
        if stale:
            # Their text stays in the form; saving again replaces the newer draft.
            form.draft_revision.data = str(exc.details.get("draft_revision", ""))
        attached = statement_error(form, exc, entries)
        return _page(
            situation, status, form=form, problem=None if attached else exc.message, stale=stale
        )
    if action == "submit":
        return _submitted(round_id, version.number)
    if situation.can_submit:
        flash(_("Der Entwurf ist gespeichert. Er ist noch nicht eingereicht."), "success")
    else:
        flash(
            _(
                "Der Entwurf ist gespeichert. Die Bürgermeisterin, der Bürgermeister oder die "
                "Vertretung kann ihn jetzt freigeben und einreichen."
            ),
            "success",
        )
    return _to_page(round_id, "stellungnahme")


@bp.route("/rounds/<int:round_id>/statement/no-objections", methods=["POST"])
def no_objections(round_id: int) -> ResponseReturnValue:
    """ "Keine Bedenken" in one step (a signatory), once confirmed."""
    situation = _own_situation(round_id)
    if not confirm.confirmed():
        return confirm.ask(
            _no_objections_question(situation),
            cancel_url=url_for(".round_statement", round_id=round_id),
        )
    try:
        version = statements.submit_no_objections(
            get_session(),
            round_id,
            actor=current_user,
            organisation_id=situation.organisation.id,
        )
    except ServiceError as exc:
        return _page(situation, _status(exc), problem=exc.message)
    return _submitted(round_id, version.number)


def _statement_situation(statement_id: int) -> Situation:
    """The own page's situation of a statement the member acts on. Raises NotFound,
    NotPermitted (another municipality's statement, or not a member of one)."""
    shown = statement_reads.get_view(get_session(), statement_id, actor=current_user)
    return _own_situation(shown.round.id)


@bp.route("/statements/<int:statement_id>/release", methods=["POST"])
def release(statement_id: int) -> ResponseReturnValue:
    """The signatory releases the saved draft: it becomes the next version."""
    situation = _statement_situation(statement_id)
    form = ReleaseForm()
    try:
        version = statements.release(
            get_session(),
            statement_id,
            actor=current_user,
            draft_revision=revision_number(form.draft_revision.data),
        )
    except ServiceError as exc:
        return _page(situation, _status(exc), problem=exc.message, stale=exc.code == "stale_draft")
    return _submitted(situation.round.id, version.number)


@bp.route("/statements/<int:statement_id>/return", methods=["POST"])
def return_draft(statement_id: int) -> ResponseReturnValue:
    """The signatory sends the draft back to staff, with a reason (required)."""
    situation = _statement_situation(statement_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _page(situation, 422, return_form=form)
    try:
        statements.return_draft(
            get_session(),
            statement_id,
            actor=current_user,
            reason=form.reason.data,
            draft_revision=revision_number(form.draft_revision.data),
        )
    except ServiceError as exc:
        status = _status(exc)
        if "reason" in exc.fields:
            form.reason.errors = [*form.reason.errors, exc.fields["reason"]]
        return _page(situation, status, return_form=form, problem=exc.message)
    flash(
        _(
            "Der Entwurf ist zur Überarbeitung zurückgegeben; wer ihn geschrieben hat, erhält Ihre "
            "Begründung per E-Mail."
        ),
        "success",
    )
    return _to_page(situation.round.id, "stellungnahme")


# --- attachments ---------------------------------------------------------------------


def _upload_limit() -> None:
    """A statement's PDF may be larger than other requests: this runs before anything
    reads the body (the CSRF check) and refuses a larger one by its Content-Length."""
    if request.endpoint != "statements.upload" or request.method != "POST":
        return
    length = request.content_length
    if length is not None and length > statement_files.REQUEST_LIMIT:
        raise TooLarge(
            _(
                "Die Datei ist zu groß: höchstens %(mb)d MB je Anlage.",
                mb=statement_files.MAX_BYTES // (1024 * 1024),
            ),
            code="file_too_large",
        )
    request.max_content_length = statement_files.REQUEST_LIMIT


@bp.record_once
def _before_everything(state: Any) -> None:
    app: Flask = state.app
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


@bp.route("/statements/<int:statement_id>/attachments", methods=["POST"])
def upload(statement_id: int) -> ResponseReturnValue:
    """Attach a PDF to the draft (checked by its content; at most 20 MB)."""
    situation = _statement_situation(statement_id)
    form = UploadForm()
    chosen = request.files.get("file")
    if chosen is None or not chosen.filename:
        form.file.errors = [_("Bitte wählen Sie eine PDF-Datei aus.")]
        return _page(situation, 422, upload_form=form)
    try:
        attachment = statement_files.add_attachment(
            get_session(),
            statement_id,
            actor=current_user,
            stream=chosen.stream,
            filename=chosen.filename,
        )
    except ServiceError as exc:
        status = _status(exc)
        form.file.errors = [exc.message]
        return _page(situation, status, upload_form=form)
    flash(
        _("Die Anlage „%(name)s“ ist dem Entwurf beigefügt.", name=attachment.file_name),
        "success",
    )
    return _to_page(situation.round.id, "anlagen")


@bp.route("/statements/<int:statement_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
def remove_attachment(statement_id: int, attachment_id: int) -> ResponseReturnValue:
    """Take an attachment out of the draft (submitted versions keep theirs)."""
    situation = _statement_situation(statement_id)
    statement_files.remove_attachment(
        get_session(), statement_id, attachment_id, actor=current_user
    )
    flash(_("Die Anlage ist aus dem Entwurf entfernt."), "success")
    return _to_page(situation.round.id, "anlagen")


@bp.route("/statements/<int:statement_id>/attachments/<int:attachment_id>")
def download(statement_id: int, attachment_id: int) -> ResponseReturnValue:
    """An attachment as a download, only for those who may see it."""
    attachment = statement_files.get_attachment(
        get_session(), statement_id, attachment_id, actor=current_user
    )
    handle = statement_files.open_file(attachment)
    name = attachment.file_name
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = dump_options_header("attachment", {"filename": ascii_name})
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    response = Response(
        statement_files.chunks(handle), mimetype=attachment.mime_type, direct_passthrough=True
    )
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Length"] = str(attachment.size)
    return response


# --- reading ---------------------------------------------------------------------------


@bp.route("/statements/<int:statement_id>")
def show(statement_id: int) -> ResponseReturnValue:
    """A statement with its versions (the latest in full), for whoever may read it."""
    db = get_session()
    shown = statement_reads.get_view(db, statement_id, actor=current_user)
    current = (
        statement_reads.get_version(db, statement_id, shown.current.number, actor=current_user)
        if shown.current
        else None
    )
    return render_form(
        "statements/statement_show.html",
        shown=shown,
        current=current,
        own=shown.shows_draft,
        **_labels(),
    )


@bp.route("/statements/<int:statement_id>/versions/<int:number>")
def version(statement_id: int, number: int) -> ResponseReturnValue:
    db = get_session()
    shown = statement_reads.get_view(db, statement_id, actor=current_user)
    found = statement_reads.get_version(db, statement_id, number, actor=current_user)
    return render_form("statements/statement_version.html", shown=shown, current=found, **_labels())


@bp.route("/statements/<int:statement_id>/diff")
def diff(statement_id: int) -> ResponseReturnValue:
    """What changed between two versions (by default the last two)."""
    db = get_session()
    shown = statement_reads.get_view(db, statement_id, actor=current_user)
    latest = shown.current.number if shown.current else 0
    new = parse_number(request.args.get("new")) or latest
    old = parse_number(request.args.get("old")) or max(new - 1, 1)
    found = statement_reads.diff(db, statement_id, actor=current_user, old=old, new=new)
    return render_form("statements/statement_diff.html", shown=shown, found=found, **_labels())


# --- the link from the round's page --------------------------------------------------


def statement_entry(round_: Round) -> Situation | None:
    """Template global: the signed-in member's municipality's statement in the round
    (its deadline and state), or None when they act for no municipality in it."""
    if not round_.includes_municipalities or not current_user.is_authenticated:
        return None
    db = get_session()
    organisation_id = permissions.municipality_of(db, current_user, round_.consultation_id)
    if organisation_id is None:
        return None
    try:
        return statement_reads.situation(db, round_.id, organisation_id, actor=current_user)
    except ServiceError:
        return None


bp.add_app_template_global(statement_entry)
