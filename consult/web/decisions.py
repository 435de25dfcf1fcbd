"""The decision page of one comment or suggestion (editors): decide with a response
(snippets insertable without JavaScript), see the history, withdraw the decision, assign
the item; then back to where the editor came from (the overview or the reading view) or
on to the next undecided item. Every action goes through consult.services.decisions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from consult.db import get_session, parse_number
from consult.errors import Conflict, ServiceError
from consult.models import DecisionKind
from consult.services import deciding, decisions, merge
from consult.services.deciding import DecisionPage
from consult.web.decision_forms import (
    COMMENT_CHOICES,
    DECISION_LABELS,
    KIND_LABELS,
    LOCATION_LABELS,
    STATUS_LABELS,
    SUGGESTION_CHOICES,
    AssignForm,
    DecisionForm,
    editor_choices,
    snippet_choices,
)
from consult.web.forms import options
from consult.web.inbox import FILTER_ARGS, insert_snippet
from consult.web.threads import suggestion_diff_html
from consult.web.util import form_error, render_form, safe_next

bp = Blueprint("decisions", __name__)


def _back(page: DecisionPage) -> str:
    """Where the editor came from (a local path), else the round's overview."""
    return safe_next(request.args.get("back")) or url_for("inbox.overview", round_id=page.round.id)


def _next_args(page: DecisionPage, back: str) -> dict[str, Any]:
    """What finds the next undecided item (consult.web.inbox.next_item): the overview's
    filters when the editor came from the overview, and this item."""
    parts = urlsplit(back)
    args: dict[str, Any] = {}
    if parts.path == url_for("inbox.overview", round_id=page.round.id):
        args = {k: v for k, v in parse_qsl(parts.query) if k in FILTER_ARGS}
    return {**args, "after": page.feedback.id}


def _next_url(page: DecisionPage, back: str) -> str:
    """The way to the next undecided item (found when it is asked for)."""
    return url_for("inbox.next_item", round_id=page.round.id, **_next_args(page, back))


def _decision_form(page: DecisionPage, *, sent: bool = True) -> DecisionForm:
    """The decision form: as sent (``sent``), else filled with the current decision."""
    form = DecisionForm() if sent else DecisionForm(formdata=None)
    form.decision.choices = options(SUGGESTION_CHOICES if page.is_suggestion else COMMENT_CHOICES)
    form.snippet.choices = snippet_choices(page.snippets)
    if not sent or not form.is_submitted():
        review = page.review
        form.decision.data = review.decision if review else None
        form.response.data = review.response if review else ""
        if review is not None and review.replacement is not None:
            form.replacement.data = review.replacement
        elif page.is_outdated and page.current_text is not None:
            form.replacement.data = page.current_text  # the text there now, to adapt
        else:
            form.replacement.data = page.feedback.replacement or ""
    return form


def _assign_form(page: DecisionPage, *, sent: bool = False) -> AssignForm:
    """The assignee form: as sent (``sent``), else showing the current assignee."""
    form = AssignForm() if sent else AssignForm(formdata=None)
    form.assignee_id.choices = editor_choices(page.editors)
    if not sent and page.review is not None and page.review.assignee_id:
        form.assignee_id.data = str(page.review.assignee_id)
    return form


def _render(
    page: DecisionPage, form: DecisionForm, assign_form: AssignForm, status: int = 200
) -> ResponseReturnValue:
    feedback = page.feedback
    # What "geändert annehmen" replaces: the quote, or for an outdated suggestion the text
    # at its place now.
    base = page.current_text if page.is_outdated and page.current_text is not None else None
    base = feedback.quote or "" if base is None else base
    back = _back(page)
    shown = feedback.status
    if feedback.withdrawn_at is not None and shown != "superseded":
        shown = "withdrawn"
    return render_form(
        "decisions/decide.html",
        status,
        page=page,
        item=feedback,
        form=form,
        assign_form=assign_form,
        snippets=page.snippets,
        labels=DECISION_LABELS,
        kind_labels=KIND_LABELS,
        status_label=STATUS_LABELS.get(shown, shown),
        location_label=LOCATION_LABELS.get(page.location or ""),
        back=back,
        back_label=_("Zurück zum Text")
        if urlsplit(back).path.startswith("/revisions/")
        else _("Zurück zur Eingangsliste"),
        next_action=url_for("inbox.next_item", round_id=page.round.id),
        next_args=_next_args(page, back),
        reading_url=url_for("revisions.read", revision_id=feedback.revision_id)
        + f"#fb-{feedback.id}",
        diff=Markup(  # noqa: S704 - escaped piece by piece (threads.suggestion_diff_html)
            suggestion_diff_html(feedback.quote or "", feedback.replacement or "")
        )
        if page.is_suggestion
        else None,
        base=base,
        own_diff=Markup(  # noqa: S704 - escaped piece by piece
            suggestion_diff_html(base, form.replacement.data or "")
        )
        if page.is_suggestion
        else None,
    )


def _save(page: DecisionPage, form: DecisionForm) -> int | None:
    """Store the decision: None when stored, else the status of the page that shows why
    not (nothing is stored then)."""
    if not form.validate_on_submit():
        return 422
    decision = form.decision.data
    if not decision:
        form.decision.errors = [_("Bitte wählen Sie eine Entscheidung.")]
        return 422
    raw = form.snippet_id.data or ""
    snippet_id = parse_number(raw)
    if raw and snippet_id is None:
        flash(_("Diesen Textbaustein gibt es in diesem Verfahren nicht."), "error")
        return 422
    db = get_session()
    try:
        outdated = (
            page.is_suggestion
            and decision == DecisionKind.ACCEPT.value
            and not merge.applies_as_is(db, page.feedback.id, actor=current_user)
        )
        decisions.decide(
            db,
            page.feedback.id,
            actor=current_user,
            decision=decision,
            response=form.response.data or "",
            replacement=(form.replacement.data or "")
            if decision == DecisionKind.ACCEPT_MODIFIED.value
            else None,
            snippet_id=snippet_id,
            outdated=outdated,
        )
    except Conflict as exc:
        form.decision.errors = [exc.message]
        return 409
    except ServiceError as exc:
        form_error(form, exc)
        return exc.status if exc.status in (403, 409) else 422
    return None


@bp.route("/feedback/<int:feedback_id>/decision", methods=["GET", "POST"])
def decide(feedback_id: int) -> ResponseReturnValue:
    page = deciding.decision_page(get_session(), feedback_id, actor=current_user)
    form = _decision_form(page)
    status = 200
    if form.is_submitted():
        if request.form.get("action") == "snippet":
            status = (
                200 if form.validate_on_submit() and insert_snippet(form, page.snippets) else 422
            )
        else:
            outcome = _save(page, form)
            if outcome is None:
                flash(_("Die Entscheidung ist gespeichert."), "success")
                back = _back(page)
                if request.form.get("then") == "next":
                    return redirect(_next_url(page, back), 303)
                return redirect(back, 303)
            status = outcome
    return _render(page, form, _assign_form(page), status)


@bp.route("/feedback/<int:feedback_id>/decision/withdraw", methods=["POST"])
def undecide(feedback_id: int) -> ResponseReturnValue:
    """Withdraw the decision (the item is undecided again; the history keeps it)."""
    decisions.undecide(get_session(), feedback_id, actor=current_user)
    flash(_("Die Entscheidung ist zurückgenommen; der Beitrag ist wieder offen."), "success")
    return redirect(
        url_for("decisions.decide", feedback_id=feedback_id, back=request.args.get("back")), 303
    )


@bp.route("/feedback/<int:feedback_id>/assignee", methods=["POST"])
def assign(feedback_id: int) -> ResponseReturnValue:
    db = get_session()
    page = deciding.decision_page(db, feedback_id, actor=current_user)
    assign_form = _assign_form(page, sent=True)
    if assign_form.validate_on_submit():
        chosen = assign_form.assignee_id.data
        try:
            decisions.assign(
                db,
                [feedback_id],
                actor=current_user,
                assignee_id=parse_number(chosen) if chosen else None,
            )
        except ServiceError as exc:
            form_error(assign_form, exc)
        else:
            flash(_("Die Zuständigkeit ist gespeichert."), "success")
            return redirect(
                url_for("decisions.decide", feedback_id=feedback_id, back=request.args.get("back")),
                303,
            )
    return _render(page, _decision_form(page, sent=False), assign_form, 422)
