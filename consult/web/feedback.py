"""Giving feedback in the browser: comment/suggest (with or without JavaScript), reply,
resolve, edit, withdraw (and restore). Every action goes through consult.services.feedback."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from consult.db import get_session, parse_number
from consult.domain.outline import sentences
from consult.errors import Invalid, ServiceError
from consult.models import Feedback
from consult.services import access, permissions
from consult.services import feedback as service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from consult.web import confirm
from consult.web.forms import EditFeedbackForm, FeedbackForm, ReplyForm, options
from consult.web.threads import suggestion_diff_html
from consult.web.util import form_error, render_form

bp = Blueprint("feedback", __name__)

#: Longest sentence label in the sentence list.
LABEL_LENGTH = 90


def _back(revision_id: int, feedback_id: int | None = None) -> str:
    anchor = f"#fb-{feedback_id}" if feedback_id else ""
    return url_for("revisions.read", revision_id=revision_id) + anchor


def _reading_revision(feedback: Feedback) -> int:
    """The revision the user came from (form field or query), else the feedback's own.
    A value that is no id is a broken form or link: 400 (nothing is stored)."""
    given = request.values.get("revision_id")
    if not given:
        return feedback.revision_id
    chosen = parse_number(given)
    if chosen is None:
        abort(400)
    return chosen


def _sentence_choices(body: str) -> list[Any]:
    choices = [("", _("– keiner (ganzer Abschnitt oder Zitat unten) –"))]
    for start, end in sentences(body):
        text = body[start:end].replace("\n", " ")
        label = text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"
        choices.append((f"{start}:{end}", label))
    return options(choices)


def _anchor_from_form(form: FeedbackForm, body: str) -> tuple[dict[str, object] | None, str | None]:
    """(anchor dict or None, quote typed by hand or None) from the form's fields."""
    start, end = parse_number(form.start.data), parse_number(form.end.data)
    if start is not None and end is not None:
        return {"start": start, "end": end, "quote": form.selected.data or ""}, None
    if form.start.data or form.end.data:
        # Offsets the page's script did not write: not a reason to take the whole section.
        raise Invalid(_("start und end müssen ganze Zahlen sein."), code="invalid_anchor")
    if form.sentence.data:
        first, _sep, last = form.sentence.data.partition(":")
        a, b = parse_number(first), parse_number(last)
        if a is not None and b is not None:
            return {"start": a, "end": b, "quote": body[a:b]}, None
        raise Invalid(
            _("Bitte einen Satz aus der Liste wählen."), fields={"sentence": _("Ungültig.")}
        )
    quote = (form.quote.data or "").strip()
    return None, quote or None


def _sent_by_script() -> bool:
    """Whether the reading view's inline form sent this (static/js/annotate.js): it asks
    for JSON, to show a refusal in place and keep the selection."""
    return request.accept_mimetypes.best == "application/json"


def _refused(status: int, message: str, code: str, fields: dict[str, str]) -> ResponseReturnValue:
    """A refusal in the API's shape (nothing was stored: 4xx rolls back)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return jsonify({"error": error}), status


def _saved(feedback_id: int, location: str) -> ResponseReturnValue:
    """Stored: the script goes on to the thread (the message waits there, flashed)."""
    return jsonify({"id": feedback_id, "location": location}), 201, {"Location": location}


@bp.route(
    "/revisions/<int:revision_id>/sections/<int:section_id>/feedback", methods=["GET", "POST"]
)
def give(revision_id: int, section_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = access.get_revision(db, revision_id, actor=current_user)
    placement = next(
        (
            p
            for p in revision_service.outline(db, revision).placements
            if p.section_id == section_id
        ),
        None,
    )
    if placement is None:
        abort(404)
    body = placement.version.body
    form = FeedbackForm()
    form.sentence.choices = _sentence_choices(body)
    status = 200
    round_problem: str | None = None
    try:
        round_service.feedback_round(db, revision, current_user)
    except ServiceError as exc:
        round_problem = exc.message
    scripted = _sent_by_script()
    if form.validate_on_submit():
        try:
            anchor, quote = _anchor_from_form(form, body)
            if form.kind.data == "suggestion":
                if anchor is None and not quote:
                    raise Invalid(
                        _("Bitte die Textstelle wählen, die geändert werden soll."),
                        fields={"quote": _("Bitte eine Textstelle angeben.")},
                    )
                item = service.create_suggestion(
                    db,
                    revision.id,
                    section_id,
                    actor=current_user,
                    anchor=anchor,
                    quote=quote,
                    replacement=form.replacement.data or "",
                    reason=form.reason.data,
                )
            else:
                item = service.create_comment(
                    db,
                    revision.id,
                    section_id,
                    actor=current_user,
                    body=form.body.data,
                    anchor=anchor,
                    quote=quote,
                )
        except ServiceError as exc:
            status = exc.status if exc.status in (403, 409) else 422
            if scripted:
                return _refused(status, exc.message, exc.code, exc.fields)
            form_error(form, exc)
        else:
            flash(_("Ihr Beitrag ist gespeichert."), "success")
            if scripted:
                return _saved(item.id, _back(revision.id, item.id))
            return redirect(_back(revision.id, item.id))
    elif form.is_submitted():
        status = 422
        if scripted:
            fields = {name: " ".join(errors) for name, errors in form.errors.items()}
            return _refused(status, _("Bitte prüfen Sie Ihre Eingaben."), "invalid", fields)
    return render_form(
        "feedback/give.html",
        status,
        revision=revision,
        placement=placement,
        form=form,
        round_problem=round_problem,
    )


@bp.route("/feedback/<int:feedback_id>/reply", methods=["GET", "POST"])
def reply(feedback_id: int) -> ResponseReturnValue:
    """The reply form: a page of its own without JavaScript; the reading view's
    "Antworten" link opens the same form inline with it (static/js/reply.js)."""
    db = get_session()
    item = access.get_feedback(db, feedback_id, actor=current_user)
    back = _reading_revision(item)
    form = ReplyForm()
    if form.validate_on_submit():
        service.reply(db, item.id, actor=current_user, body=form.body.data)  # checks the rights
        flash(_("Ihre Antwort ist gespeichert."), "success")
        return redirect(_back(back, item.id))
    status = 422 if form.is_submitted() else 200
    problem: str | None = None
    try:
        service.require_can_reply(db, item, actor=current_user)
    except ServiceError as exc:
        if form.is_submitted():
            raise  # a refused reply answers 403/409, not a form to fill in again
        problem = exc.message
    return render_form(
        "feedback/reply.html",
        status,
        item=item,
        form=form,
        problem=problem,
        back=back,
        back_url=_back(back, item.id),
        diff=Markup(suggestion_diff_html(item.quote or "", item.replacement or ""))  # noqa: S704
        if item.kind == "suggestion"
        else None,
    )


@bp.route("/feedback/<int:feedback_id>/<any(resolve, reopen):action>", methods=["POST"])
def resolve(feedback_id: int, action: str) -> ResponseReturnValue:
    db = get_session()
    item = service.set_resolved(db, feedback_id, actor=current_user, resolved=action == "resolve")
    flash(_("Als erledigt markiert.") if action == "resolve" else _("Wieder geöffnet."), "success")
    return redirect(_back(_reading_revision(item), item.id))


@bp.route("/feedback/<int:feedback_id>/withdraw", methods=["POST"])
def withdraw(feedback_id: int) -> ResponseReturnValue:
    """Withdraw one's feedback, once confirmed (consult.web.confirm); the next page offers
    "Rückgängig" (restore) while the round is open."""
    db = get_session()
    item = access.get_feedback(db, feedback_id, actor=current_user)
    permissions.require(
        permissions.can_edit_feedback(current_user, item),
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag zurückziehen."),
    )
    back = _reading_revision(item)
    if not confirm.confirmed():
        return confirm.ask(confirm.withdraw(item.kind), cancel_url=_back(back, item.id))
    service.withdraw(db, item.id, actor=current_user)
    flash(_("Ihr Beitrag ist zurückgezogen."), "success")
    confirm.offer_undo(url_for("feedback.restore", feedback_id=item.id), {"revision_id": str(back)})
    return redirect(_back(back, item.id))


@bp.route("/feedback/<int:feedback_id>/restore", methods=["POST"])
def restore(feedback_id: int) -> ResponseReturnValue:
    """Take back one's withdrawal (the "Rückgängig" after withdrawing)."""
    item = service.restore(get_session(), feedback_id, actor=current_user)
    flash(_("Ihr Beitrag ist wiederhergestellt."), "success")
    return redirect(_back(_reading_revision(item), item.id))


@bp.route("/feedback/<int:feedback_id>/edit", methods=["GET", "POST"])
def edit(feedback_id: int) -> ResponseReturnValue:
    db = get_session()
    item = access.get_feedback(db, feedback_id, actor=current_user)
    # Only the author gets the form (colleagues, editors and admins could not save it).
    permissions.require(
        permissions.can_edit_feedback(current_user, item),
        _("Nur die Verfasserin oder der Verfasser kann einen Beitrag bearbeiten."),
    )
    form = EditFeedbackForm(obj=item)
    status = 200
    if form.validate_on_submit():
        try:
            if item.kind == "suggestion":
                service.edit(
                    db,
                    item.id,
                    actor=current_user,
                    body=form.body.data,
                    replacement=form.replacement.data or "",
                )
            else:
                service.edit(db, item.id, actor=current_user, body=form.body.data)
        except ServiceError as exc:
            form_error(form, exc)
            status = exc.status if exc.status in (403, 409) else 422
        else:
            flash(
                _("Gespeichert. Die frühere Fassung Ihres Beitrags bleibt nachvollziehbar."),
                "success",
            )
            return redirect(_back(item.revision_id, item.id))
    elif form.is_submitted():
        status = 422
    return render_form("feedback/edit.html", status, item=item, form=form)
