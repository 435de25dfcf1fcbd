"""Forms of the editors' side of the statements (issue 12): a later deadline for one
municipality, a statement received on paper, and a municipality member's part (drafting
staff or signatory). Each carries its CSRF token; the texts pass the same rules
(consult.domain.textrules) as the API's request models before a service sees them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    FileField,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from consult.domain import textrules
from consult.web.forms import Rule, options

#: Blank section-remark rows offered on the paper form (without JavaScript).
REMARK_ROWS = 3


def position_choices() -> list[object]:
    return options(
        [
            ("", _l("Bitte wählen")),
            ("consent", _l("Einvernehmen")),
            ("consent_with_remarks", _l("Einvernehmen mit Anmerkungen")),
            ("rejection", _l("Ablehnung")),
            ("abstention", _l("Enthaltung")),
        ]
    )


def channel_choices() -> list[object]:
    return options(
        [
            ("letter", _l("Brief")),
            ("email", _l("E-Mail")),
            ("fax", _l("Fax")),
            ("in_person", _l("persönlich abgegeben")),
        ]
    )


class ExtensionForm(FlaskForm):
    """A later deadline for one municipality, with the reason that is kept."""

    organisation_id = SelectField(_l("Kommune"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(
        _l("Neue Frist"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l("Datum und Uhrzeit in deutscher Zeit (Europe/Berlin)."),
    )
    reason = TextAreaField(
        _l("Begründung"),
        validators=[DataRequired(), Rule(textrules.REASON)],
        description=_l(
            "Zum Beispiel: „Der Gemeinderat berät erst in seiner nächsten Sitzung.“ "
            "Die Begründung bleibt gespeichert und steht in der E-Mail an die Kommune."
        ),
    )


class RemarkForm(Form):
    """One remark on a section (a sub-form: the CSRF token is the outer form's)."""

    # The service names an unknown section in German (a sub-form gets no translations).
    section_id = SelectField(
        _l("Abschnitt"), coerce=str, validators=[Optional()], validate_choice=False
    )
    body = TextAreaField(_l("Anmerkung"), validators=[Optional(), Rule(textrules.COMMENT)])


class PaperForm(FlaskForm):
    """A statement that came by letter, e-mail, fax or in person, recorded by an editor."""

    organisation_id = SelectField(_l("Kommune"), validators=[DataRequired()])
    channel = SelectField(_l("Eingangsweg"), choices=channel_choices(), default="letter")
    received_at = DateTimeLocalField(
        _l("Eingegangen am"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description=_l(
            "Datum und Uhrzeit des Eingangs (Europe/Berlin). Für die Frist zählt der Eingang, "
            "nicht der Tag der Erfassung."
        ),
    )
    receipt_number = StringField(
        _l("Eingangsnummer"),
        validators=[Optional(), Rule(textrules.RECEIPT_NUMBER)],
        description=_l("Zum Beispiel der Eingangsstempel: „E-2026-0815“."),
    )
    position = SelectField(
        _l("Haltung der Kommune"), choices=position_choices(), validators=[DataRequired()]
    )
    body = TextAreaField(
        _l("Text der Stellungnahme"),
        validators=[Optional(), Rule(textrules.STATEMENT_BODY)],
        description=_l(
            "Wie im Schreiben. Eine Ablehnung braucht ihre Gründe; ein Einvernehmen ohne Text "
            "wird als „keine Bedenken“ gespeichert."
        ),
    )
    signatory = StringField(
        _l("Unterzeichnet von"),
        validators=[DataRequired(), Rule(textrules.FUNCTION)],
        description=_l("Name der Person, die das Schreiben unterzeichnet hat."),
    )
    signatory_function = StringField(
        _l("Funktion"),
        validators=[Optional(), Rule(textrules.FUNCTION)],
        description=_l("Zum Beispiel „Bürgermeisterin“ oder „stellv. Bürgermeister“."),
    )
    remarks = FieldList(FormField(RemarkForm), min_entries=REMARK_ROWS, max_entries=20)
    scan = FileField(_l("Scan des Schreibens (PDF)"))


class SignatoryForm(FlaskForm):
    """A municipality member's part in its statements (the members page)."""

    signatory = SelectField(
        _l("Aufgabe bei Stellungnahmen"),
        choices=options(
            [
                ("yes", _l("Unterzeichnungsberechtigt (Bürgermeister/in oder Vertretung)")),
                ("no", _l("Bereitet Entwürfe vor (Verwaltung)")),
            ]
        ),
    )
    signatory_function = StringField(
        _l("Funktion"), validators=[Optional(), Rule(textrules.FUNCTION)]
    )
