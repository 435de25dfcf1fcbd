"""Flask extensions: login, CSRF, rate limits, translations."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from consult.db import get_session, parse_number
from consult.models import User

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window")
babel = Babel()

LANGUAGES = ("de", "en")


#: The locale used for each interface language (British English dates and numbers).
LOCALES = {"de": "de_DE", "en": "en_GB"}


def select_locale() -> str:
    """The user's chosen language (the API token's owner, the logged-in person), else the
    "lang" cookie, else German."""
    if not has_request_context():
        return LOCALES["de"]
    # An API request with a token speaks the token owner's language (errors, messages).
    api_user = g.get("api_user")
    if api_user is not None and getattr(api_user, "locale", None) in LANGUAGES:
        return LOCALES[str(api_user.locale)]
    if current_user.is_authenticated and getattr(current_user, "locale", None) in LANGUAGES:
        return LOCALES[str(current_user.locale)]
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return LOCALES[str(chosen)]
    # German is the interface language; English only when chosen (switch or profile).
    return LOCALES["de"]


@login_manager.user_loader
def load_user(ident: str) -> User | None:
    text, _, nonce = ident.partition(":")
    user_id = parse_number(text)
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or user.session_nonce != nonce:
        return None
    return user


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from flask_babel import get_locale

        locale = get_locale()
        return {"current_locale": locale.language if locale else "de", "languages": LANGUAGES}
