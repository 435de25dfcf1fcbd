"""What the demo's people wrote and what the county's integration centre answered: the
feedback of both rounds, the response snippets (Textbausteine) and the decisions
(Abwägung) on round 1, the assignments and a first decision in round 2.

The texts are written for this project, in the tone of the seeds' working groups and
of a county's integration centre; consult.demo_story calls these in the order of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Feedback, Placement, Revision, User
from consult.services import decisions, feedback, revisions, snippets


@dataclass(frozen=True)
class People:
    """The demo's people who act in the story."""

    editor: User
    caritas: User
    police: User
    association: User
    siegburg: User
    much: User


def section_id(session: Session, revision_id: int, key: str) -> int:
    """The id of the section numbered ``key`` in the revision."""
    found = session.scalar(
        select(Placement.section_id).where(
            Placement.revision_id == revision_id, Placement.key == key
        )
    )
    assert found is not None, key
    return found


def _body(session: Session, revision: Revision, key: str) -> str:
    placement = next(p for p in revisions.outline(session, revision).placements if p.key == key)
    return placement.version.body


def first_round_feedback(
    session: Session, first: Revision, people: People, during: datetime
) -> None:
    """The working groups' comments and suggestions on Fassung 1, written in the days
    after ``during`` (and the editors' answer to the first)."""
    editor, caritas, police, association = (
        people.editor,
        people.caritas,
        people.police,
        people.association,
    )
    early = feedback.create_comment(
        session,
        first.id,
        section_id(session, first.id, "1"),
        actor=caritas,
        quote="Rund ein Viertel der Einwohnerinnen",
        body="Woher stammt diese Zahl? Bitte die Quelle (Zensus oder IT.NRW) nennen.",
        now=during,
    )
    feedback.reply(
        session,
        early.id,
        actor=editor,
        now=during + timedelta(days=1),
        body="Die Zahl stammt aus dem Zensus 2022; wir ergänzen sie in der nächsten Fassung.",
        notify=False,  # the demo's people are made up: no e-mails
    )
    feedback.create_comment(
        session,
        first.id,
        section_id(session, first.id, "3.1.2"),
        actor=association,
        quote="innerhalb von drei Monaten einen Schulplatz",
        body="Drei Monate ohne Schule sind für Kinder zu lang. "
        "Andere Kreise schaffen sechs Wochen.",
        now=during + timedelta(days=2),
    )
    feedback.create_suggestion(
        session,
        first.id,
        section_id(session, first.id, "4.1"),
        actor=police,
        quote="Wohlfahrtsverbänden und Migrantenorganisationen",
        replacement="Wohlfahrtsverbänden, Polizei und Migrantenorganisationen",
        reason="Die Polizei arbeitet bereits in der Präventionsarbeit mit "
        "und sollte vertreten sein.",
        now=during + timedelta(days=3),
    )
    feedback.create_comment(
        session,
        first.id,
        section_id(session, first.id, "4.1"),
        actor=caritas,
        quote="Die sechs Arbeitskreise bleiben bestehen",
        body="Gut so – bitte auch feste Termine im Jahr vorsehen.",
        now=during + timedelta(days=4),
    )
    childhood = section_id(session, first.id, "3.1.1")
    end = len(_body(session, first, "3.1.1"))
    feedback.create_suggestion(
        session,
        first.id,
        childhood,
        actor=association,
        anchor={"start": end, "end": end, "quote": ""},
        replacement="\n- Sprachpatenschaften, die Ehrenamtliche aus den Migrantenvereinen "
        "übernehmen",
        reason="Viele unserer Mitglieder würden neu angekommene Familien begleiten – in "
        "ihrer Sprache und auf Deutsch.",
        now=during + timedelta(days=6),
    )
    feedback.create_comment(
        session,
        first.id,
        section_id(session, first.id, "3.5"),
        actor=police,
        anchor=None,
        body="Sicherheit und Prävention fehlen im Entwurf. Wir schlagen einen eigenen "
        "Abschnitt vor: gemeinsame Arbeit gegen Diskriminierung und Hasskriminalität, eine "
        "Anlaufstelle für Betroffene und eine Präventionsstelle beim Kreis.",
        now=during + timedelta(days=8),
    )
    feedback.create_suggestion(
        session,
        first.id,
        section_id(session, first.id, "1"),
        actor=caritas,
        quote="in den kommenden fünf Jahren",
        replacement="in den kommenden zehn Jahren",
        reason="Integration braucht einen langen Atem; Ziele wie die Anerkennung von "
        "Abschlüssen lassen sich in fünf Jahren kaum erreichen.",
        now=during + timedelta(days=9),
    )
    feedback.create_comment(
        session,
        first.id,
        section_id(session, first.id, "5"),
        actor=caritas,
        quote="Neue Aufgaben für die Städte und Gemeinden entstehen nur, wenn ihre "
        "Finanzierung gesichert ist.",
        body="Das muss auch für die freien Träger gelten: Bitte ergänzen, dass der Kreis neue "
        "Aufgaben der Wohlfahrtsverbände vollständig finanziert.",
        now=during + timedelta(days=11),
    )


#: Response snippets (Textbausteine) of the integration centre: title, text.
SNIPPETS = {
    "budget": (
        "Haushaltsvorbehalt",
        "Über zusätzliche Mittel entscheidet der Kreistag mit dem Haushalt; das Konzept "
        "selbst enthält keine Finanzierungszusagen.",
    ),
    "plan": (
        "Umsetzung im Maßnahmenplan",
        "Der Hinweis betrifft die Umsetzung. Das Kommunale Integrationszentrum greift ihn im "
        "Maßnahmenplan auf, den es dem Ausschuss für Soziales und Gesundheit jährlich vorlegt.",
    ),
    "thanks": ("Vorschlag übernommen", "Der Vorschlag wird übernommen. Vielen Dank!"),
    "term": (
        "Laufzeit des Konzepts",
        "Das Konzept gilt für fünf Jahre, damit es mit dem Landesprogramm und der "
        "Haushaltsplanung abgestimmt bleibt. Langfristige Ziele führt die nächste "
        "Fortschreibung weiter.",
    ),
}

#: The decisions on round 1, by the start of the item's text (comment or reason):
#: decision, response (a snippet's key and what follows it, or the text), accepted text.
FIRST_ROUND_DECISIONS: list[tuple[str, str, tuple[str | None, str], str | None]] = [
    (
        "Woher stammt diese Zahl?",
        "considered",
        (
            None,
            "Die Quelle (Zensus 2022) steht jetzt im Text. Der Anteil ist zugleich genauer "
            "gefasst: fast ein Viertel, in einigen Städten mehr als ein Drittel.",
        ),
        None,
    ),
    (
        "Drei Monate ohne Schule",
        "considered",
        (
            None,
            "Die Frist wird auf sechs Wochen verkürzt. Damit das gelingt, meldet das Schulamt "
            "freie Plätze künftig monatlich an das Kommunale Integrationszentrum.",
        ),
        None,
    ),
    ("Die Polizei arbeitet bereits", "accept", ("thanks", ""), None),
    (
        "Gut so – bitte auch feste Termine",
        "noted",
        ("plan", "Die Termine der Arbeitskreise stehen jeweils zu Jahresbeginn fest."),
        None,
    ),
    (
        "Viele unserer Mitglieder",
        "accept_modified",
        (
            None,
            "Übernommen und um die Familienzentren erweitert: Dort erreichen die "
            "Patenschaften auch Familien, die noch keinen Verein kennen. Das Kommunale "
            "Integrationszentrum koordiniert die Patenschaften.",
        ),
        "\n- Sprachpatenschaften mit Ehrenamtlichen in Familienzentren und Migrantenvereinen",
    ),
    (
        "Sicherheit und Prävention fehlen",
        "partly_considered",
        (
            None,
            "Der neue Abschnitt 3.6 „Sicherheit und Prävention“ nimmt die Zusammenarbeit "
            "gegen Diskriminierung und Hasskriminalität und eine mehrsprachige Anlaufstelle "
            "für Betroffene auf. Eine eigene Präventionsstelle beim Kreis sieht das Konzept "
            "nicht vor: Dafür sind im Haushalt 2027 keine Mittel eingeplant.",
        ),
        None,
    ),
    ("Integration braucht einen langen Atem", "reject", ("term", ""), None),
    (
        "Das muss auch für die freien Träger",
        "not_considered",
        ("budget", "Bund und Land fördern die Migrationsberatung der Verbände weiter."),
        None,
    ),
]


def create_snippets(session: Session, consultation: Consultation, editor: User) -> dict[str, int]:
    """The integration centre's response snippets: their ids by the keys of SNIPPETS."""
    return {
        key: snippets.create_snippet(
            session, consultation.id, actor=editor, title=title, body=body
        ).id
        for key, (title, body) in SNIPPETS.items()
    }


def weigh_first_round(
    session: Session, round_id: int, people: People, snippets: dict[str, int], now: datetime
) -> None:
    """The decisions on every item of round 1, made in the week after it closed."""
    items = list(session.scalars(select(Feedback).where(Feedback.round_id == round_id)))
    when = now - timedelta(days=22)
    for start, decision, (snippet, text), accepted in FIRST_ROUND_DECISIONS:
        [item] = [f for f in items if f.body.startswith(start)]
        response = f"{SNIPPETS[snippet][1]} {text}".strip() if snippet else text
        decisions.decide(
            session,
            item.id,
            actor=people.editor,
            decision=decision,
            response=response,
            replacement=accepted,
            snippet_id=snippets[snippet] if snippet else None,
            now=when,
        )
        when += timedelta(hours=7)


def second_round_feedback(
    session: Session, second: Revision, people: People, snippets: dict[str, int]
) -> None:
    """What came in so far in round 2 on Fassung 2; the editors assigned some of it to
    themselves and decided on one item (not published yet)."""
    editor = people.editor
    comment = feedback.create_comment(
        session,
        second.id,
        section_id(session, second.id, "3.3"),
        actor=people.caritas,
        quote="Pool qualifizierter Sprachmittlerinnen und Sprachmittler",
        body="Wer bezahlt die Einsätze? Die Beratungsstellen der Verbände haben dafür kein Budget.",
    )
    feedback.reply(
        session,
        comment.id,
        actor=editor,
        body="Geplant ist ein Kreisbudget; Details folgen im Maßnahmenplan.",
        notify=False,
    )
    racism = feedback.create_suggestion(
        session,
        second.id,
        section_id(session, second.id, "3.6"),
        actor=people.police,
        quote="gegen Diskriminierung und Hasskriminalität",
        replacement="gegen Diskriminierung, Rassismus und Hasskriminalität",
        reason="Rassismus ausdrücklich benennen, wie im Landesaktionsplan.",
    )
    feedback.create_comment(
        session,
        second.id,
        section_id(session, second.id, "3.5"),
        actor=people.association,
        quote="Migrantenorganisationen als gleichberechtigte Partner",
        body="Teşekkürler! Bitte auch Räume für Vereinstreffen bereitstellen 🙏 – "
        "viele Vereine treffen sich bisher in Privatwohnungen.",
    )
    feedback.create_suggestion(
        session,
        second.id,
        section_id(session, second.id, "3.1.1"),
        actor=people.association,
        quote="mehrsprachige Elternabende",
        replacement="mehrsprachige Elternabende und Elterncafés",
        reason="Elterncafés erreichen auch Mütter und Väter, die abends nicht kommen können.",
    )
    statement = feedback.create_comment(
        session,
        second.id,
        section_id(session, second.id, "5"),
        actor=people.siegburg,
        anchor=None,
        body="Die Stadt Siegburg trägt das Konzept mit, kann zusätzliche Personalkosten aber nur "
        "übernehmen, wenn das Land sie erstattet.",
    )
    transport = feedback.create_comment(
        session,
        second.id,
        section_id(session, second.id, "3.1.2"),
        actor=people.much,
        quote="innerhalb von sechs Wochen einen Schulplatz",
        body="Sechs Wochen schaffen wir nur, wenn der Kreis die Fahrten aus den Dörfern zu den "
        "Sprachförderklassen übernimmt. Heute fährt dort oft kein Bus.",
    )
    decisions.assign(
        session,
        [racism.id, statement.id, transport.id],
        actor=editor,
        assignee_id=editor.id,
    )
    decisions.decide(
        session,
        comment.id,
        actor=editor,
        decision="partly_considered",
        response=f"{SNIPPETS['budget'][1]} Der Kreis plant für die Sprachmittlung ein eigenes "
        "Budget; wie die Beratungsstellen der Verbände es nutzen, regelt der Maßnahmenplan.",
        snippet_id=snippets["budget"],
    )
