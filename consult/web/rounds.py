"""Working groups and rounds: pages for editors and the invited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.lists import format_list
from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from consult import dates
from consult.db import get_session, utcnow
from consult.errors import ServiceError
from consult.models import Feedback, RevisionStatus, Round, WorkingGroup
from consult.services import access, outcomes, permissions
from consult.services import consultations as consultation_service
from consult.services import revisions as revision_service
from consult.services import rounds as service
from consult.services import working_groups as group_service
from consult.web import confirm
from consult.web.forms import (
    ExtendRoundForm,
    ReopenRoundForm,
    RoundForm,
    WorkingGroupForm,
    options,
)
from consult.web.responses import round_outcome
from consult.web.statement_board import summary as statement_summary
from consult.web.util import form_error, render_form

bp = Blueprint("rounds", __name__)


def _aware(value: datetime | None) -> datetime:
    """A datetime-local form value (required: validated before) is Europe/Berlin time."""
    assert value is not None, "a validated DateTimeLocalField with DataRequired"
    return value.replace(tzinfo=service.BERLIN).astimezone(UTC)


def _member_choices(consultation_id: int) -> list[Any]:
    users = consultation_service.member_users(get_session(), consultation_id, actor=current_user)
    return options((u.id, u.label) for u in users)


def _section_choices(consultation_id: int) -> list[Any]:
    db = get_session()
    latest = revision_service.latest_revision(db, consultation_id)
    if latest is None:
        return []
    return options(
        (p.section_id, f"{p.key} {p.version.title}".strip())
        for p in revision_service.outline(db, latest).placements
    )


@bp.route("/consultations/<int:consultation_id>/working-groups", methods=["GET", "POST"])
def working_groups(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    can_manage = permissions.can_manage_members(db, current_user, consultation)
    form = WorkingGroupForm()
    form.section_ids.choices = _section_choices(consultation.id)
    form.member_ids.choices = _member_choices(consultation.id)
    status = 200
    if request.method == "POST":
        permissions.require(can_manage)
        group = _save_working_group(form, consultation.id) if form.validate_on_submit() else None
        if group is not None:
            flash(_("Arbeitskreis „%(n)s“ angelegt.", n=group.name), "success")
            return redirect(url_for("rounds.working_groups", consultation_id=consultation.id))
        status = 422
    groups = group_service.list_working_groups(db, consultation.id, actor=current_user)
    return render_form(
        "rounds/working_groups.html",
        status,
        consultation=consultation,
        groups=groups,
        form=form,
        can_manage=can_manage,
        sections={choice.value: choice.label for choice in form.section_ids.choices},
    )


def _save_working_group(
    form: WorkingGroupForm, consultation_id: int, group: WorkingGroup | None = None
) -> WorkingGroup | None:
    """Create (or update) a working group and its members from a valid form.

    None when a service refuses; its message is then on the form.
    """
    db = get_session()
    fields = {
        "name": form.name.data,
        "section_ids": list(form.section_ids.data or []),
        "description": form.description.data,
    }
    try:
        if group is None:
            group = group_service.create_working_group(
                db, consultation_id, actor=current_user, **fields
            )
        else:
            group_service.update_working_group(db, group.id, actor=current_user, **fields)
        group_service.set_group_members(
            db, group.id, actor=current_user, user_ids=list(form.member_ids.data or [])
        )
    except ServiceError as exc:
        form_error(form, exc)
        return None
    return group


@bp.route("/working-groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_working_group(group_id: int) -> ResponseReturnValue:
    db = get_session()
    group = access.get_working_group(db, group_id, actor=current_user)
    consultation = access.get_consultation(db, group.consultation_id, actor=current_user)
    permissions.require(permissions.can_manage_members(db, current_user, consultation))
    form = WorkingGroupForm(obj=group)
    form.section_ids.choices = _section_choices(consultation.id)
    form.member_ids.choices = _member_choices(consultation.id)
    if not form.is_submitted():
        form.section_ids.data = [s.section_id for s in group.sections]
        form.member_ids.data = [m.user_id for m in group.members]
    status = 200
    if form.is_submitted():
        if form.validate() and _save_working_group(form, consultation.id, group) is not None:
            flash(_("Arbeitskreis gespeichert."), "success")
            return redirect(url_for("rounds.working_groups", consultation_id=consultation.id))
        status = 422
    return render_form(
        "rounds/working_group_edit.html", status, consultation=consultation, group=group, form=form
    )


@bp.route("/consultations/<int:consultation_id>/rounds", methods=["GET", "POST"])
def rounds(consultation_id: int) -> ResponseReturnValue:
    db = get_session()
    consultation = access.get_consultation(db, consultation_id, actor=current_user)
    can_manage = permissions.can_manage_rounds(db, current_user, consultation)
    form = RoundForm()
    published = [
        r
        for r in revision_service.list_revisions(db, consultation, actor=current_user)
        if r.status != RevisionStatus.DRAFT.value
    ]
    form.revision_id.choices = options((r.id, _("Fassung %(n)s", n=r.number)) for r in published)
    groups = group_service.list_working_groups(db, consultation.id, actor=current_user)
    form.working_group_ids.choices = options((g.id, g.name) for g in groups)
    status = 200
    if request.method == "POST":
        permissions.require(can_manage)
        if form.validate_on_submit():
            try:
                round_ = service.create_round(
                    db,
                    consultation.id,
                    actor=current_user,
                    revision_id=form.revision_id.data,
                    title=form.title.data,
                    opens_at=_aware(form.opens_at.data),
                    closes_at=_aware(form.closes_at.data),
                    working_group_ids=list(form.working_group_ids.data or []),
                    municipalities=bool(form.municipalities.data),
                    visibility=form.visibility.data,
                    description=form.description.data,
                )
            except ServiceError as exc:
                form_error(form, exc)
                status = 422
            else:
                flash(
                    _("Die Runde ist angelegt; die Eingeladenen bekommen eine E-Mail."), "success"
                )
                return redirect(url_for("rounds.show", round_id=round_.id))
        else:
            status = 422
    items = service.list_rounds(db, consultation.id, actor=current_user)
    return render_form(
        "rounds/list.html",
        status,
        consultation=consultation,
        rounds=items,
        tables=outcomes.readable_tables(db, consultation.id, actor=current_user),
        form=form,
        can_manage=can_manage,
        now=utcnow(),
    )


def _audience(
    round_: Round, groups: dict[int, WorkingGroup], *, can_manage: bool
) -> dict[str, Any]:
    """What the round page tells this reader about who takes part and who sees what:
    the invited (one list, no stray spaces), who sees the feedback, in words that fit
    the reader (the editors see the setting, the invited what happens to their
    feedback), whether they may give feedback."""
    viewer = permissions.feedback_viewer(get_session(), current_user, round_.revision.consultation)
    invitees = [groups[g].name if g in groups else str(g) for g in round_.working_group_ids]
    if round_.includes_municipalities:
        invitees.append(_("alle Kommunen"))
    invited = round_.id in viewer.invited_round_ids
    if can_manage or viewer.is_editor:
        visibility = {
            "editors": _("nur die Redaktion und wer den Beitrag geschrieben hat"),
            "group": _(
                "die Redaktion und die Mitglieder des Arbeitskreises, aus dem der Beitrag kommt"
            ),
            "round": _("alle Eingeladenen der Runde"),
        }.get(round_.visibility, round_.visibility)
    elif round_.visibility == "round":  # (only editors and the invited see a round)
        visibility = _("Ihre Beiträge sehen die Redaktion und alle Eingeladenen der Runde.")
    elif round_.visibility == "group" and (
        mine := sorted(
            groups[g].name for g in viewer.group_ids & set(round_.working_group_ids) if g in groups
        )
    ):
        locale = get_locale()
        visibility = ngettext(
            "Ihre Beiträge sehen die Redaktion und die Mitglieder Ihres Arbeitskreises %(names)s.",
            "Ihre Beiträge sehen die Redaktion und die Mitglieder Ihrer Arbeitskreise %(names)s.",
            len(mine),
            names=format_list([f"„{name}“" for name in mine], locale=str(locale or "de_DE")),
        )
    else:  # "editors", or "group" for someone in none of the round's working groups
        visibility = _("Ihre Beiträge sieht nur die Redaktion.")
    return {
        "invitees": invitees,
        "visibility": visibility,
        "may_give": invited and round_.status_at(utcnow()) != "closed",
    }


@bp.route("/rounds/<int:round_id>")
def show(round_id: int) -> ResponseReturnValue:
    db = get_session()
    round_ = access.get_round(db, round_id, actor=current_user)
    consultation = round_.revision.consultation
    can_manage = permissions.can_manage_rounds(db, current_user, consultation)
    counts = (
        dict(
            db.execute(
                select(Feedback.kind, func.count(Feedback.id))
                .where(Feedback.round_id == round_.id, Feedback.withdrawn_at.is_(None))
                .group_by(Feedback.kind)
            ).all()
        )
        if can_manage
        else {}
    )
    groups = {
        g.id: g for g in group_service.list_working_groups(db, consultation.id, actor=current_user)
    }
    return render_form(
        "rounds/show.html",
        round=round_,
        consultation=consultation,
        can_manage=can_manage,
        now=utcnow(),
        counts=counts,
        groups=groups,
        extend_form=ExtendRoundForm(formdata=None),
        reopen_form=ReopenRoundForm(formdata=None),
        invited=len(service.invited_users(db, round_)) if can_manage else None,
        statement_summary=statement_summary(round_) if can_manage else None,
        **_audience(round_, groups, can_manage=can_manage),
        **round_outcome(db, round_),
    )


@bp.route("/rounds/<int:round_id>/extend", methods=["POST"])
def extend(round_id: int) -> ResponseReturnValue:
    db = get_session()
    round_ = access.get_round(db, round_id, actor=current_user)
    permissions.require(
        permissions.can_manage_rounds(db, current_user, round_.revision.consultation)
    )
    form = ExtendRoundForm()
    if form.validate_on_submit():
        try:
            service.extend_round(
                db,
                round_.id,
                actor=current_user,
                closes_at=_aware(form.closes_at.data),
                reason=form.reason.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(_("Die Frist ist verlängert."), "success")
            return redirect(url_for("rounds.show", round_id=round_.id))
    return _round_page_again(round_, 422, extend_form=form)


def _round_page_again(
    round_: Round,
    status: int,
    *,
    extend_form: ExtendRoundForm | None = None,
    reopen_form: ReopenRoundForm | None = None,
) -> ResponseReturnValue:
    """The round's page with a refused form (its errors at its fields), for an editor."""
    groups = {
        g.id: g
        for g in group_service.list_working_groups(
            get_session(), round_.consultation_id, actor=current_user
        )
    }
    return render_form(
        "rounds/show.html",
        status,
        round=round_,
        consultation=round_.revision.consultation,
        can_manage=True,
        now=utcnow(),
        counts={},
        groups=groups,
        extend_form=extend_form or ExtendRoundForm(formdata=None),
        reopen_form=reopen_form or ReopenRoundForm(formdata=None),
        invited=None,
        statement_summary=statement_summary(round_),
        **_audience(round_, groups, can_manage=True),
        **round_outcome(get_session(), round_),
    )


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
def close(round_id: int) -> ResponseReturnValue:
    """Close the round now, once confirmed (consult.web.confirm)."""
    db = get_session()
    round_ = access.get_round(db, round_id, actor=current_user)
    permissions.require(
        permissions.can_manage_rounds(db, current_user, round_.revision.consultation)
    )
    if not confirm.confirmed() and round_.status_at(utcnow()) != "closed":
        return confirm.ask(
            confirm.close_round(round_), cancel_url=url_for("rounds.show", round_id=round_.id)
        )
    service.close_round(db, round_.id, actor=current_user)
    flash(_("Die Runde ist geschlossen."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.route("/rounds/<int:round_id>/reopen", methods=["POST"])
def reopen(round_id: int) -> ResponseReturnValue:
    """Open a closed round again until a new deadline, with a reason (its undo)."""
    db = get_session()
    round_ = access.get_round(db, round_id, actor=current_user)
    permissions.require(
        permissions.can_manage_rounds(db, current_user, round_.revision.consultation)
    )
    form = ReopenRoundForm()
    status = 422
    if form.validate_on_submit():
        try:
            service.reopen_round(
                db,
                round_.id,
                actor=current_user,
                closes_at=_aware(form.closes_at.data),
                reason=form.reason.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
            status = 409 if exc.status == 409 else 422
        else:
            flash(
                _(
                    "Die Runde ist wieder geöffnet, bis %(d)s. Die Eingeladenen bekommen eine "
                    "E-Mail.",
                    d=dates.moment(round_.closes_at, weekday=True),
                ),
                "success",
            )
            return redirect(url_for("rounds.show", round_id=round_.id))
    return _round_page_again(round_, status, reopen_form=form)
