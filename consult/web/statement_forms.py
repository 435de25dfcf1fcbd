"""Flask-WTF forms of a municipality's statement page (consult.web.statements), the
labels of positions and channels, and how the form's section remarks become the
services' input (and their errors find their way back to the fields)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from consult.db import parse_number
from consult.domain import textrules
from consult.errors import ServiceError
from consult.models import Channel, StatementPosition, StatementStatus
from consult.services.statement_text import MAX_REMARKS, RemarkInput
from consult.web.forms import Rule, options

#: What a municipality says to the draft, in the words of a council paper.
POSITION_LABELS = {
    StatementPosition.CONSENT.value: _l("Einvernehmen"),
    StatementPosition.CONSENT_WITH_REMARKS.value: _l("Einvernehmen mit Anmerkungen"),
    StatementPosition.REJECTION.value: _l("Ablehnung"),
    StatementPosition.ABSTENTION.value: _l("Enthaltung"),
}
#: How a version came in.
CHANNEL_LABELS = {
    Channel.ONLINE.value: _l("online"),
    Channel.LETTER.value: _l("per Brief"),
    Channel.EMAIL.value: _l("per E-Mail"),
    Channel.FAX.value: _l("per Fax"),
    Channel.IN_PERSON.value: _l("persönlich abgegeben"),
}
#: The working state of a statement, as its municipality reads it.
STATUS_LABELS = {
    StatementStatus.DRAFT.value: _l("Entwurf gespeichert, noch nicht eingereicht"),
    StatementStatus.RETURNED.value: _l("Entwurf zur Überarbeitung zurückgegeben"),
    StatementStatus.SUBMITTED.value: _l("eingereicht"),
}


class RemarkForm(Form):
    """One remark on a section (a sub-form: the page's CSRF token covers it)."""

    section_id = SelectField(_l("Abschnitt"), validate_choice=False)
    body = TextAreaField(
        _l("Anmerkung zu diesem Abschnitt"),
        validators=[Optional(), Rule(textrules.COMMENT)],
        render_kw={"rows": 4},
    )


class StatementForm(FlaskForm):
    position = RadioField(
        _l("Haltung der Kommune zum Entwurf"),
        choices=options(POSITION_LABELS.items()),
        validate_choice=False,  # the service names a wrong one in German
        validators=[Optional()],
    )
    body = TextAreaField(
        _l("Text der Stellungnahme"),
        validators=[Optional(), Rule(textrules.STATEMENT_BODY)],
        description=_l(
            "Begründung, Bedingungen oder Hinweise. Bei einer Ablehnung ist eine Begründung "
            "nötig; bei Einvernehmen ohne Text gilt: „Gegen den Entwurf bestehen keine "
            "Bedenken.“"
        ),
        render_kw={"rows": 10},
    )
    signatory = StringField(
        _l("Unterzeichnet von"), validators=[Optional(), Rule(textrules.FUNCTION)]
    )
    signatory_function = StringField(
        _l("Funktion"),
        validators=[Optional(), Rule(textrules.FUNCTION)],
        description=_l("z. B. „Bürgermeisterin“ oder „stellv. Bürgermeister“"),
    )
    remarks = FieldList(FormField(RemarkForm), min_entries=1, max_entries=MAX_REMARKS)
    draft_revision = HiddenField()


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("Begründung für die Rückgabe"),
        validators=[DataRequired(), Rule(textrules.REASON)],
        description=_l(
            "Was soll überarbeitet werden? Die Begründung erhält, wer den Entwurf "
            "geschrieben hat, auch per E-Mail."
        ),
        render_kw={"rows": 3},
    )
    draft_revision = HiddenField()


class ReleaseForm(FlaskForm):
    draft_revision = HiddenField()


class UploadForm(FlaskForm):
    file = FileField(
        _l("PDF-Datei"),
        description=_l(
            "Nur PDF-Dateien, höchstens 20 MB je Datei. Die Anlage gehört zum Entwurf und wird "
            "mit der nächsten eingereichten Fassung übermittelt."
        ),
        render_kw={"accept": "application/pdf,.pdf"},
    )


def revision_number(value: str | None) -> int | None:
    """The draft revision a form started from (None: not given). A value that is no
    number names no revision (-1): the services answer ``stale_draft``, as for an old one,
    instead of skipping the check."""
    if not value:
        return None
    number = parse_number(value)
    return -1 if number is None else number


def remark_inputs(form: StatementForm) -> tuple[list[RemarkInput], list[int]]:
    """The filled-in remarks as the services take them, and for each the index of its
    entry in the form (empty entries are left out). A remark without a section names an
    unknown one (0), so that the service refuses it at the right entry."""
    found: list[RemarkInput] = []
    entries: list[int] = []
    for index, entry in enumerate(form.remarks.entries):
        section = entry.form.section_id.data or ""
        body = entry.form.body.data or ""
        if not section and not body.strip():
            continue
        found.append(RemarkInput(parse_number(section) or 0, body))
        entries.append(index)
    return found, entries


_REMARK_FIELD = re.compile(r"section_remarks\[(\d+)\]\.(\w+)")


def statement_error(form: StatementForm, exc: ServiceError, entries: list[int]) -> bool:
    """Tie a service error to the statement form's fields; True if one took it."""
    attached = False
    for name, message in exc.fields.items():
        match = _REMARK_FIELD.fullmatch(name)
        field: Any = None
        if match and int(match.group(1)) < len(entries):
            entry = form.remarks.entries[entries[int(match.group(1))]].form
            field = entry.section_id if match.group(2) == "section_id" else entry.body
        elif name in ("position", "body", "signatory", "signatory_function"):
            field = form[name]
        if field is not None:
            field.errors = [*list(field.errors), message]
            attached = True
    return attached


def form_problems(form: FlaskForm) -> list[tuple[str, str, str]]:
    """(field id, label, message) of every error of a form, sub-forms included, for the
    error summary at the top of the page."""
    found: list[tuple[str, str, str]] = []

    def walk(fields: Any, prefix: str = "") -> None:
        for field in fields:
            if field.type == "CSRFTokenField":
                continue
            if field.type == "FieldList":
                for number, entry in enumerate(field.entries, start=1):
                    walk(entry.form, _("Anmerkung %(n)s", n=number) + ": ")
            elif field.errors:
                errors = [e for e in field.errors if isinstance(e, str)]
                if errors:
                    found.append((field.id, prefix + str(field.label.text), " ".join(errors)))

    walk(form)
    return found
