"""HTML blueprints: parse the request, call one service, render."""

from __future__ import annotations

from flask import Flask

from consult.web import confirm, filters, why
from consult.web.admin import bp as admin_bp
from consult.web.audit import bp as audit_bp
from consult.web.auth import bp as auth_bp
from consult.web.consultations import bp as consultations_bp
from consult.web.decisions import bp as decisions_bp
from consult.web.exports import bp as exports_bp
from consult.web.feedback import bp as feedback_bp
from consult.web.inbox import bp as inbox_bp
from consult.web.main import bp as main_bp
from consult.web.merge import bp as merge_bp
from consult.web.notifications import bp as notifications_bp
from consult.web.package import bp as package_bp
from consult.web.privacy import bp as privacy_bp
from consult.web.profile import bp as profile_bp
from consult.web.report import bp as report_bp
from consult.web.responses import bp as responses_bp
from consult.web.revisions import bp as revisions_bp
from consult.web.rounds import bp as rounds_bp
from consult.web.search import bp as search_bp
from consult.web.statement_board import bp as statement_board_bp
from consult.web.statement_paper import bp as statement_paper_bp
from consult.web.statements import bp as statements_bp
from consult.web.synopsis_exports import bp as synopsis_exports_bp


def init_app(app: Flask) -> None:
    """Register the template filters and globals and the HTML blueprints."""
    filters.init_app(app)
    confirm.init_app(app)
    why.init_app(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(revisions_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(synopsis_exports_bp)
    app.register_blueprint(merge_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(responses_bp)
    app.register_blueprint(package_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(statements_bp)
    app.register_blueprint(statement_board_bp)
    app.register_blueprint(statement_paper_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(notifications_bp)  # issue 14: notifications
