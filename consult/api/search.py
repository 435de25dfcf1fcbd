"""Full-text search (API.md, "Search, audit, personal data"): ``GET /search?q=...``."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from consult.api.base import api_user, bp
from consult.api.registry import QueryParam, operation, query_int
from consult.db import get_session
from consult.domain import search_text
from consult.schemas import search as schemas
from consult.services import search
from consult.services.search import Filters, Hit

_ID = {"type": "integer", "minimum": 1}


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "type": hit.type,
        "id": hit.id,
        "consultation_id": hit.consultation_id,
        "revision_id": hit.revision_id,
        "section_id": hit.section_id,
        "title": hit.title,
        "snippet": hit.snippet,
        "round_id": hit.round_id,
        "organisation_id": hit.organisation_id,
        "author": hit.author,
        "organisation": hit.organisation,
        "withdrawn": hit.withdrawn,
        "version": hit.version,
        "rank": hit.rank,
    }


@bp.get("/search")
@operation(
    "Full-text search over what the caller may read",
    tag="search",
    response=schemas.SearchResults,
    errors=(401, 404, 422),
    query=(
        QueryParam(
            "q",
            {"type": "string", "maxLength": search_text.MAX_QUERY_CHARS},
            required=True,
            description="words that must all occur (German stemming: „Schule“ finds "
            "„Schulen“, „fördern“ „Förderung“)",
        ),
        QueryParam("consultation_id", _ID, description="only this consultation"),
        QueryParam("type", {"type": "string", "enum": list(search.TYPES)}),
        QueryParam("organisation_id", _ID, description="feedback and statements of it"),
        QueryParam("round_id", _ID, description="feedback and statements of this round"),
        QueryParam(
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": search.MAX_PAGE_SIZE,
                "default": search.PAGE_SIZE,
            },
        ),
        QueryParam("offset", {"type": "integer", "minimum": 0, "default": 0}),
    ),
    description="The sections of the newest revision the caller may read in each of "
    "their consultations (editors: the draft), the comments and suggestions they may see "
    "and the latest versions of the statements they may read (with their section "
    "remarks), best first. A query shorter than two characters finds nothing (200, "
    "`message`); a longer one than 200 characters is 422 (query_too_long); a consultation "
    "the caller is not a member of is 404.",
)
def search_everything() -> ResponseReturnValue:
    text = request.args.get("q", "")
    found = search.search(
        get_session(),
        text,
        actor=api_user(),
        filters=Filters(
            consultation_id=query_int("consultation_id"),
            type=request.args.get("type"),
            organisation_id=query_int("organisation_id"),
            round_id=query_int("round_id"),
        ),
        offset=query_int("offset") or 0,
        limit=query_int("limit") or search.PAGE_SIZE,
    )
    return {
        "query": text,
        "results": [hit_json(hit) for hit in found.hits],
        "total": found.total,
        "counts": found.counts,
        "offset": found.offset,
        "limit": found.limit,
        "message": _("Bitte geben Sie mindestens zwei Zeichen ein.")
        if found.query.is_empty
        else None,
    }
