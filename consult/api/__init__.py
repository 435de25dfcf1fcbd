"""The JSON API under /api/v1 (contract: shared/design/API.md)."""

from __future__ import annotations

from flask import Flask

from consult.api import (  # noqa: F401  (routes register on import)
    accounts,
    audit,
    consultations,
    decisions,
    exports,
    feedback,
    notifications,
    openapi,
    package,
    privacy,
    report,
    search,
    statement_files,
    statements,
)
from consult.api.base import bp
from consult.extensions import csrf


def init_app(app: Flask) -> None:
    """Register the API blueprint (its routes registered on import, above)."""
    # Bearer-token requests carry no cookie, so need no CSRF token; cookie-authenticated
    # requests are checked in base.authenticate() instead.
    csrf.exempt(bp)
    app.register_blueprint(bp)
