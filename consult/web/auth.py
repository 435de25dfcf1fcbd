"""Log-in, log-out, password reset and invitation links."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from consult.db import get_session
from consult.errors import ServiceError
from consult.extensions import limiter
from consult.models import User
from consult.services import accounts
from consult.web.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from consult.web.util import form_error, render_form, safe_next

bp = Blueprint("auth", __name__)


def _setting(name: str) -> str:
    value: str = getattr(current_app.extensions["consult_settings"], name)
    return value


def _email() -> str:
    # Never empty: Flask-Limiter skips a limit whose key is empty.
    return (request.form.get("email") or "").strip().lower() or "-"


def _account_address_key() -> str:
    return f"{_email()}|{get_remote_address()}"


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _start_session(user: User, remember: bool = False) -> None:
    # A fresh session on every log-in (no fixation); keep only the language choice.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: _setting("login_address_rate_limit"),
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-address",
)
@limiter.limit(
    lambda: _setting("login_rate_limit"),
    key_func=_account_address_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account-address",
)
def login() -> ResponseReturnValue:
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            flash(_("Willkommen, %(name)s.", name=user.name), "success")
            return redirect(target or url_for("main.index"))
        flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
        return render_form("auth/login.html", 401, form=form, next=target)
    status = 422 if request.method == "POST" else 200
    return render_form("auth/login.html", status, form=form, next=target)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if isinstance(user, User):
        # A new session nonce: copies of this session's cookies (and the person's other
        # sessions, as after a password change) no longer log anyone in.
        accounts.end_sessions(get_session(), actor=user)
    # Empty the session first: logout_user() leaves the marker that makes Flask-Login
    # delete the "remember me" cookie on this response.
    session.clear()
    logout_user()
    flash(
        _("Sie haben sich abgemeldet. Auch Ihre Sitzungen auf anderen Geräten sind beendet."),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: _setting("reset_address_rate_limit"),
    key_func=get_remote_address,
    methods=["POST"],
    scope="forgot-address",
)
@limiter.limit(
    lambda: _setting("reset_account_rate_limit"),
    key_func=_email,
    methods=["POST"],
    scope="forgot-account",
)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(get_session(), form.email.data or "")
        flash(
            ngettext(
                "Wenn die Adresse bei uns registriert ist, haben wir einen Link zum "
                "Zurücksetzen geschickt. Er gilt %(num)s Stunde.",
                "Wenn die Adresse bei uns registriert ist, haben wir einen Link zum "
                "Zurücksetzen geschickt. Er gilt %(num)s Stunden.",
                int(_setting("reset_hours")),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_form("auth/forgot.html", status, form=form)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def redeem(token: str) -> ResponseReturnValue:
    db = get_session()
    row = accounts.check_one_time_token(db, token)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.redeem_one_time_token(db, token, form.password.data or "")
        except ServiceError as exc:
            form_error(form, exc)
        else:
            _start_session(user)
            flash(_("Ihr Passwort ist gespeichert. Sie sind angemeldet."), "success")
            return redirect(url_for("main.index"))
    status = 422 if request.method == "POST" else 200
    return render_form(
        "auth/set_password.html", status, form=form, purpose=row.purpose, user=row.user
    )
