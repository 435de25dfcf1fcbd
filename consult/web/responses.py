"""The response table (Abwägungstabelle) of a round as a page and as files, and the
editors' two publications from the round's page: the decisions (each author sees those on
their items and gets one e-mail) and the response table (to the round's invited and the
consultation's observers). Every action goes through the services; both publications are
confirmed first (consult.web.confirm)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import Session

from consult.db import get_session, utcnow
from consult.errors import Conflict
from consult.models import Round
from consult.services import (
    access,
    audit,
    decisions,
    outcomes,
    permissions,
    response_exports,
    responses,
)
from consult.web import confirm

bp = Blueprint("responses", __name__)

#: The file formats offered for download, in this order.
FILE_FORMATS = tuple(response_exports.MEDIA_TYPES)


def _options() -> tuple[bool, bool]:
    """(with the authors' names, with the feedback's text), from the query string as the
    API reads it: ``names=0`` and ``text=0`` leave them out; anything else keeps them."""
    return request.args.get("names") != "0", request.args.get("text") != "0"


def _query(with_names: bool, with_text: bool) -> dict[str, str]:
    """The query string of these options (for the download links)."""
    return {
        **({} if with_names else {"names": "0"}),
        **({} if with_text else {"text": "0"}),
    }


@bp.route("/rounds/<int:round_id>/responses")
def table(round_id: int) -> ResponseReturnValue:
    """Every item of the round, numbered, with its decision and response (editors at any
    time; the invited and the observers once published: 403 before)."""
    db = get_session()
    with_names, with_text = _options()
    found = responses.response_table(
        db, round_id, actor=current_user, with_names=with_names, with_text=with_text
    )
    return render_template(
        "responses/table.html",
        table=found,
        labels=response_exports.decision_labels(),
        changes=outcomes.applied_changes(db, found, actor=current_user),
        in_view=outcomes.items_in_view(db, found, actor=current_user),
        published=outcomes.publications(db, found.round.id).responses,
        can_decide=permissions.can_decide_feedback(db, current_user, found.consultation),
        round_readable=permissions.can_read_round(db, current_user, found.round),
        query=_query(with_names, with_text),
        formats=FILE_FORMATS,
    )


@bp.route("/rounds/<int:round_id>/responses.<any(csv, xlsx, docx, pdf):file_format>")
def download(round_id: int, file_format: str) -> ResponseReturnValue:
    """The table as CSV (German Excel), XLSX, DOCX or PDF, with the page's options."""
    with_names, with_text = _options()
    found = responses.response_table(
        get_session(), round_id, actor=current_user, with_names=with_names, with_text=with_text
    )
    body, media_type, name = response_exports.export(found, file_format)
    audit.record_export(
        get_session(),
        actor=current_user,
        action="export.responses",
        round_=found.round,
        file_format=file_format,
        with_names=with_names,
    )
    return Response(
        body,
        content_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def round_outcome(db: Session, round_: Round) -> dict[str, Any]:
    """What the round's page says about what became of the feedback: for the editors
    the counts and the two publications, for the others their own items' decisions
    (once published) and the response table (once they may read it)."""
    can_decide = permissions.can_decide_feedback(db, current_user, round_.revision.consultation)
    decided, total = decisions.counts(db, round_.id) if can_decide else (0, 0)
    return {
        "can_decide": can_decide,
        "published": outcomes.publications(db, round_.id),
        "decided": decided,
        "total": total,
        "authors": outcomes.authors_to_notify(db, round_.id) if can_decide else 0,
        "own_items": [] if can_decide else outcomes.own_items(db, round_.id, actor=current_user),
        "table_readable": responses.can_read(db, current_user, round_),
        "decision_labels": response_exports.decision_labels(),
        "round_over": round_.status_at(utcnow()) == "closed",
    }


def _editable_round(round_id: int, message: str) -> Round:
    """The round, for one of its consultation's editors (403 with ``message`` else)."""
    db = get_session()
    round_ = access.get_round(db, round_id, actor=current_user)
    permissions.require(
        permissions.can_decide_feedback(db, current_user, round_.revision.consultation), message
    )
    return round_


@bp.route("/rounds/<int:round_id>/decisions/publish", methods=["POST"])
def publish_decisions(round_id: int) -> ResponseReturnValue:
    """Publish the round's decisions, once confirmed; the authors get one e-mail each.
    Sent again (another tab, another editor): said so, nothing sent twice."""
    db = get_session()
    round_ = _editable_round(round_id, _("Nur die Redaktion veröffentlicht die Abwägung."))
    back = url_for("rounds.show", round_id=round_.id)
    authors = outcomes.authors_to_notify(db, round_.id)
    if not confirm.confirmed() and outcomes.publications(db, round_.id).decisions is None:
        decided, total = decisions.counts(db, round_.id)
        question = confirm.publish_decisions(round_, decided, total, authors)
        return confirm.ask(question, cancel_url=back)
    try:
        decisions.publish_decisions(db, round_.id, actor=current_user)
    except Conflict as exc:
        flash(exc.message, "info")
    else:
        flash(
            ngettext(
                "Die Abwägung ist veröffentlicht. %(num)s Person bekommt eine E-Mail mit den "
                "Entscheidungen zu ihren Beiträgen.",
                "Die Abwägung ist veröffentlicht. %(num)s Personen bekommen je eine E-Mail mit "
                "den Entscheidungen zu ihren Beiträgen.",
                authors,
            ),
            "success",
        )
    return redirect(back)


@bp.route("/rounds/<int:round_id>/responses/publish", methods=["POST"])
def publish_responses(round_id: int) -> ResponseReturnValue:
    """Publish the round's response table to its invited and the observers, once
    confirmed."""
    db = get_session()
    round_ = _editable_round(round_id, _("Nur die Redaktion veröffentlicht die Abwägungstabelle."))
    back = url_for("rounds.show", round_id=round_.id)
    if not confirm.confirmed() and outcomes.publications(db, round_.id).responses is None:
        return confirm.ask(confirm.publish_responses(round_), cancel_url=back)
    try:
        responses.publish_responses(db, round_.id, actor=current_user)
    except Conflict as exc:
        flash(exc.message, "info")
    else:
        flash(
            _(
                "Die Abwägungstabelle ist veröffentlicht: Die Eingeladenen der Runde und die "
                "Beobachtenden können sie jetzt lesen."
            ),
            "success",
        )
    return redirect(back)
