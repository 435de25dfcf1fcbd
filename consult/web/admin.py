"""Administration: organisations and users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session, parse_number
from consult.errors import ServiceError
from consult.services import access, accounts, permissions
from consult.services import organisations as organisation_service
from consult.web.forms import OrganisationForm, UserForm, options
from consult.web.util import form_error, render_form

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only() -> None:
    permissions.require(permissions.can_manage_accounts(current_user))


def _organisation_choices() -> list[Any]:
    orgs = organisation_service.list_organisations(get_session(), actor=current_user)
    return options([("", _("– keine –"))] + [(str(o.id), o.name) for o in orgs if o.is_active])


@bp.route("/organisations", methods=["GET", "POST"])
def organisations() -> ResponseReturnValue:
    db = get_session()
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = organisation_service.create_organisation(
                db, actor=current_user, name=form.name.data, kind=form.kind.data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Organisation „%(name)s“ angelegt.", name=org.name), "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if form.is_submitted() else 200
    items = organisation_service.list_organisations(db, actor=current_user)
    return render_form("admin/organisations.html", status, form=form, organisations=items)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def edit_organisation(organisation_id: int) -> ResponseReturnValue:
    db = get_session()
    org = access.get_organisation(db, organisation_id, actor=current_user)
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            organisation_service.update_organisation(
                db,
                org.id,
                actor=current_user,
                name=form.name.data,
                kind=form.kind.data,
                is_active=bool(form.is_active.data),
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Organisation gespeichert."), "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if form.is_submitted() else 200
    return render_form("admin/organisation_edit.html", status, form=form, organisation=org)


@bp.route("/users")
def users() -> ResponseReturnValue:
    items = accounts.list_users(get_session(), actor=current_user)
    return render_form("admin/users.html", users=items)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> ResponseReturnValue:
    form = UserForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            created = accounts.create_user(
                get_session(),
                actor=current_user,
                email=form.email.data,
                name=form.name.data,
                organisation_id=parse_number(form.organisation_id.data),
                is_admin=bool(form.is_admin.data),
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Einladung an %(email)s verschickt.", email=created.user.email), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render_form("admin/user_edit.html", status, form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> ResponseReturnValue:
    db = get_session()
    user = access.get_user(db, user_id, actor=current_user)
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices()
    if not form.is_submitted():
        form.organisation_id.data = str(user.organisation_id or "")
    if form.validate_on_submit():
        try:
            accounts.update_user(
                db,
                user.id,
                # the real object, not the proxy: the service spots self-edits by identity
                actor=current_user._get_current_object(),
                name=form.name.data,
                email=form.email.data,
                organisation_id=parse_number(form.organisation_id.data),
                is_admin=bool(form.is_admin.data),
                is_active=bool(form.is_active.data),
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Person gespeichert."), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render_form("admin/user_edit.html", status, form=form, user=user)


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
def reinvite(user_id: int) -> ResponseReturnValue:
    user = access.get_user(get_session(), user_id, actor=current_user)
    accounts.reinvite_user(get_session(), user.id, actor=current_user)
    flash(_("Neue Einladung an %(email)s verschickt.", email=user.email), "success")
    return redirect(url_for("admin.users"))
