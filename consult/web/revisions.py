"""Revision pages: reading view, draft editor, publishing, diffs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session, parse_number, utcnow
from consult.errors import Conflict, ServiceError
from consult.models import Placement, Revision
from consult.services import (
    access,
    change_causes,
    diffs,
    draft_sections,
    drafts,
    feedback_views,
    merge_preview,
    permissions,
    working_groups,
)
from consult.services import revisions as service
from consult.services import rounds as round_service
from consult.web import confirm, reading_page
from consult.web.forms import NewSectionForm, NoteForm, SectionForm, options
from consult.web.reading import Filters
from consult.web.reading_html import SectionRenderer
from consult.web.threads import ThreadRenderer
from consult.web.util import form_error, render_form

bp = Blueprint("revisions", __name__, url_prefix="/revisions")

DIFF_VIEWS = ("overview", "inline", "synopsis")


def _readable(revision_id: int) -> Revision:
    return access.get_revision(get_session(), revision_id, actor=current_user)


@bp.route("/<int:revision_id>")
def read(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = _readable(revision_id)
    viewer = permissions.feedback_viewer(db, current_user, revision.consultation)
    visible = feedback_views.visible_rows(db, revision.consultation, viewer)
    filters = Filters.from_args(request.args)
    rounds = round_service.list_rounds(db, revision.consultation_id, actor=current_user)
    rounds_here = [r for r in rounds if r.revision_id == revision.id]
    now = utcnow()
    open_round = next(
        (r for r in rounds_here if r.status_at(now) == "open" and r.id in viewer.invited_round_ids),
        None,
    )
    thread = ThreadRenderer(
        revision_id=revision.id,
        language=str(locale.language) if (locale := get_locale()) else "de",
        user_id=viewer.user_id,
        can_moderate=viewer.is_editor,
        open_round_id=open_round.id if open_round else None,
        closed_round_ids=frozenset(r.id for r in rounds if r.status_at(now) == "closed"),
    )
    part = reading_page.feedback_part(
        db,
        revision,
        visible,
        filters,
        viewer,
        SectionRenderer(revision_id=revision.id, can_annotate=open_round is not None),
        thread,
    )
    others = service.list_revisions(db, revision.consultation, actor=current_user)
    is_latest = all(r.number <= revision.number for r in others)
    html = render_template(
        "revisions/read.html",
        revision=revision,
        toc=reading_page.TOC,
        document=reading_page.DOCUMENT,
        total=part.total,
        shown=part.shown,
        filters=filters,
        others=[r for r in others if r.id != revision.id],
        can_edit=permissions.can_edit_revision(db, current_user, revision),
        can_moderate=viewer.is_editor,
        viewer=viewer,
        rounds_here=rounds_here,
        open_round=open_round,
        now=now,
        groups=working_groups.list_working_groups(db, revision.consultation_id, actor=current_user),
        organisations=part.organisations,
        merge_pending=(
            merge_preview.pending(db, revision.consultation, actor=current_user)
            if viewer.is_editor and is_latest
            else 0
        ),
    )
    return reading_page.page_response(html, part)


@bp.route("/<int:revision_id>/edit")
def edit(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = access.editable_revision(db, revision_id, actor=current_user)
    placements = service.outline(db, revision).placements
    add_form = NewSectionForm()
    add_form.position.choices = _position_choices(placements)
    return render_form(
        "revisions/edit.html",
        revision=revision,
        placements=placements,
        add_form=add_form,
        note_form=NoteForm(obj=revision, formdata=None),
    )


def _position_choices(placements: Sequence[Placement]) -> list[Any]:
    choices = [("end", _("am Ende"))]
    for p in placements:
        label = f"{p.key} {p.version.title}".strip()
        choices.append((f"after:{p.section_id}", _("nach „%(s)s“", s=label)))
        choices.append((f"child:{p.section_id}", _("als Unterabschnitt von „%(s)s“", s=label)))
    return options(choices)


@bp.route("/<int:revision_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
def edit_section(revision_id: int, section_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = access.editable_revision(db, revision_id, actor=current_user)
    placement = next(
        (p for p in service.outline(db, revision).placements if p.section_id == section_id), None
    )
    if placement is None:
        abort(404)
    form = SectionForm()
    if not form.is_submitted():
        form.key.data = placement.key
        form.title.data = placement.version.title
        form.body.data = placement.version.body
        form.base_version_id.data = str(placement.version_id)
    conflict = None
    status = 200
    if form.validate_on_submit():
        try:
            base_id = parse_number(form.base_version_id.data) or 0
            draft_sections.update_section(
                db,
                revision.id,
                section_id,
                actor=current_user,
                title=form.title.data,
                body=form.body.data or "",
                base_version_id=base_id,
                key=form.key.data or "",
            )
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            conflict = exc.details["current"]
            form.base_version_id.data = str(conflict["version_id"])
            status = 409
        except ServiceError as exc:
            form_error(form, exc)
            status = 422
        else:
            flash(_("Abschnitt gespeichert."), "success")
            return redirect(url_for("revisions.edit", revision_id=revision.id) + f"#s-{section_id}")
    elif form.is_submitted():
        status = 422
    return render_form(
        "revisions/section_edit.html",
        status,
        revision=revision,
        placement=placement,
        form=form,
        conflict=conflict,
    )


@bp.route("/<int:revision_id>/sections", methods=["POST"])
def add_section(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    revision = access.editable_revision(db, revision_id, actor=current_user)
    form = NewSectionForm()
    form.position.choices = _position_choices(service.outline(db, revision).placements)
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
        return redirect(url_for("revisions.edit", revision_id=revision.id)), 303
    where, _sep, ref = (form.position.data or "end").partition(":")
    placement = draft_sections.add_section(
        db,
        revision.id,
        actor=current_user,
        title=form.title.data,
        key=form.key.data or "",
        after_section_id=parse_number(ref),
        as_child=where == "child",
    )
    flash(_("Abschnitt angelegt. Schreiben Sie jetzt seinen Text."), "success")
    return redirect(
        url_for("revisions.edit_section", revision_id=revision.id, section_id=placement.section_id)
    )


@bp.route("/<int:revision_id>/sections/<int:section_id>/delete", methods=["POST"])
def delete_section(revision_id: int, section_id: int) -> ResponseReturnValue:
    """Delete a section from the draft, once confirmed (consult.web.confirm)."""
    db = get_session()
    if not confirm.confirmed():
        revision = access.editable_revision(db, revision_id, actor=current_user)
        placement = next(
            (p for p in service.outline(db, revision).placements if p.section_id == section_id),
            None,
        )
        if placement is None:
            abort(404)
        return confirm.ask(
            confirm.delete_section(f"{placement.key} {placement.version.title}".strip()),
            cancel_url=url_for("revisions.edit", revision_id=revision.id) + f"#s-{section_id}",
        )
    draft_sections.delete_section(db, revision_id, section_id, actor=current_user)
    flash(_("Abschnitt gelöscht."), "success")
    return redirect(url_for("revisions.edit", revision_id=revision_id))


@bp.route("/<int:revision_id>/sections/<int:section_id>/move", methods=["POST"])
def move_section(revision_id: int, section_id: int) -> ResponseReturnValue:
    draft_sections.move_section(
        get_session(),
        revision_id,
        section_id,
        actor=current_user,
        direction=request.form.get("direction", ""),
    )
    return redirect(url_for("revisions.edit", revision_id=revision_id) + f"#s-{section_id}")


@bp.route("/<int:revision_id>/renumber", methods=["POST"])
def renumber(revision_id: int) -> ResponseReturnValue:
    draft_sections.renumber_sections(get_session(), revision_id, actor=current_user)
    flash(_("Die Abschnitte sind neu nummeriert."), "success")
    return redirect(url_for("revisions.edit", revision_id=revision_id))


@bp.route("/<int:revision_id>/note", methods=["POST"])
def update_note(revision_id: int) -> ResponseReturnValue:
    form = NoteForm()
    if not form.validate_on_submit():
        # What is wrong (too long, a control character), as add_section says it.
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
        return redirect(url_for("revisions.edit", revision_id=revision_id)), 303
    drafts.update_note(get_session(), revision_id, actor=current_user, note=form.note.data)
    flash(_("Notiz gespeichert."), "success")
    return redirect(url_for("revisions.edit", revision_id=revision_id))


@bp.route("/<int:revision_id>/publish", methods=["POST"])
def publish(revision_id: int) -> ResponseReturnValue:
    revision = drafts.publish(get_session(), revision_id, actor=current_user, notify=True)
    flash(
        _("Fassung %(n)s ist veröffentlicht und damit eingefroren.", n=revision.number), "success"
    )
    return redirect(url_for("revisions.read", revision_id=revision.id))


@bp.route("/<int:revision_id>/copy", methods=["POST"])
def copy(revision_id: int) -> ResponseReturnValue:
    draft = drafts.copy_revision(get_session(), revision_id, actor=current_user)
    flash(_("Neuer Entwurf (Fassung %(n)s) angelegt.", n=draft.number), "success")
    return redirect(url_for("revisions.edit", revision_id=draft.id))


@bp.route("/<int:revision_id>/discard", methods=["POST"])
def discard(revision_id: int) -> ResponseReturnValue:
    """Delete the draft, once confirmed (consult.web.confirm)."""
    db = get_session()
    if not confirm.confirmed():
        revision = access.editable_revision(db, revision_id, actor=current_user)
        return confirm.ask(
            confirm.discard_draft(revision.number),
            cancel_url=url_for("revisions.edit", revision_id=revision.id),
        )
    consultation_id = drafts.discard_draft(db, revision_id, actor=current_user)
    flash(_("Der Entwurf ist verworfen."), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation_id))


@bp.route("/<int:revision_id>/diff")
def diff(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    view = request.args.get("view", "overview")
    if view not in DIFF_VIEWS:
        view = "overview"
    if not request.args.get("against"):
        # A link without a comparison compares with the revision before (none: the reading view).
        revision = access.get_revision(db, revision_id, actor=current_user)
        earlier = [
            r
            for r in service.list_revisions(db, revision.consultation, actor=current_user)
            if r.number < revision.number
        ]
        if not earlier:
            flash(_("Dies ist die erste Fassung: Es gibt keine frühere zum Vergleich."), "info")
            return redirect(url_for("revisions.read", revision_id=revision_id))
        previous = max(earlier, key=lambda r: r.number)
        values: dict[str, Any] = {k: v for k, v in request.args.items() if k != "against"}
        return redirect(
            url_for("revisions.diff", revision_id=revision_id, against=previous.id, **values)
        )
    comparison = diffs.compare_revisions(
        db, revision_id, request.args.get("against"), actor=current_user
    )
    only_changes = request.args.get("only") == "changes"
    why = change_causes.for_comparison(db, comparison, actor=current_user)
    sections = [s for s in comparison.sections if s.is_change or not only_changes]
    change_index = {s.section_id: n for n, s in enumerate(x for x in sections if x.is_change)}
    return render_form(
        "revisions/diff.html",
        comparison=comparison,
        sections=sections,
        change_index=change_index,
        why=why,
        can_decide=permissions.can_decide_feedback(
            db, current_user, comparison.revision.consultation
        ),
        inline_url=url_for(
            "revisions.diff",
            revision_id=revision_id,
            against=comparison.other.id,
            view="inline",
            only="changes" if only_changes else None,
        ),
        view=view,
        only_changes=only_changes,
        others=[
            r
            for r in service.list_revisions(
                db, comparison.revision.consultation, actor=current_user
            )
            if r.id != comparison.revision.id
        ],
    )
