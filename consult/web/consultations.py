"""Consultation pages: create, overview, history, members, draft import."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.db import get_session, parse_number
from consult.errors import Invalid, ServiceError
from consult.models import Consultation, Role
from consult.services import (
    access,
    diffs,
    drafts,
    imports,
    merge_preview,
    permissions,
    section_input,
)
from consult.services import consultations as service
from consult.services import revisions as revision_service
from consult.web import confirm
from consult.web.forms import ConsultationForm, ImportForm, MemberForm, options
from consult.web.statement_board_forms import SignatoryForm
from consult.web.util import form_error, render_form

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    db = get_session()
    permissions.require(permissions.can_create_any_consultation(db, current_user))
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = service.create_consultation(
                db, actor=current_user, title=form.title.data, description=form.description.data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(
                _("Das Verfahren ist angelegt. Importieren Sie jetzt den ersten Entwurf."),
                "success",
            )
            return redirect(url_for("consultations.import_draft", consultation_id=consultation.id))
    status = 422 if form.is_submitted() else 200
    return render_form("consultations/form.html", status, form=form, consultation=None)


@bp.route("/<int:consultation_id>")
def show(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    history = diffs.history(db, consultation.id, actor=current_user)
    return render_form(
        "consultations/show.html",
        consultation=consultation,
        history=history,
        can_edit=permissions.can_edit_consultation(db, current_user, consultation),
        draft=revision_service.current_draft(db, consultation.id),
        role=permissions.role_in(db, current_user, consultation),
        role_labels=service.ROLE_LABELS,
        merge_pending=merge_preview.pending(db, consultation, actor=current_user),
    )


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    permissions.require(permissions.can_edit_consultation(db, current_user, consultation))
    form = ConsultationForm(obj=consultation)
    if form.validate_on_submit():
        try:
            service.update_consultation(
                db,
                consultation.id,
                actor=current_user,
                title=form.title.data,
                description=form.description.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Gespeichert."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    status = 422 if form.is_submitted() else 200
    return render_form("consultations/form.html", status, form=form, consultation=consultation)


@bp.route("/<int:consultation_id>/history")
def history(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    entries = diffs.history(db, consultation.id, actor=current_user)
    return render_form("consultations/history.html", consultation=consultation, history=entries)


@bp.route("/<int:consultation_id>/members", methods=["GET", "POST"])
def members(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    can_manage = permissions.can_manage_members(db, current_user, consultation)
    form = MemberForm()
    users = service.users_to_add(db, consultation.id, actor=current_user)
    form.user_id.choices = options((str(u.id), u.label) for u in users)
    if request.method == "POST":
        permissions.require(can_manage)
        if form.validate_on_submit():
            try:
                service.set_member(
                    db,
                    consultation.id,
                    parse_number(form.user_id.data) or 0,
                    actor=current_user,
                    role=form.role.data,
                )
            except ServiceError as exc:
                form_error(form, exc)
            else:
                flash(_("Die Rolle ist gespeichert."), "success")
                return redirect(url_for("consultations.members", consultation_id=consultation.id))
    return _members_page(consultation, 422 if request.method == "POST" else 200, form=form)


def _members_page(
    consultation: Consultation,
    status: int,
    *,
    form: MemberForm | None = None,
    signatory_form: SignatoryForm | None = None,
    signatory_user: int | None = None,
) -> ResponseReturnValue:
    db = get_session()
    if form is None:
        form = MemberForm(formdata=None)
        users = service.users_to_add(db, consultation.id, actor=current_user)
        form.user_id.choices = options((str(u.id), u.label) for u in users)
    return render_form(
        "consultations/members.html",
        status,
        consultation=consultation,
        members=service.list_members(db, consultation.id, actor=current_user),
        form=form,
        can_manage=permissions.can_manage_members(db, current_user, consultation),
        role_labels=service.ROLE_LABELS,
        signatory_form=signatory_form or SignatoryForm(formdata=None),
        signatory_user=signatory_user,
    )


@bp.route("/<int:consultation_id>/members/<int:user_id>/signatory", methods=["POST"])
def set_signatory(consultation_id: int, user_id: int) -> ResponseReturnValue:
    """Mark a municipality member as signatory (mayor or deputy, with function) or as
    drafting staff, as PUT /consultations/{id}/members/{user_id} does."""
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    permissions.require(permissions.can_manage_members(db, current_user, consultation))
    membership = next(
        (
            m
            for m in service.list_members(db, consultation.id, actor=current_user)
            if m.user_id == user_id
        ),
        None,
    )
    if membership is None or membership.role != Role.MUNICIPALITY.value:
        abort(404)
    form = SignatoryForm()
    if form.validate_on_submit():
        try:
            service.set_member(
                db,
                consultation.id,
                user_id,
                actor=current_user,
                role=Role.MUNICIPALITY.value,
                signatory=form.signatory.data == "yes",
                signatory_function=form.signatory_function.data or "",
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(
                _("%(name)s ist jetzt unterzeichnungsberechtigt.", name=membership.user.name)
                if form.signatory.data == "yes"
                else _("%(name)s bereitet jetzt Entwürfe vor.", name=membership.user.name),
                "success",
            )
            return redirect(url_for("consultations.members", consultation_id=consultation.id))
    return _members_page(consultation, 422, signatory_form=form, signatory_user=user_id)


@bp.route("/<int:consultation_id>/members/<int:user_id>/remove", methods=["POST"])
def remove_member(consultation_id: int, user_id: int) -> ResponseReturnValue:
    """Take a person out, once confirmed (consult.web.confirm); "Rückgängig" adds them
    again with the same role (their working groups were never touched)."""
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    permissions.require(permissions.can_manage_members(db, current_user, consultation))
    membership = next(
        (
            m
            for m in service.list_members(db, consultation.id, actor=current_user)
            if m.user_id == user_id
        ),
        None,
    )
    if membership is None:
        abort(404)
    members_url = url_for("consultations.members", consultation_id=consultation.id)
    if not confirm.confirmed():
        return confirm.ask(confirm.remove_member(membership.user.label), cancel_url=members_url)
    role = membership.role
    service.remove_member(db, consultation.id, user_id, actor=current_user)
    flash(_("Die Person ist nicht mehr beteiligt."), "success")
    confirm.offer_undo(members_url, {"user_id": str(user_id), "role": role})
    return redirect(members_url)


@bp.route("/<int:consultation_id>/import", methods=["GET", "POST"])
def import_draft(consultation_id: int) -> ResponseReturnValue:
    """Import Markdown, a DOCX or pasted text: preview the sections, then save a draft."""
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    permissions.require(permissions.can_edit_consultation(db, current_user, consultation))
    form = ImportForm()
    preview = None
    status = 200
    if form.validate_on_submit():
        try:
            text = form.text.data or ""
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                text = imports.docx_to_markdown(upload.read())
                form.text.data = text
            if not text.strip():
                raise Invalid(
                    _("Bitte Text einfügen oder eine Word-Datei (DOCX) wählen."),
                    fields={"text": _("Bitte Text einfügen oder eine Datei wählen.")},
                )
            pasted = form.source.data == "paste"
            if request.form.get("action") == "save":
                revision = drafts.create_from_markdown(
                    db,
                    consultation.id,
                    actor=current_user,
                    markdown=text,
                    note=form.note.data,
                    pasted=pasted,
                )
                flash(
                    ngettext(
                        "Entwurf (Fassung %(n)s) mit %(num)s Abschnitt angelegt.",
                        "Entwurf (Fassung %(n)s) mit %(num)s Abschnitten angelegt.",
                        len(revision.placements),
                        n=revision.number,
                    ),
                    "success",
                )
                return redirect(url_for("revisions.edit", revision_id=revision.id))
            parsed = section_input.parse_import(text, pasted=pasted)
            items = section_input.items_from_parsed(db, consultation, parsed)
            preview = list(zip(parsed, items, strict=True))
        except ServiceError as exc:
            form_error(form, exc)
            if exc.code == "not_docx":
                # The field's hint says what to do; say first what was wrong with the file.
                form.file.errors = [exc.message, *form.file.errors]
            status = exc.status if exc.status in (409, 413) else 422
    elif form.is_submitted():
        status = 422
    return render_form(
        "consultations/import.html",
        status,
        consultation=consultation,
        form=form,
        preview=preview,
        draft=revision_service.current_draft(db, consultation.id),
    )
