"""Flask-WTF forms of the editors' workspace: deciding on one item, on several at once,
assigning, response snippets (CSRF token included in each; the pages add the one-time
field of consult.idempotency); and the words its pages use for decisions and statuses."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from consult.domain import textrules
from consult.models import DecisionKind
from consult.web.forms import Rule, options

#: What an editor can decide on a comment, as the form offers it.
COMMENT_CHOICES = (
    (DecisionKind.CONSIDERED.value, _l("berücksichtigt")),
    (DecisionKind.PARTLY_CONSIDERED.value, _l("teilweise berücksichtigt")),
    (DecisionKind.NOT_CONSIDERED.value, _l("nicht berücksichtigt")),
    (DecisionKind.NOTED.value, _l("zur Kenntnis genommen")),
)
#: What an editor can decide on a suggestion.
SUGGESTION_CHOICES = (
    (DecisionKind.ACCEPT.value, _l("annehmen")),
    (DecisionKind.REJECT.value, _l("ablehnen")),
    (DecisionKind.ACCEPT_MODIFIED.value, _l("geändert annehmen")),
)

RESPONSE_HINT = _l(
    "Nötig bei allen Entscheidungen außer „annehmen“. Wer den Beitrag geschrieben hat, liest "
    "die Begründung, sobald die Abwägung der Runde veröffentlicht ist."
)


def snippet_choices(snippets: Any) -> list[Any]:
    """The snippet select: "none", then each snippet by its title."""
    return options([("", _l("– Textbaustein wählen –")), *((str(s.id), s.title) for s in snippets)])


def editor_choices(editors: Any) -> list[Any]:
    """The assignee select: "nobody", then the consultation's editors."""
    return options([("", _l("– niemand –")), *((str(e.id), e.name) for e in editors)])


class DecisionForm(FlaskForm):
    """The decision on one comment or suggestion; works without JavaScript (the snippet
    select fills the response when "Textbaustein übernehmen" is pressed)."""

    decision = RadioField(_l("Entscheidung"), validators=[Optional()])
    replacement = TextAreaField(
        _l("Neuer Text für die Textstelle"),
        validators=[Optional(), Rule(textrules.REPLACEMENT)],
        description=_l(
            "Nur bei „geändert annehmen“: der Text, mit dem die Textstelle ersetzt wird."
        ),
    )
    response = TextAreaField(
        _l("Begründung (Stellungnahme der Verwaltung)"),
        validators=[Optional(), Rule(textrules.RESPONSE)],
        description=RESPONSE_HINT,
    )
    snippet = SelectField(_l("Textbaustein"), validators=[Optional()])
    #: The snippet whose text went into the response (its use is counted on saving).
    snippet_id = HiddenField()


class BulkForm(FlaskForm):
    """The same decision and response, or the same assignee, for the items ticked in the
    overview (their checkboxes, ``ids``, are in the table's rows: the view reads them)."""

    decision = SelectField(
        _l("Entscheidung"),
        choices=options(
            [
                ("", _l("– bitte wählen –")),
                *COMMENT_CHOICES,
                *(c for c in SUGGESTION_CHOICES if c[0] != DecisionKind.ACCEPT_MODIFIED.value),
            ]
        ),
        validators=[Optional()],
        description=_l(
            "Kommentare: berücksichtigt, teilweise, nicht berücksichtigt oder zur Kenntnis "
            "genommen. Änderungsvorschläge: annehmen oder ablehnen; „geändert annehmen“ geht "
            "nur einzeln."
        ),
    )
    response = TextAreaField(
        _l("Begründung (Stellungnahme der Verwaltung)"),
        validators=[Optional(), Rule(textrules.RESPONSE)],
        description=RESPONSE_HINT,
    )
    snippet = SelectField(_l("Textbaustein"), validators=[Optional()])
    snippet_id = HiddenField()
    assignee_id = SelectField(_l("Zuständig"), validators=[Optional()])


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("Zuständig"), validators=[Optional()])


class SnippetForm(FlaskForm):
    title = StringField(
        _l("Titel"),
        validators=[DataRequired(), Rule(textrules.NAME)],
        description=_l("Woran Sie den Baustein in der Liste erkennen, z. B. „Zuständigkeit Land“."),
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(), Rule(textrules.COMMENT)],
        description=_l("Wird in die Begründung übernommen und kann dort angepasst werden."),
    )


__all__ = [
    "COMMENT_CHOICES",
    "DECISION_LABELS",
    "KIND_LABELS",
    "LOCATION_LABELS",
    "STATUS_LABELS",
    "SUGGESTION_CHOICES",
    "AssignForm",
    "BulkForm",
    "DecisionForm",
    "SnippetForm",
    "editor_choices",
    "snippet_choices",
]


#: A decision as pages show it once made (as the response table and the e-mail to the
#: authors say it).
DECISION_LABELS = {
    **dict(COMMENT_CHOICES),
    DecisionKind.ACCEPT.value: _l("übernommen"),
    DecisionKind.REJECT.value: _l("nicht übernommen"),
    DecisionKind.ACCEPT_MODIFIED.value: _l("geändert übernommen"),
}

#: An item's status as the workspace shows it.
STATUS_LABELS = {
    "open": _l("offen"),
    "resolved": _l("erledigt"),
    "accepted": _l("angenommen"),
    "rejected": _l("abgelehnt"),
    "applied": _l("eingearbeitet"),
    "withdrawn": _l("zurückgezogen"),
    "superseded": _l("durch eine neuere Fassung ersetzt"),
}
#: What an item is.
KIND_LABELS = {
    "comment": _l("Kommentar"),
    "suggestion": _l("Änderungsvorschlag"),
    "remark": _l("Anmerkung einer Stellungnahme"),
}
#: Where an item stands in the latest revision, when that is worth saying.
LOCATION_LABELS = {
    "moved": _l("Textstelle verschoben"),
    "fuzzy": _l("Textstelle inzwischen geändert"),
    "orphaned": _l("veraltet: Textstelle nicht mehr vorhanden"),
    "section_gone": _l("veraltet: Abschnitt nicht mehr vorhanden"),
}
