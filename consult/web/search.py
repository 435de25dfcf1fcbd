"""The search page (issue 14): ``/search?q=...`` with filters by consultation, type,
organisation and round, the hits highlighted in their context, and links to where each
is. Every check is services.search's."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from consult.db import get_session, parse_number
from consult.domain import search_text
from consult.errors import Invalid, NotFound
from consult.services import search
from consult.services.search import Filters, SearchResult

bp = Blueprint("search", __name__)

#: What each type is called on the page (singular, plural).
TYPE_ORDER = ("section", "comment", "suggestion", "statement")


def _id(name: str) -> int | None:
    return parse_number(request.args.get(name, ""))


@bp.route("/search")
def results() -> ResponseReturnValue:
    text = request.args.get("q", "")
    page = max(1, _id("page") or 1)
    kind = request.args.get("type") or None
    filters = Filters(
        consultation_id=_id("consultation_id"),
        type=kind if kind in search.TYPES else None,
        organisation_id=_id("organisation_id"),
        round_id=_id("round_id"),
    )
    error = None
    status = 200
    found: SearchResult | None = None
    try:
        found = search.search(
            get_session(),
            text,
            actor=current_user,
            filters=filters,
            offset=(page - 1) * search.PAGE_SIZE,
            limit=search.PAGE_SIZE,
        )
    except Invalid as exc:
        error, status = exc.message, 422
    except NotFound as exc:
        error, status = exc.message, 404

    def page_url(number: int) -> str:
        args: dict[str, object] = {**request.args.to_dict(), "page": str(number)}
        return url_for("search.results", **args)  # type: ignore[arg-type]

    return render_template(
        "search/results.html",
        q=text,
        found=found,
        error=error,
        filters=filters,
        page=page,
        pages=(((found.total - 1) // search.PAGE_SIZE) + 1) if found and found.total else 0,
        page_size=search.PAGE_SIZE,
        max_chars=search_text.MAX_QUERY_CHARS,
        type_order=TYPE_ORDER,
        page_url=page_url,
        marked=Markup,  # snippets are escaped text with <mark> (consult.domain.search_text)
    ), status
