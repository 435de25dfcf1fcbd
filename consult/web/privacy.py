"""Personal data on the web: the privacy page (/datenschutz, public), the profile's
"Ihre Daten" (download as JSON, erase one's account) and an admin's erasure of an account.

Erasing is confirmed first (the consult.web.confirm pattern): the form names the
consequences in ``data-confirm*`` attributes for the dialog; a form that arrives without
``confirmed=1`` (no JavaScript) is answered with a page that asks the same. A person
erasing their own account also gives their current password (on that page again: it is
never written into a page).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField

from consult.db import get_session
from consult.errors import ServiceError
from consult.models import User
from consult.services import access, permissions, privacy
from consult.web import confirm
from consult.web.util import form_error, render_form

bp = Blueprint("privacy", __name__)


class ErasureForm(FlaskForm):
    # Checked by the service (a wrong or missing password is one message, on the field).
    current_password = PasswordField(_l("Ihr Passwort"))


def erase_own_account() -> confirm.Question:
    return confirm.Question(
        _("Ihr Konto endgültig löschen?"),
        _(
            "Ihr Name und Ihre E-Mail-Adresse werden gelöscht, Sie werden abgemeldet und "
            "können sich nicht mehr anmelden; Ihre Rollen in den Beteiligungsverfahren und "
            "Ihre API-Tokens enden. Ihre Kommentare, Änderungsvorschläge, Antworten und "
            "Stellungnahmen bleiben als Beiträge Ihrer Organisation erhalten, gezeichnet mit "
            "„%(label)s“. Das lässt sich nicht rückgängig machen.",
            label=privacy.ERASED_NAME,
        ),
        _("Ja, Konto löschen"),
    )


def erase_account(user: User) -> confirm.Question:
    return confirm.Question(
        _("Konto von %(n)s endgültig löschen?", n=user.name),
        _(
            "Name und E-Mail-Adresse der Person werden gelöscht, sie wird abgemeldet und kann "
            "sich nicht mehr anmelden; ihre Rollen in den Beteiligungsverfahren und ihre "
            "API-Tokens enden, noch nicht versandte E-Mails an sie entfallen. Ihre Beiträge "
            "und Stellungnahmen bleiben als Beiträge ihrer Organisation erhalten, gezeichnet "
            "mit „%(label)s“. Das lässt sich nicht rückgängig machen.",
            label=privacy.ERASED_NAME,
        ),
        _("Ja, Konto löschen"),
    )


@bp.app_template_global()
def erasure_confirm_attrs() -> object:
    """The dialog's attributes of the profile's erasure form (templates/profile)."""
    return confirm.attributes(erase_own_account())


@bp.app_template_global()
def erasure_attrs_for(user: User) -> object:
    """The dialog's attributes of the admin's erasure form (templates/admin/user_edit)."""
    return confirm.attributes(erase_account(user))


def _me() -> User:
    return permissions.require_user(current_user._get_current_object())


@bp.route("/datenschutz")
def page() -> ResponseReturnValue:
    months = current_app.extensions["consult_settings"].retention_months
    return render_form("privacy/page.html", retention_months=months, erased=privacy.ERASED_NAME)


@bp.route("/profile/data")
def download() -> ResponseReturnValue:
    document = privacy.my_data(get_session(), actor=_me())
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="meine-daten-consult.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/profile/erasure", methods=["POST"])
def erase_me() -> ResponseReturnValue:
    me = _me()
    form = ErasureForm()
    question = erase_own_account()
    if not confirm.confirmed():
        return render_form("privacy/erase.html", form=ErasureForm(formdata=None), question=question)
    if form.validate_on_submit():
        try:
            privacy.check_password(me, form.current_password.data)
            privacy.erase(get_session(), actor=me)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            session.clear()
            logout_user()
            flash(
                _("Ihr Konto ist gelöscht. Sie sind abgemeldet. Vielen Dank für Ihre Mitwirkung."),
                "success",
            )
            return redirect(url_for("privacy.page"))
    form.current_password.data = ""
    return render_form("privacy/erase.html", 422, form=form, question=question)


@bp.route("/admin/users/<int:user_id>/erase", methods=["POST"])
def erase_user(user_id: int) -> ResponseReturnValue:
    permissions.require(permissions.can_manage_accounts(current_user))
    me = _me()
    db = get_session()
    user = access.get_user(db, user_id, actor=me)
    if not confirm.confirmed():
        return confirm.ask(
            erase_account(user), cancel_url=url_for("admin.edit_user", user_id=user.id)
        )
    try:
        privacy.erase(db, actor=me, user_id=user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if user.id == me.id:  # their own account: signed out like anyone erased
        session.clear()
        logout_user()
        return redirect(url_for("privacy.page"))
    flash(_("Das Konto ist gelöscht (anonymisiert)."), "success")
    return redirect(url_for("admin.users"))
