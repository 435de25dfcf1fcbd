"""Blueprint, authentication and request parsing shared by all API modules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from consult import idempotency
from consult.db import fits_id, get_session
from consult.errors import BadRequest, Invalid, NotAuthenticated, TooLarge
from consult.extensions import csrf
from consult.models import User
from consult.services import accounts

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Endpoints of this blueprint that need no token.
PUBLIC = frozenset({"api.openapi"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
        user = accounts.user_for_api_token(get_session(), raw.strip())
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
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest(_("Der Inhalt ist kein gültiges JSON."), code="malformed_json")
    if not isinstance(body, dict):
        raise BadRequest(_("Erwartet wird ein JSON-Objekt."), code="malformed_json")
    return body


def field(
    body: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = True,
    default: Any = None,
) -> Any:
    """One field of a JSON object, type-checked. Raises Invalid (422)."""
    if name not in body or body[name] is None:
        if required:
            raise Invalid(
                _("Das Feld „%(name)s“ fehlt.", name=name),
                code="missing_field",
                fields={name: _("fehlt")},
            )
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value_ok = False if isinstance(value, bool) and bool not in kinds else isinstance(value, kinds)
    if not value_ok:
        expected = (" " + _("oder") + " ").join(k.__name__ for k in kinds)
        raise Invalid(
            _("Das Feld „%(name)s“ muss vom Typ %(expected)s sein.", name=name, expected=expected),
            code="invalid_field",
            fields={name: _("erwartet %(expected)s", expected=expected)},
        )
    if isinstance(value, int) and not isinstance(value, bool) and not fits_id(value):
        raise Invalid(
            _("Das Feld „%(name)s“ liegt außerhalb des erlaubten Bereichs.", name=name),
            code="invalid_field",
            fields={name: _("Zahl zu groß")},
        )
    return value
