"""The signed-in user's profile: name, language, password, API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user

from consult.db import get_session
from consult.errors import ServiceError
from consult.models import NotificationMode, User
from consult.services import accounts, api_tokens, notification_settings, permissions
from consult.web.forms import ChangePasswordForm, ProfileForm, TokenForm
from consult.web.util import form_error, render_form

bp = Blueprint("profile", __name__, url_prefix="/profile")

#: The token form shares the page with the profile form: a prefix keeps ids unique
#: ("token-name" next to "name"), so labels and error messages point at the right input.
TOKEN_PREFIX = "token"  # noqa: S105 - a form prefix, not a secret


def _me() -> User:
    return permissions.require_user(current_user._get_current_object())


def notification_context(me: User) -> dict[str, object]:
    """The "Benachrichtigungen" section's rows: (kind, label, current mode) per kind."""
    current = notification_settings.my_kinds(get_session(), actor=me)
    return {
        "notification_rows": [
            (kind.value, notification_settings.kind_label(kind), mode.value)
            for kind, mode in current.items()
        ],
        "notification_modes": [
            (mode.value, notification_settings.mode_label(mode)) for mode in NotificationMode
        ],
    }


def _page(status: int = 200, **overrides: object) -> ResponseReturnValue:
    me = _me()
    context: dict[str, object] = {
        "profile_form": ProfileForm(obj=me, formdata=None),
        "password_form": ChangePasswordForm(formdata=None),
        "token_form": TokenForm(formdata=None, prefix=TOKEN_PREFIX),
        "tokens": api_tokens.list_api_tokens(get_session(), actor=me),
        "new_token": None,
        "new_token_name": None,
        **notification_context(me),
    }
    context.update(overrides)
    return render_form("profile/profile.html", status, **context)


@bp.route("/")
def show() -> ResponseReturnValue:
    return _page()


@bp.route("/", methods=["POST"])
def update() -> ResponseReturnValue:
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                get_session(),
                actor=_me(),
                name=form.name.data,
                locale=form.locale.data,
                notify_replies=form.notify_replies.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Ihr Profil ist gespeichert."), "success")
            return redirect(url_for("profile.show"))
    return _page(422, profile_form=form)


@bp.route("/password", methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = _me()
        try:
            accounts.change_password(
                get_session(),
                actor=me,
                current=form.current_password.data or "",
                new=form.password.data or "",
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            login_user(me)  # the session nonce changed: renew this session, end the others
            flash(
                _("Ihr Passwort ist geändert. Auf anderen Geräten sind Sie jetzt abgemeldet."),
                "success",
            )
            return redirect(url_for("profile.show"))
    return _page(422, password_form=form)


@bp.route("/tokens", methods=["POST"])
def create_token() -> ResponseReturnValue:
    form = TokenForm(prefix=TOKEN_PREFIX)
    if form.validate_on_submit():
        try:
            token, raw = api_tokens.create_api_token(
                get_session(), actor=_me(), name=form.name.data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            # Shown once, on this response only (never put into the session cookie).
            return _page(201, new_token=raw, new_token_name=token.name)
    return _page(422, token_form=form)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    api_tokens.revoke_api_token(get_session(), token_id, actor=_me())
    flash(_("Das Token ist widerrufen."), "success")
    return redirect(url_for("profile.show", _anchor="tokens"))
