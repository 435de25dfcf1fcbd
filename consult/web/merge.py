"""The merge page: "Neue Fassung aus den angenommenen Vorschlägen" (issue 11, item 6).

One form, without JavaScript: the preview of the would-be revision (each change with its
cause), a text area for each section the editor opened ("Abschnitt bearbeiten", which
posts the form back with that section open), "Vorschau aktualisieren" and, with the note,
"Neue Fassung anlegen". Everything goes through consult.services.merge_preview.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.db import get_session, parse_number
from consult.errors import Conflict, Invalid
from consult.services import merge_preview
from consult.web.forms import MergeForm, section_field
from consult.web.util import form_error, render_form

bp = Blueprint("merge", __name__, url_prefix="/revisions")

#: The prefix of a section's text area (consult.web.forms.section_field).
FIELD_PREFIX = section_field(0).removesuffix("0")


def _section_id(value: str | None) -> int | None:
    """A section id sent by the form (a button's value, a field's name); a value that is
    no id is a broken form: 400."""
    if value is None or value == "":
        return None
    number = parse_number(value)
    if number is None:
        abort(400)
    return number


def _posted_sections() -> list[int]:
    """The sections whose text areas the form sent, in the order sent."""
    found = []
    for name in request.form:
        if name.startswith(FIELD_PREFIX):
            number = _section_id(name.removeprefix(FIELD_PREFIX))
            assert number is not None
            found.append(number)
    return found


@bp.route("/<int:revision_id>/merge", methods=["GET", "POST"])
def preview(revision_id: int) -> ResponseReturnValue:
    db = get_session()
    posted = request.method == "POST"
    opened = _section_id(request.form.get("open")) if posted else None
    closed = _section_id(request.form.get("close")) if posted else None
    sections = [sid for sid in _posted_sections() if sid != closed] if posted else []
    form = MergeForm.with_sections(sections)() if posted else MergeForm()
    valid = form.validate() if posted else True
    edits = {
        sid: form[section_field(sid)].data or ""
        for sid in sections
        if not form[section_field(sid)].errors
    }
    status = 200 if valid else 422
    problem: str | None = None
    if posted and valid and request.form.get("action") == "merge" and opened is None:
        try:
            merged = merge_preview.confirm(
                db,
                revision_id,
                actor=current_user,
                note=form.note.data or "",
                edits=edits,
                fingerprint=request.form.get("fingerprint", ""),
            )
        except Conflict as exc:
            problem, status = exc.message, 409
        except Invalid as exc:
            form_error(form, exc)
            status = 422
        else:
            flash(
                ngettext(
                    "Fassung %(n)s ist als Entwurf angelegt; %(num)s Vorschlag ist eingearbeitet.",
                    "Fassung %(n)s ist als Entwurf angelegt; %(num)s Vorschläge sind "
                    "eingearbeitet.",
                    merged.applied,
                    n=merged.revision.number,
                ),
                "success",
            )
            return redirect(
                url_for(
                    "revisions.diff",
                    revision_id=merged.revision.id,
                    against=revision_id,
                    view="inline",
                )
            )
    shown = merge_preview.preview(db, revision_id, actor=current_user, edits=edits)
    by_id = {s.section_id: s for s in shown.sections}
    if opened is not None and opened not in by_id:
        abort(400)
    open_ids = [sid for sid in sections if sid in by_id]
    if opened is not None and opened not in open_ids:
        open_ids.append(opened)
    form = _with_fields(form, open_ids, shown)
    return render_form(
        "revisions/merge.html",
        status,
        preview=shown,
        form=form,
        open_ids=open_ids,
        focus=opened,
        problem=problem,
        field_name=section_field,
    )


def _with_fields(form: MergeForm, open_ids: list[int], shown: merge_preview.Preview) -> MergeForm:
    """The form with a text area for each open section: what was sent, else (a section
    just opened) the section's text as the preview has it."""
    if not open_ids:
        return form
    sections = {s.section_id: s for s in shown.sections}
    full = MergeForm.with_sections(open_ids)(formdata=None)
    full.note.data = form.note.data
    full.note.errors = list(form.note.errors)
    for sid in open_ids:
        name = section_field(sid)
        target = full[name]
        section = sections[sid]
        target.label.text = _("Neuer Text von Abschnitt %(s)s", s=_label(section))
        if name in form:
            target.data = form[name].data
            target.errors = list(form[name].errors)
            if target.errors:
                # What was sent, as sent: the text area shows it again for correction.
                target.data = request.form.get(name, "")
        else:
            target.data = section.new_body
    return full


def _label(section: merge_preview.SectionPreview) -> str:
    return f"{section.key} {section.title}".strip()
