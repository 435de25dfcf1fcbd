"""The procedure report's page (Verfahrensbericht, editors only): the text to read, edit and
save, the way back to the text generated from the records (confirmed first: the editor's
text is gone then), and the downloads as PDF and DOCX. Every action goes through
services.procedure_report."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from consult.db import get_session
from consult.domain import textrules
from consult.errors import Conflict, ServiceError
from consult.services import procedure_report
from consult.services.procedure_report import Report
from consult.web import confirm
from consult.web.exports import send
from consult.web.forms import Rule
from consult.web.util import form_error, render_form

bp = Blueprint("report", __name__)


class ReportForm(FlaskForm):
    body = TextAreaField(
        _l("Text des Verfahrensberichts"),
        validators=[DataRequired(), Rule(textrules.REPORT)],
        render_kw={"rows": 24},
        description=_l(
            "Absätze trennen Sie durch eine Leerzeile. Eine Zeile, die mit einem Doppelpunkt "
            "endet („Anlagen:“), wird in PDF und DOCX zur Überschrift der Zeilen darunter."
        ),
    )
    #: The version of the text the edit started from (a save meanwhile: 409, nothing lost).
    base_version = HiddenField()


def reset_question(found: Report) -> confirm.Question:
    """Returning to the generated text: the editor's text is deleted."""
    return confirm.Question(
        _("Zum erzeugten Text zurückkehren?"),
        _(
            "Der gespeicherte Text des Verfahrensberichts der Runde „%(t)s“ wird gelöscht; "
            "der Bericht ist dann wieder der aus den Unterlagen erzeugte Text. Ihre "
            "Änderungen lassen sich nicht wiederherstellen.",
            t=found.round.title,
        ),
        _("Ja, zum erzeugten Text zurückkehren"),
    )


def _page(
    found: Report, form: ReportForm, status: int = 200, conflict: str | None = None
) -> ResponseReturnValue:
    return render_form(
        "report/edit.html",
        status,
        report=found,
        round=found.round,
        consultation=found.consultation,
        form=form,
        reset_confirm=confirm.attributes(reset_question(found)),
        formats=procedure_report.FILE_FORMATS,
        conflict=conflict,
    )


@bp.route("/rounds/<int:round_id>/report")
def edit(round_id: int) -> ResponseReturnValue:
    """The report with its text in a form (editors; others 403 or 404)."""
    found = procedure_report.report(get_session(), round_id, actor=current_user)
    form = ReportForm(data={"body": found.body, "base_version": found.version})
    return _page(found, form)


@bp.route("/rounds/<int:round_id>/report", methods=["POST"])
def save(round_id: int) -> ResponseReturnValue:
    """Save the editor's text (a refused text: the page again with the error, 422)."""
    db = get_session()
    found = procedure_report.report(db, round_id, actor=current_user)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            procedure_report.save_report(
                db,
                round_id,
                actor=current_user,
                body=form.body.data,
                base_version=form.base_version.data or None,
            )
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            # The editor's text stays in the form; the current one is shown beside it.
            current = exc.details["current"]
            form.base_version.data = current["version"]
            found = procedure_report.report(db, round_id, actor=current_user)
            return _page(found, form, 409, conflict=exc.message)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Der Verfahrensbericht ist gespeichert."), "success")
            return redirect(url_for("report.edit", round_id=round_id))
    return _page(found, form, 422)


@bp.route("/rounds/<int:round_id>/report/reset", methods=["POST"])
def reset(round_id: int) -> ResponseReturnValue:
    """Back to the generated text, once confirmed (nothing written before)."""
    db = get_session()
    found = procedure_report.report(db, round_id, actor=current_user)
    back = url_for("report.edit", round_id=round_id)
    if not found.edited:
        flash(_("Der Bericht ist bereits der erzeugte Text."), "info")
        return redirect(back)
    if not confirm.confirmed():
        return confirm.ask(reset_question(found), cancel_url=back)
    procedure_report.reset_report(db, round_id, actor=current_user)
    flash(_("Der Verfahrensbericht ist wieder der aus den Unterlagen erzeugte Text."), "success")
    return redirect(back)


@bp.route("/rounds/<int:round_id>/report.<any(pdf, docx):file_format>")
def download(round_id: int, file_format: str) -> ResponseReturnValue:
    """The report as PDF or DOCX (the text the page shows as saved)."""
    made = procedure_report.report_file(
        get_session(), round_id, actor=current_user, file_format=file_format
    )
    return send(made)
