"""The editors' overview of a round's feedback (Eingangsliste), deciding on or assigning
several items at once from it, the way to the next undecided item, and the response
snippets (Textbausteine) of a consultation. Every action goes through the services
(consult.services.inbox, deciding, decisions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.db import get_session, parse_number
from consult.errors import ServiceError
from consult.models import FeedbackKind, ResponseSnippet
from consult.services import access, deciding
from consult.services import inbox as service
from consult.services import snippets as snippet_service
from consult.web import confirm, inbox_rows
from consult.web.decision_forms import (
    BulkForm,
    SnippetForm,
    editor_choices,
    snippet_choices,
)
from consult.web.util import form_error, render_form, safe_next

bp = Blueprint("inbox", __name__)

#: The query parameters of the overview's filters and order (kept on the way to an item
#: and back, and by "next undecided").
FILTER_ARGS = ("undecided", "kind", "org", "group", "section", "assignee", "outdated", "sort")


def filters_from(args: Mapping[str, str]) -> service.InboxFilters:
    """The overview's filters from its query string (what is not understood is ignored)."""
    kind = args.get("kind", "")
    sort = args.get("sort", "number")
    assignee = args.get("assignee", "")
    return service.InboxFilters(
        undecided=args.get("undecided") == "1",
        kind=kind if kind in {k.value for k in FeedbackKind} else "",
        organisation_id=parse_number(args.get("org")),
        group_id=parse_number(args.get("group")),
        section_id=parse_number(args.get("section")),
        assignee_id=current_user.id if assignee == "me" else parse_number(assignee),
        unassigned=assignee == "none",
        outdated=args.get("outdated") == "1",
        sort=sort if sort in service.SORTS else "number",
    )


def list_args(args: Mapping[str, str]) -> dict[str, Any]:
    """The filter parameters that are set."""
    return {name: args[name] for name in FILTER_ARGS if args.get(name)}


def overview_url(round_id: int, args: Mapping[str, str]) -> str:
    return url_for("inbox.overview", round_id=round_id, **list_args(args))


def _selected_ids() -> tuple[list[int], bool]:
    """The ticked rows' ids, and whether every value was an id."""
    raw = request.form.getlist("ids")
    ids = [parse_number(value) for value in raw]
    return [i for i in ids if i is not None], all(i is not None for i in ids)


def _snippet_id(form: Any) -> tuple[int | None, bool]:
    """The snippet whose text went into the response, and whether the value was an id."""
    raw = form.snippet_id.data or ""
    number = parse_number(raw)
    return number, not raw or number is not None


def insert_snippet(form: Any, snippets: Sequence[ResponseSnippet]) -> bool:
    """Without JavaScript, "Textbaustein übernehmen": the chosen snippet's text is added to
    the response (nothing is stored yet; its use counts when the form is saved). False
    when no snippet was chosen."""
    chosen = next((s for s in snippets if str(s.id) == form.snippet.data), None)
    if chosen is None:
        form.snippet.errors = [*form.snippet.errors, _("Bitte einen Textbaustein wählen.")]
        return False
    current = (form.response.data or "").rstrip()
    form.response.data = f"{current}\n\n{chosen.body}" if current else chosen.body
    form.snippet_id.data = str(chosen.id)
    return True


def _bulk(form: BulkForm, round_id: int, snippets: Sequence[ResponseSnippet]) -> int | None:
    """Carry out the overview's form: None when done, else the status of the page that
    shows what is wrong (nothing is stored then)."""
    ids, ids_ok = _selected_ids()
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return 422
    if not ids_ok or action not in ("decide", "assign", "snippet"):
        flash(_("Die Auswahl ist ungültig. Bitte laden Sie die Seite neu."), "error")
        return 422
    if action == "snippet":
        return 200 if insert_snippet(form, snippets) else 422
    snippet_id, snippet_ok = _snippet_id(form)
    if not snippet_ok:
        flash(_("Diesen Textbaustein gibt es in diesem Verfahren nicht."), "error")
        return 422
    try:
        if action == "decide":
            if not form.decision.data:
                form.decision.errors = [_("Bitte wählen Sie eine Entscheidung.")]
                return 422
            count = deciding.decide_many(
                get_session(),
                round_id,
                ids,
                actor=current_user,
                decision=form.decision.data,
                response=form.response.data or "",
                snippet_id=snippet_id,
            )
            flash(
                ngettext(
                    "Die Entscheidung ist für %(num)s Beitrag gespeichert.",
                    "Die Entscheidung ist für %(num)s Beiträge gespeichert.",
                    count,
                ),
                "success",
            )
        else:
            assignee = parse_number(form.assignee_id.data) if form.assignee_id.data else None
            count = deciding.assign_many(
                get_session(), round_id, ids, actor=current_user, assignee_id=assignee
            )
            flash(
                ngettext(
                    "Die Zuständigkeit ist für %(num)s Beitrag gespeichert.",
                    "Die Zuständigkeit ist für %(num)s Beiträge gespeichert.",
                    count,
                ),
                "success",
            )
    except ServiceError as exc:
        form_error(form, exc)
        return exc.status if exc.status in (403, 404, 409) else 422
    return None


@bp.route("/rounds/<int:round_id>/feedback", methods=["GET", "POST"])
def overview(round_id: int) -> ResponseReturnValue:
    db = get_session()
    found = service.inbox(db, round_id, actor=current_user, filters=filters_from(request.args))
    snippets = snippet_service.list_snippets(db, found.consultation.id, actor=current_user)
    form = BulkForm()
    form.snippet.choices = snippet_choices(snippets)
    form.assignee_id.choices = editor_choices(found.editors)
    status = 200
    selected: set[int] = set()
    if form.is_submitted():
        selected = set(_selected_ids()[0])
        outcome = _bulk(form, found.round.id, snippets)
        if outcome is None:
            return redirect(overview_url(found.round.id, request.args), 303)
        status = outcome
    args = list_args(request.args)
    here = overview_url(found.round.id, args)
    filters = filters_from(request.args)
    sorts = inbox_rows.sort_labels()
    return render_form(
        "inbox/overview.html",
        status,
        inbox=found,
        filters=filters,
        args=args,
        here=here,
        form=form,
        snippets=snippets,
        first_open=service.next_undecided(found),
        rows=inbox_rows.InboxRows(here=here).rows(found, selected),
        columns=inbox_rows.columns(),
        sort_labels=sorts,
        sort_name=dict(sorts)[filters.sort],
        has_remarks=any(item.kind == "remark" for item in found.by_id.values()),
    )


@bp.route("/rounds/<int:round_id>/feedback/next")
def next_item(round_id: int) -> ResponseReturnValue:
    """The next undecided item after ``after`` under the overview's filters (its decision
    page, which leads back to the overview), or the overview when none is left."""
    found = service.inbox(
        get_session(), round_id, actor=current_user, filters=filters_from(request.args)
    )
    back = overview_url(found.round.id, request.args)
    item = service.next_undecided(found, parse_number(request.args.get("after")))
    if item is None:
        flash(_("In dieser Liste ist kein Beitrag mehr offen."), "success")
        return redirect(back)
    return redirect(url_for("decisions.decide", feedback_id=item.feedback_id, back=back))


# --- response snippets ---------------------------------------------------------------


def _snippets_back() -> str | None:
    return safe_next(request.args.get("back"))


@bp.route("/consultations/<int:consultation_id>/snippets", methods=["GET", "POST"])
def snippets(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    items = snippet_service.list_snippets(db, consultation.id, actor=current_user)  # editors only
    form = SnippetForm()
    status = 200
    if form.validate_on_submit():
        try:
            snippet = snippet_service.create_snippet(
                db, consultation.id, actor=current_user, title=form.title.data, body=form.body.data
            )
        except ServiceError as exc:
            form_error(form, exc)
            status = 422
        else:
            flash(_("Der Textbaustein „%(t)s“ ist angelegt.", t=snippet.title), "success")
            return redirect(request.full_path.rstrip("?"), 303)
    elif form.is_submitted():
        status = 422
    return render_form(
        "inbox/snippets.html",
        status,
        consultation=consultation,
        snippets=items,
        form=form,
        back=_snippets_back(),
        delete_question=confirm.attributes(_delete_question()),
    )


def _delete_question() -> confirm.Question:
    return confirm.Question(
        _("Textbaustein löschen?"),
        _(
            "Er steht dann nicht mehr zur Auswahl. Begründungen, in die er schon übernommen "
            "wurde, bleiben, wie sie sind."
        ),
        _("Ja, Textbaustein löschen"),
    )


@bp.route("/consultations/<int:consultation_id>/snippets/<int:snippet_id>/delete", methods=["POST"])
def delete_snippet(consultation_id: int, snippet_id: int) -> ResponseReturnValue:
    """Delete a snippet, once confirmed (consult.web.confirm)."""
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    page = url_for("inbox.snippets", consultation_id=consultation.id, back=_snippets_back())
    if not confirm.confirmed():
        snippet_service.list_snippets(db, consultation.id, actor=current_user)  # editors only
        return confirm.ask(_delete_question(), cancel_url=page)
    snippet_service.delete_snippet(db, snippet_id, actor=current_user)
    flash(_("Der Textbaustein ist gelöscht."), "success")
    return redirect(page)
