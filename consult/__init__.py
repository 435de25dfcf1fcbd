"""consult: consulting stakeholders on a public concept draft."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from consult import db, extensions, security
from consult.api import init_app as init_api
from consult.cli import init_app as init_cli
from consult.config import Settings
from consult.web import init_app as init_web


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a Settings object or overrides of the environment's."""
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env()
        if config:
            settings = settings.replace(**config)

    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        instance_relative_config=False,
        template_folder="../templates",
        static_folder="../static",
    )
    app.extensions["consult_settings"] = settings
    secure = settings.base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="consult_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PREFERRED_URL_SCHEME="https" if secure else "http",
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=secure,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=False,
        BABEL_DEFAULT_LOCALE="de",
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        # The client's address (rate limits) and scheme as the proxies in front saw them.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    settings.instance_path.mkdir(parents=True, exist_ok=True)

    db.init_app(app, settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    extensions.init_app(app)
    security.init_app(app)
    init_web(app)
    init_api(app)
    init_cli(app)
    return app


def settle_heap() -> None:
    """Keep the garbage collector off what start-up built (call once the app is built).

    Modules, classes, templates and the app live as long as the process: some 170,000
    objects that every full collection walked again, 100 ms and more a time, every few
    requests on a big reading view. Frozen, a full collection walks only what requests
    made since. (It also keeps those pages shared between forked workers.)
    """
    gc.collect()
    gc.freeze()
