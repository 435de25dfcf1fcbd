"""Destructive actions are confirmed first, and undone where that is cheap.

A form whose action cannot simply be taken back (closing a round, deleting a draft's
section, discarding a draft, withdrawing one's feedback, removing a member, publishing a
round's decisions or response table) names its consequence in ``data-confirm*``
attributes (:func:`confirm_attrs`): static/js/confirm.js asks in a dialog and, on
"Ja, …", sends the form with ``confirmed=1``. A form that arrives without it (no
JavaScript) is answered with a page that asks the same (:func:`ask`), whose "Ja, …"
sends it again with ``confirmed=1``. Nothing is written before that. The questions are
written here once, for both.

Undo: after a withdrawal (its author restores it while the round is open) and after a
removal (the person is added again with the same role; their working groups were never
touched) the next page's message offers "Rückgängig" (:func:`offer_undo`, shown by
base.html). A closed round is reopened with a reason on its page instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from consult import dates
from consult.idempotency import ONCE_FIELD
from consult.models import Round

#: The form field that says the person confirmed.
CONFIRMED = "confirmed"
#: Where the undo of the last action waits for the next page (the session).
UNDO_KEY = "_undo"


@dataclass(frozen=True)
class Question:
    #: "Runde „…“ jetzt schließen?"
    title: str
    #: What will happen, and whether and how it can be undone.
    consequence: str
    #: The confirming button: "Ja, Runde schließen".
    yes: str


def close_round(round_: Round) -> Question:
    return Question(
        _("Runde „%(t)s“ jetzt schließen?", t=round_.title),
        _(
            "Ab sofort nimmt die Runde keine Kommentare, Änderungsvorschläge und Antworten "
            "der Eingeladenen mehr an, obwohl ihre Frist erst am %(d)s endet. Versehentlich "
            "geschlossen? Dann können Sie die Runde mit einer Begründung wieder öffnen; die "
            "Eingeladenen bekommen dazu eine E-Mail.",
            d=dates.moment(round_.effective_close(), weekday=True),
        ),
        _("Ja, Runde schließen"),
    )


def delete_section(title: str) -> Question:
    return Question(
        _("Abschnitt „%(t)s“ löschen?", t=title),
        _(
            "Der Abschnitt fällt mit seinem Text aus diesem Entwurf heraus. Frühere Fassungen "
            "behalten ihn und die Beiträge zu ihm. Zurückholen lässt er sich nur, indem Sie "
            "ihn neu anlegen."
        ),
        _("Ja, Abschnitt löschen"),
    )


def discard_draft(number: int) -> Question:
    return Question(
        _("Entwurf (Fassung %(n)s) verwerfen?", n=number),
        _(
            "Der Entwurf wird mit allen Änderungen darin gelöscht; das lässt sich nicht "
            "rückgängig machen. Veröffentlichte Fassungen und ihre Beiträge bleiben unberührt."
        ),
        _("Ja, Entwurf verwerfen"),
    )


def withdraw(kind: str) -> Question:
    return Question(
        _("Änderungsvorschlag zurückziehen?")
        if kind == "suggestion"
        else _("Kommentar zurückziehen?"),
        _(
            "Die anderen Beteiligten sehen ihn dann nicht mehr; die Redaktion sieht ihn als "
            "zurückgezogen. Solange die Runde offen ist, können Sie das rückgängig machen."
        ),
        _("Ja, zurückziehen"),
    )


def remove_member(name: str) -> Question:
    return Question(
        _("%(n)s aus dem Verfahren entfernen?", n=name),
        _(
            "Die Person verliert ihre Rolle in diesem Verfahren: Sie kann seine Fassungen und "
            "Runden nicht mehr öffnen und nichts mehr beitragen. Ihre bisherigen Beiträge "
            "bleiben erhalten, und Sie können sie danach wieder beteiligen."
        ),
        _("Ja, entfernen"),
    )


def publish_decisions(round_: Round, decided: int, total: int, authors: int) -> Question:
    """Publishing a round's decisions: who learns what, what is still undecided."""
    open_items = total - decided
    consequence = ngettext(
        "Wer in dieser Runde Beiträge geschrieben hat, sieht dann die Entscheidungen und "
        "Begründungen zu den eigenen Beiträgen; %(num)s Person bekommt dazu eine E-Mail.",
        "Wer in dieser Runde Beiträge geschrieben hat, sieht dann die Entscheidungen und "
        "Begründungen zu den eigenen Beiträgen; %(num)s Personen bekommen dazu je eine "
        "E-Mail.",
        authors,
    )
    if open_items:
        consequence += " " + ngettext(
            "Über %(num)s Beitrag ist noch nicht entschieden: Entscheidungen, die Sie danach "
            "treffen oder ändern, sehen die Verfassenden sofort, aber ohne weitere E-Mail.",
            "Über %(num)s Beiträge ist noch nicht entschieden: Entscheidungen, die Sie danach "
            "treffen oder ändern, sehen die Verfassenden sofort, aber ohne weitere E-Mail.",
            open_items,
        )
    else:
        consequence += " " + _(
            "Entscheidungen, die Sie danach ändern, sehen die Verfassenden sofort, aber "
            "ohne weitere E-Mail."
        )
    consequence += " " + _("Die Veröffentlichung lässt sich nicht zurücknehmen.")
    return Question(
        _("Abwägung der Runde „%(t)s“ veröffentlichen?", t=round_.title),
        consequence,
        _("Ja, Abwägung veröffentlichen"),
    )


def publish_responses(round_: Round) -> Question:
    """Publishing a round's response table to its invited and the observers."""
    return Question(
        _("Abwägungstabelle der Runde „%(t)s“ veröffentlichen?", t=round_.title),
        _(
            "Alle Eingeladenen der Runde und die Beobachtenden des Verfahrens (etwa die "
            "Fraktionen) können die Tabelle dann lesen und herunterladen: jeden Beitrag mit "
            "Organisation, Namen der Verfassenden, Entscheidung und Begründung, auch "
            "Entscheidungen, die Sie später treffen. Die Veröffentlichung lässt sich nicht "
            "zurücknehmen."
        ),
        _("Ja, Tabelle veröffentlichen"),
    )


#: The questions by name, for templates: ``confirm_attrs("withdraw", "comment")``.
QUESTIONS: dict[str, Callable[..., Question]] = {
    "close_round": close_round,
    "publish_decisions": publish_decisions,
    "publish_responses": publish_responses,
    "delete_section": delete_section,
    "discard_draft": discard_draft,
    "withdraw": withdraw,
    "remove_member": remove_member,
}


def attributes(question: Question) -> Markup:
    """The attributes of a form that static/js/confirm.js confirms (values escaped)."""
    return Markup(' data-confirm-title="{}" data-confirm="{}" data-confirm-yes="{}"').format(
        question.title, question.consequence, question.yes
    )


def confirm_attrs(name: str, *args: Any) -> Markup:
    """Template global: the attributes of the question ``name`` (see QUESTIONS)."""
    return attributes(QUESTIONS[name](*args))


def confirmed() -> bool:
    """Whether the form was sent confirmed (the dialog's or the page's "Ja, …")."""
    return request.form.get(CONFIRMED) == "1"


def ask(question: Question, *, cancel_url: str) -> tuple[str, int]:
    """The page that asks before a form without ``confirmed=1`` is carried out: it says
    what will happen and sends the same form again, confirmed (its other fields kept).
    Nothing has been written (200: the page is an answer, not an error)."""
    kept = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", ONCE_FIELD, CONFIRMED)
    ]
    page = render_template(
        "confirm.html", question=question, action=request.path, fields=kept, cancel_url=cancel_url
    )
    return page, 200


def offer_undo(action: str, fields: Mapping[str, str]) -> None:
    """Offer "Rückgängig" with the next page's messages: a form posting ``fields`` to
    ``action`` (a local URL of the action that undoes the last one)."""
    session[UNDO_KEY] = {"action": action, "fields": dict(fields)}


def pop_undo() -> dict[str, Any] | None:
    """Template global: the undo offered by the last action, once."""
    offer = session.pop(UNDO_KEY, None)
    return offer if isinstance(offer, dict) else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["confirm_attrs"] = confirm_attrs
    app.jinja_env.globals["pop_undo"] = pop_undo
