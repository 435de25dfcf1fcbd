"""Start page, language switch, health check."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from consult.db import get_session
from consult.extensions import LANGUAGES
from consult.services import dashboard, permissions
from consult.services.consultations import ROLE_LABELS
from consult.web.util import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    """The start page: what is expected of the person, by when (services.dashboard)."""
    db = get_session()
    page = dashboard.start_page(db, actor=current_user)
    return render_template(
        "main/index.html",
        page=page,
        now=page.now,
        new_days=dashboard.NEW_FEEDBACK.days,
        can_create=permissions.can_create_any_consultation(db, current_user),
        role_labels=ROLE_LABELS,
    )


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    chosen = request.form.get("lang", "de")
    if chosen not in LANGUAGES:
        chosen = "de"
    target = safe_next(request.form.get("next")) or url_for("main.index")
    response = make_response(redirect(target))
    response.set_cookie(
        "lang",
        chosen,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),  # https base URL
    )
    if current_user.is_authenticated and current_user.locale not in (None, chosen):
        current_user.locale = chosen
    return response


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    get_session().execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
