"""Notification settings on the web: the profile's "Benachrichtigungen" section (saved
here) and the one-click unsubscribe page every notification links to (public: the
signed token in the link is the proof, no login needed).

The unsubscribe POST takes no CSRF token: mail programs send it on their own
(RFC 8058, ``List-Unsubscribe=One-Click``), and the token in the path is what makes it
safe.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session
from consult.errors import NotFound, ServiceError
from consult.extensions import csrf
from consult.models import NotificationKind
from consult.services import notification_settings as settings
from consult.services import permissions
from consult.web.util import render_form

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

#: Longer than any token we sign: anything above is refused before it is read.
MAX_TOKEN = 500


@bp.route("/settings", methods=["POST"])
def update_settings() -> ResponseReturnValue:
    """Save the profile's radio buttons (one group per kind; a kind not sent stays)."""
    me = permissions.require_user(current_user._get_current_object())
    values = {
        kind.value: request.form[kind.value]
        for kind in NotificationKind
        if kind.value in request.form
    }
    try:
        settings.update_settings(get_session(), settings.parse(values), actor=me)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("profile.show", _anchor="notifications")), 303
    flash(_("Ihre Benachrichtigungen sind gespeichert."), "success")
    return redirect(url_for("profile.show", _anchor="notifications"))


def _checked(token: str) -> str:
    if len(token) > MAX_TOKEN:
        abort(404)
    return token


@bp.route("/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """Ask before turning the kinds off (a link preview must not unsubscribe anyone)."""
    try:
        user, kinds = settings.read_unsubscribe(get_session(), _checked(token))
    except NotFound:
        return render_form("notifications/unsubscribe.html", 404, kind_labels=None, done=False)
    return render_form(
        "notifications/unsubscribe.html",
        kind_labels=[settings.kind_label(kind) for kind in kinds],
        email=user.email,
        token=token,
        done=False,
    )


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt
def unsubscribe_confirm(token: str) -> ResponseReturnValue:
    """Turn the kinds off: the button of the page above, or a mail program's one-click
    POST (RFC 8058)."""
    try:
        user, kinds = settings.unsubscribe(get_session(), _checked(token))
    except NotFound:
        return render_form("notifications/unsubscribe.html", 404, kind_labels=None, done=False)
    return render_form(
        "notifications/unsubscribe.html",
        kind_labels=[settings.kind_label(kind) for kind in kinds],
        email=user.email,
        token=token,
        done=True,
    )
