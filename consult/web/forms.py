"""Flask-WTF forms of the account pages (CSRF token included in each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FileField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from consult.db import parse_number
from consult.domain import textrules
from consult.models import OrganisationKind


class Rule:
    """A form field under the text rules of consult.domain.textrules (the same table the
    API's request models use): the field's data becomes the text as stored; a refusal
    is the field's error. Whether it may be empty is for DataRequired/Optional to say."""

    def __init__(self, rule: textrules.TextRule) -> None:
        self.rule = replace(rule, required=False)
        self.field_flags = {"maxlength": rule.max_length}

    def __call__(self, form: Any, field: Any) -> None:
        if not isinstance(field.data, str):
            return
        try:
            field.data = textrules.check_text(field.data, self.rule)
        except textrules.TextRuleError as exc:
            values = {
                k: format_decimal(v) if isinstance(v, int) else v for k, v in exc.params.items()
            }
            raise StopValidation(_(exc.template, **values)) from None


def id_number(value: object) -> int:
    """``coerce`` of a select of ids: the number as db.parse_number reads it (ASCII digits
    within the id columns' range). ``int`` would take "١" (an Arabic-Indic one) for 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_number(value)
    if number is None:
        raise ValueError("not an id")
    return number


class CheckboxListField(SelectMultipleField):
    """A choice of several as checkboxes, which templates/_forms.html puts in a fieldset
    with the label as its legend: a multiple select wants Ctrl+click, which few know and
    touch screens lack. Posts the same name and values as a SelectMultipleField."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def options(pairs: Iterable[tuple[object, object]]) -> list[Any]:
    """Select options from (value, label) pairs: WTForms 3.3 deprecates plain tuples
    (3.4 drops them) in favour of SelectChoice."""
    return [SelectChoice(value, label) for value, label in pairs]


KIND_LABELS = {
    OrganisationKind.MUNICIPALITY: _l("Kommune (Stadt/Gemeinde)"),
    OrganisationKind.WELFARE: _l("Wohlfahrtsverband"),
    OrganisationKind.SCHOOL: _l("Schule / Bildungseinrichtung"),
    OrganisationKind.POLICE: _l("Polizei"),
    OrganisationKind.MIGRANT_ORG: _l("Migrantenorganisation"),
    OrganisationKind.ADMINISTRATION: _l("Verwaltung"),
    OrganisationKind.POLITICAL_GROUP: _l("Fraktion / Partei"),
    OrganisationKind.OTHER: _l("Sonstige"),
}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(), Rule(textrules.EMAIL)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(), Rule(textrules.PASSWORD)])
    remember = BooleanField(_l("Angemeldet bleiben"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(), Rule(textrules.EMAIL)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[DataRequired(), Length(min=10), Rule(textrules.PASSWORD)],
        description=_l("Mindestens 10 Zeichen."),
    )
    confirm = PasswordField(
        _l("Passwort wiederholen"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Die Passwörter stimmen nicht überein.")),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Bisheriges Passwort"), validators=[DataRequired(), Rule(textrules.PASSWORD)]
    )


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Rule(textrules.NAME)])
    locale = SelectField(
        _l("Sprache"),
        choices=options([("", _l("Standard (Deutsch)")), ("de", "Deutsch"), ("en", "English")]),
        validators=[Optional()],
    )
    notify_replies = BooleanField(
        _l("E-Mail, wenn jemand in einer Diskussion antwortet, an der ich beteiligt bin"),
        default=True,
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Bezeichnung"),
        validators=[DataRequired(), Rule(textrules.TOKEN_NAME)],
        description=_l("Wofür Sie das Token verwenden, z. B. „Ratsinformationssystem“."),
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Rule(textrules.NAME)])
    kind = SelectField(
        _l("Art"), choices=options((k.value, label) for k, label in KIND_LABELS.items())
    )
    is_active = BooleanField(_l("Aktiv"), default=True)


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Rule(textrules.NAME)])
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(), Rule(textrules.EMAIL)])
    organisation_id = SelectField(_l("Organisation"), coerce=str, validators=[Optional()])
    is_admin = BooleanField(_l("Verwaltungsrechte (Administration)"))
    is_active = BooleanField(_l("Aktiv"), default=True)


class ConsultationForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(), Rule(textrules.TITLE)])
    description = TextAreaField(
        _l("Beschreibung"),
        validators=[Optional(), Rule(textrules.DESCRIPTION)],
        description=_l("Worum es geht, wer beteiligt ist, bis wann."),
    )


class ImportForm(FlaskForm):
    source = RadioField(
        _l("Format des Textes"),
        choices=options(
            [
                ("markdown", _l("Markdown: Überschriften mit #, ## …")),
                ("paste", _l("Eingefügter Text: nummerierte Überschriften wie „3.2 Bildung“")),
            ]
        ),
        default="markdown",
    )
    text = TextAreaField(
        _l("Text des Entwurfs"),
        validators=[Optional(), Rule(textrules.MARKDOWN)],
        description=_l(
            "Jede Überschrift beginnt einen Abschnitt; "
            "eine führende Nummer wird zur Abschnittsnummer."
        ),
    )
    file = FileField(
        _l("Oder Word-Datei (DOCX)"),
        description=_l("Überschriften-Formatvorlagen beginnen Abschnitte."),
    )
    note = StringField(_l("Notiz zur Fassung"), validators=[Optional(), Rule(textrules.NOTE)])


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Person"), validators=[DataRequired()])
    role = SelectField(
        _l("Rolle"),
        choices=options(
            [
                ("editor", _l("Redaktion")),
                ("participant", _l("Teilnehmende")),
                ("municipality", _l("Kommune")),
                ("observer", _l("Beobachtung")),
            ]
        ),
    )


class SectionForm(FlaskForm):
    key = StringField(
        _l("Nummer"),
        validators=[Optional(), Rule(textrules.SECTION_KEY)],
        description=_l("z. B. „3.2“; leer für einen Abschnitt ohne Nummer."),
    )
    title = StringField(_l("Überschrift"), validators=[DataRequired(), Rule(textrules.TITLE)])
    body = TextAreaField(
        _l("Text"),
        validators=[Optional(), Rule(textrules.SECTION_BODY)],
        description=_l(
            "Absätze durch eine Leerzeile trennen; Zeilen mit „- “ oder „1. “ sind Listenpunkte."
        ),
    )
    base_version_id = HiddenField()


class NewSectionForm(FlaskForm):
    key = StringField(_l("Nummer"), validators=[Optional(), Rule(textrules.SECTION_KEY)])
    title = StringField(_l("Überschrift"), validators=[DataRequired(), Rule(textrules.TITLE)])
    position = SelectField(_l("Position"))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Notiz zur Fassung"), validators=[Optional(), Rule(textrules.NOTE)])


class MergeForm(FlaskForm):
    """The merge page (consult.web.merge): the note of the new revision, and a text area
    for each section the editor opened (``body-<section id>``, see :meth:`with_sections`)."""

    note = TextAreaField(
        _l("Anmerkung zur Fassung"),
        validators=[Optional(), Rule(textrules.NOTE)],
        description=_l(
            "Erforderlich, um die neue Fassung anzulegen: was sie ändert, z. B. "
            "„Einarbeitung der 1. Beteiligungsrunde“."
        ),
        render_kw={"rows": 3},
    )

    @classmethod
    def with_sections(cls, section_ids: Iterable[int]) -> type[MergeForm]:
        """The form with a text area for each of these sections."""
        fields = {
            section_field(sid): TextAreaField(
                _l("Neuer Text"),
                validators=[Optional(), Rule(textrules.SECTION_BODY)],
                render_kw={"rows": 12},
            )
            for sid in section_ids
        }
        return type("SectionsMergeForm", (cls,), fields)


def section_field(section_id: int) -> str:
    """The name of a section's text area on the merge page."""
    return f"body-{section_id}"


class WorkingGroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Rule(textrules.NAME)])
    description = TextAreaField(
        _l("Beschreibung"), validators=[Optional(), Rule(textrules.GROUP_DESCRIPTION)]
    )
    section_ids = CheckboxListField(
        _l("Abschnitte, um die sich der Arbeitskreis besonders kümmert"),
        coerce=id_number,
        validators=[Optional()],
    )
    member_ids = CheckboxListField(_l("Mitglieder"), coerce=id_number, validators=[Optional()])


class RoundForm(FlaskForm):
    title = StringField(_l("Titel der Runde"), validators=[DataRequired(), Rule(textrules.TITLE)])
    revision_id = SelectField(_l("Fassung"), coerce=id_number)
    opens_at = DateTimeLocalField(
        _l("Beginn"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l("Uhrzeit in deutscher Zeit (Europe/Berlin)."),
    )
    closes_at = DateTimeLocalField(
        _l("Frist"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l("Bis dahin nimmt das System Beiträge an."),
    )
    working_group_ids = CheckboxListField(
        _l("Eingeladene Arbeitskreise"), coerce=id_number, validators=[Optional()]
    )
    municipalities = BooleanField(_l("Alle Kommunen einladen (Stellungnahmen)"))
    visibility = SelectField(
        _l("Wer sieht die Beiträge?"),
        choices=options(
            [
                ("editors", _l("nur die Redaktion (und wer den Beitrag geschrieben hat)")),
                ("group", _l("auch die Mitglieder des Arbeitskreises, aus dem der Beitrag kommt")),
                ("round", _l("alle Eingeladenen der Runde")),
            ]
        ),
    )
    description = TextAreaField(
        _l("Hinweise für die Beteiligten"),
        validators=[Optional(), Rule(textrules.ROUND_DESCRIPTION)],
    )


class ExtendRoundForm(FlaskForm):
    closes_at = DateTimeLocalField(
        _l("Neue Frist"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l("Uhrzeit in deutscher Zeit (Europe/Berlin)."),
    )
    reason = TextAreaField(
        _l("Begründung"),
        validators=[DataRequired(), Rule(textrules.REASON)],
        description=_l("Die Begründung wird bei der Runde angezeigt."),
    )


class ReopenRoundForm(FlaskForm):
    """A closed round opened again (closed by mistake, or more time after its end)."""

    closes_at = DateTimeLocalField(
        _l("Neue Frist"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l("Uhrzeit in deutscher Zeit (Europe/Berlin)."),
    )
    reason = TextAreaField(
        _l("Begründung"),
        validators=[DataRequired(), Rule(textrules.REASON)],
        description=_l(
            "Warum die Runde wieder geöffnet wird. Die Begründung steht im Verlauf der Runde "
            "und in der E-Mail an die Eingeladenen."
        ),
    )


class FeedbackForm(FlaskForm):
    """Comment or suggestion on a section; works without JavaScript (quote or sentence)."""

    kind = RadioField(
        _l("Art des Beitrags"),
        choices=options([("comment", _l("Kommentar")), ("suggestion", _l("Änderungsvorschlag"))]),
        default="comment",
    )
    sentence = SelectField(_l("Satz wählen"), validators=[Optional()])
    quote = TextAreaField(
        _l("Oder Textstelle zitieren"),
        validators=[Optional(), Rule(textrules.QUOTE)],
        description=_l("Leer lassen, um den ganzen Abschnitt zu kommentieren."),
    )
    body = TextAreaField(_l("Kommentar"), validators=[Optional(), Rule(textrules.COMMENT)])
    replacement = TextAreaField(
        _l("Neuer Text"),
        validators=[Optional(), Rule(textrules.REPLACEMENT)],
        description=_l("Leer lassen, um die Textstelle zu streichen."),
    )
    reason = TextAreaField(_l("Begründung"), validators=[Optional(), Rule(textrules.COMMENT)])
    start = HiddenField()
    end = HiddenField()
    selected = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Antwort"), validators=[DataRequired(), Rule(textrules.COMMENT)])


class EditFeedbackForm(FlaskForm):
    body = TextAreaField(
        _l("Kommentar bzw. Begründung"), validators=[Optional(), Rule(textrules.COMMENT)]
    )
    replacement = TextAreaField(
        _l("Neuer Text"), validators=[Optional(), Rule(textrules.REPLACEMENT)]
    )
