"""Request life cycle: deny-by-default login, security headers, commit, errors."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from consult import db, idempotency
from consult.errors import ServiceError
from consult.services import mail, permissions

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: German titles and explanations of the error pages (no internals shown).
ERROR_TEXTS: dict[int, tuple[Any, Any]] = {
    400: (_l("Ungültige Anfrage"), _l("Die Anfrage konnte nicht verarbeitet werden.")),
    401: (_l("Anmeldung erforderlich"), _l("Bitte melden Sie sich an.")),
    403: (_l("Kein Zugriff"), _l("Dafür fehlt Ihnen die Berechtigung.")),
    404: (_l("Nicht gefunden"), _l("Diese Seite gibt es nicht oder Sie dürfen sie nicht sehen.")),
    405: (_l("Nicht erlaubt"), _l("Diese Aktion ist hier nicht möglich.")),
    409: (_l("Konflikt"), _l("Die Aktion passt nicht zum aktuellen Stand.")),
    413: (_l("Zu groß"), _l("Die gesendeten Daten sind zu groß.")),
    422: (_l("Ungültige Eingabe"), _l("Die Eingaben sind nicht gültig.")),
    503: (
        _l("Gerade ausgelastet"),
        _l(
            "Gerade schreiben sehr viele gleichzeitig. Ihre Eingabe wurde nicht gespeichert: "
            "Bitte senden Sie sie in ein paar Sekunden noch einmal."
        ),
    ),
    429: (
        _l("Zu viele Versuche"),
        _l("Zu viele Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie es erneut."),
    ),
    500: (
        _l("Interner Fehler"),
        _l("Etwas ist schiefgegangen. Bitte versuchen Sie es später erneut."),
    ),
}

ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
    503: "busy",
}


#: Ids are 32-bit integer columns; a larger number in a URL is an unknown object (404),
#: not a database overflow (500).
MAX_ID = db.MAX_ID


def _up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 0 to ``limit`` (leading zeros allowed)."""
    digits = str(limit)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    same_length = [
        f"{digits[:i]}[0-{int(d) - 1}]"
        + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i, d in enumerate(digits)
        if d != "0"
    ]
    return "0*(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs, limited to the range of the database's id columns.

    The limit is in the pattern, not only checked after matching: werkzeug answers a number
    refused after matching with 405 when the path has a rule for another method (GET
    /comments/<id> beside PATCH), where an unknown id must get 404.
    """

    regex = _up_to(MAX_ID)

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(
    status: int,
    message: str | None = None,
    code: str | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """The error in the API's JSON shape or as a German HTML page."""
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500 if status >= 500 else 400])
    message = message or str(text)
    if wants_json():
        body: dict[str, Any] = {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message,
        }
        if details:
            body.update(details)
        response = jsonify({"error": body})
    else:
        response = Response(
            render_template("errors/error.html", status=status, title=title, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    return response


#: Seconds after which a client may try again when the database was busy.
RETRY_AFTER_BUSY = 2


def busy_response() -> Response:
    """503 with Retry-After: the database did not give its lock in time (nothing stored)."""
    response = error_response(503)
    response.headers["Retry-After"] = str(RETRY_AFTER_BUSY)
    return response


def _deliver_mail_soon(app: Flask) -> None:
    settings = app.extensions["consult_settings"]
    worker: mail.MailWorker = app.extensions["consult_mail_worker"]
    if settings.mail_delivery == "sync":
        worker.deliver_now()
    elif settings.mail_delivery == "thread":
        worker.poke()


def init_app(app: Flask) -> None:
    app.extensions["consult_mail_worker"] = mail.MailWorker(app)
    # Before any blueprint registers its routes, so that every <int:...> is bounded.
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _require_login() -> Any:
        if permissions.is_public_endpoint(request.endpoint):
            return None
        if request.endpoint is None:
            return None  # unknown URL: let the 404 handler answer
        if not current_user.is_authenticated:
            if request.method == "GET":
                if request.endpoint != "main.index":
                    flash(gettext("Bitte melden Sie sich an, um diese Seite zu sehen."), "info")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return error_response(401)
        return None

    @app.before_request
    def _once() -> Any:
        # A form sent twice is answered once (the API does this after its own login).
        if wants_json() or not current_user.is_authenticated:
            return None
        return idempotency.begin(current_user.id, api=False)

    @app.after_request
    def _finish(response: Response) -> Response:
        session = g.get("db_session")
        if session is not None:
            if response.status_code < 400:
                try:
                    idempotency.finish(response)
                    session.commit()
                except DBAPIError as exc:
                    session.rollback()
                    if not db.is_busy_error(exc):
                        raise
                    log.warning("busy at commit on %s %s", request.method, request.path)
                    g.pop("mail_queued", None)
                    response = busy_response()
            else:
                session.rollback()
        if g.pop("mail_queued", False) and response.status_code < 400:
            _deliver_mail_soon(current_app._get_current_object())  # type: ignore[attr-defined]
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        details = dict(exc.details)
        if exc.fields and wants_json():
            # Which input is wrong and why, in the reader's language (forms show these).
            details["fields"] = exc.fields
        return error_response(exc.status, exc.message, exc.code, details or None)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        return error_response(
            400,
            gettext(
                "Das Formular ist abgelaufen oder unvollständig (CSRF-Schutz). "
                "Bitte laden Sie die Seite neu und senden Sie es erneut."
            ),
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = None
        if status in (413, 429):
            message = str(ERROR_TEXTS[status][1])
        response = error_response(status, message)
        # Keep what the exception says besides its body: a 405 must name the allowed
        # methods in Allow (RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def _roll_back() -> None:
        # The failed transaction must go before the error page is rendered: the page
        # may load the signed-in user, which a failed transaction refuses to do.
        session = g.get("db_session")
        if session is not None:
            session.rollback()

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        _roll_back()
        if db.is_busy_error(exc):
            log.warning("database busy on %s %s: %s", request.method, request.path, exc.orig)
            return busy_response()
        return _unexpected(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        _roll_back()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return error_response(500)
