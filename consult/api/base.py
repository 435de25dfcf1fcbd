"""Blueprint, authentication and request parsing shared by all API modules."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from consult import idempotency
from consult.db import get_session
from consult.errors import BadRequest, NotAuthenticated, TooLarge
from consult.extensions import csrf
from consult.models import User
from consult.services import api_tokens

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Endpoints of this blueprint that need no token.
PUBLIC = frozenset({"api.openapi"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


#: Endpoints that take a file, with the largest request each takes (others: the app's
#: MAX_CONTENT_LENGTH). Set before anything reads the body (the CSRF check of a
#: cookie-authenticated request, the Idempotency-Key's hash).
UPLOAD_LIMITS: dict[str, int] = {}


@bp.before_request
def size_limit() -> None:
    """A larger limit for an upload endpoint (a body above it is 413 before it is read)."""
    limit = UPLOAD_LIMITS.get(request.endpoint or "")
    if limit is not None:
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge(
                _("Der Inhalt ist zu groß (höchstens %(mb)d MB).", mb=limit // (1024 * 1024)),
                code="too_large",
            )
        request.max_content_length = limit


@bp.before_request
def authenticate() -> None:
    """Bearer token, or the app's own session cookie plus the X-CSRFToken header."""
    if request.endpoint in PUBLIC:
        return
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated(
                _("Erwartet wird „Authorization: Bearer <Token>“."), code="invalid_token"
            )
        user = api_tokens.user_for_api_token(get_session(), raw.strip())
        if user is None:
            raise NotAuthenticated(
                _("Das Token ist ungültig oder widerrufen."), code="invalid_token"
            )
        g.api_user = user
        return
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return
    raise NotAuthenticated(_("Anmeldung erforderlich: bitte ein API-Token senden."))


@bp.before_request
def answer_repeats() -> WerkzeugResponse | None:
    """A request repeated with the same Idempotency-Key gets the first one's answer."""
    user = g.get("api_user")
    return idempotency.begin(user.id if user is not None else None, api=True)


def api_user() -> User:
    user: User = g.api_user
    return user


#: Deepest nesting of arrays and objects a request body may have (the deepest the API
#: takes is a section list: object, list, object, value).
MAX_JSON_DEPTH = 32
#: A JSON string (so that brackets inside strings are not counted).
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest, counted before anything
    parses it (a parser recursing into ``[`` x 100,000 fails with RecursionError).
    Linear in the text; for malformed text a number that is at least plausible."""
    opening = data.count(b"[") + data.count(b"{")
    if opening <= MAX_JSON_DEPTH:
        return opening  # cannot nest deeper than it has brackets
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _too_large(limit: int) -> TooLarge:
    return TooLarge(_("Der Inhalt ist zu groß (höchstens %(limit)d KB).", limit=limit // 1024))


def json_body() -> dict[str, Any]:
    """The request's JSON object. Raises TooLarge (413) or BadRequest (400)."""
    limit = current_app.extensions["consult_settings"].max_json_length
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if not request.is_json:
        raise BadRequest(
            _("Erwartet wird JSON (Content-Type: application/json)."), code="malformed_json"
        )
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise _too_large(limit)
    if nesting_depth(data) > MAX_JSON_DEPTH:
        raise BadRequest(
            _("Der Inhalt ist zu tief verschachtelt (höchstens %(n)d Ebenen).", n=MAX_JSON_DEPTH),
            code="malformed_json",
        )
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest(_("Der Inhalt ist kein gültiges JSON."), code="malformed_json")
    if not isinstance(body, dict):
        raise BadRequest(_("Erwartet wird ein JSON-Objekt."), code="malformed_json")
    return body
