"""The procedure report (Verfahrensbericht) of a round, written from plain facts.

The committee papers that go to the council open with preliminary remarks
(Vorbemerkungen) that tell the procedure in full sentences: which draft went to whom and
when, which deadline was extended until when and why, what came in and what became of
it, which revision followed, and which annexes are attached. :func:`write_report` writes
that text from :class:`ReportFacts` gathered from the records (services.report_facts).

The text is German only, on purpose: it is a German council document, whatever the
language of the editor's screen. It is reproducible: the same facts give the same text,
byte for byte (no "today" in it; dates as "24.12.2026"; every list sorted by the caller
or here). Paragraphs are separated by one blank line; the list of annexes is one
paragraph, one annex per line. The text is in the stored form of a body (TEXT.md 1), so
an editor who saves it unchanged stores the same text.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from consult.domain.procedure_facts import (
    AnnexFacts,
    GroupFacts,
    ReportFacts,
    RevisionFacts,
    RoundFacts,
    StatementFacts,
)

#: What a decision is called in the council papers, in the order the report counts them.
DECISION_LABELS: tuple[tuple[str, str], ...] = (
    ("considered", "berücksichtigt"),
    ("partly_considered", "teilweise berücksichtigt"),
    ("not_considered", "nicht berücksichtigt"),
    ("noted", "zur Kenntnis genommen"),
    ("accept", "übernommen"),
    ("accept_modified", "geändert übernommen"),
    ("reject", "nicht übernommen"),
)
#: What a municipality's position is called, in the order the report counts them.
POSITION_LABELS: tuple[tuple[str, str], ...] = (
    ("consent", "Einvernehmen"),
    ("consent_with_remarks", "Einvernehmen mit Anmerkungen"),
    ("rejection", "Ablehnung"),
    ("abstention", "Enthaltung"),
)
#: "Undecided" in the decision counts.
UNDECIDED = "noch offen"


# --- wording helpers --------------------------------------------------------------------


def day(value: date) -> str:
    """A day as German papers write it: "24.12.2026"."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def sort_key(name: str) -> tuple[str, str]:
    """German order of names: "Ärztekammer" beside "Arbeiterwohlfahrt", case ignored."""
    spelled = name.replace("ß", "ss").replace("ẞ", "SS")
    base = "".join(
        c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c)
    )
    return base.casefold(), name


def sorted_names(names: Sequence[str]) -> tuple[str, ...]:
    """Names, each once, in German order."""
    return tuple(sorted(set(names), key=sort_key))


def count(n: int, one: str, many: str) -> str:
    """ "1 Kommentar", "12 Kommentare"."""
    return f"{n} {one if n == 1 else many}"


def enumerate_de(parts: Sequence[str]) -> str:
    """ "A", "A und B", "A, B und C"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " und " + parts[-1]


def inline(text: str) -> str:
    """A reason inside a sentence: one line, without its closing full stop."""
    one_line = " ".join(text.split())
    return one_line[:-1] if one_line.endswith(".") and not one_line.endswith("..") else one_line


def revision_name(revision: RevisionFacts) -> str:
    """ "Fassung 2 vom 22.11.2026" (a draft: "Fassung 3")."""
    if revision.published_on is None:
        return f"Fassung {revision.number}"
    return f"Fassung {revision.number} vom {day(revision.published_on)}"


def period(start: date, end: date) -> str:
    if start == end:
        return f"am {day(start)}"
    return f"vom {day(start)} bis zum {day(end)}"


def _group(group: GroupFacts) -> str:
    name = f"„{group.name}“"
    if group.organisations:
        return f"{name} ({', '.join(group.organisations)})"
    return name


def audience(groups: Sequence[GroupFacts], municipalities: bool) -> str:
    """To whom the draft went: "den Arbeitskreisen „A“ (…) und „B“ (…) zur Beratung sowie
    allen Kommunen zur Stellungnahme vorgelegt"."""
    parts = []
    if groups:
        noun = "dem Arbeitskreis" if len(groups) == 1 else "den Arbeitskreisen"
        parts.append(f"{noun} {enumerate_de([_group(g) for g in groups])} zur Beratung")
    if municipalities:
        parts.append("allen Kommunen zur Stellungnahme")
    if not parts:
        return "zur Beratung vorgelegt"
    return " sowie ".join(parts) + " vorgelegt"


# --- the paragraphs ---------------------------------------------------------------------


def _intro(facts: ReportFacts) -> str:
    last = facts.rounds[-1]
    if len(facts.rounds) == 1:
        return f"Zum Entwurf „{facts.consultation}“ fand eine Beteiligungsrunde statt."
    return (
        f"Zum Entwurf „{facts.consultation}“ fanden bis einschließlich der Beteiligungsrunde "
        f"„{last.title}“ {len(facts.rounds)} Beteiligungsrunden statt."
    )


def _course(r: RoundFacts) -> str:
    """The round's period and audience, its deadline changes, an early close."""
    sentences = [
        f"In der Beteiligungsrunde „{r.title}“ wurde der Entwurf ({revision_name(r.revision)}) "
        f"{period(r.opens_on, r.first_deadline)} {audience(r.groups, r.municipalities)}."
    ]
    for change in r.changes:
        reason = f" (Begründung: {inline(change.reason)})" if change.reason.strip() else ""
        if change.reopening:
            sentences.append(
                f"Nachdem die Runde am {day(change.previous)} geendet hatte, wurde sie am "
                f"{day(change.made_on)} bis zum {day(change.until)} wieder geöffnet{reason}."
            )
        else:
            sentences.append(
                f"Die Frist wurde am {day(change.made_on)} bis zum {day(change.until)} "
                f"verlängert{reason}."
            )
    if r.closed_early_on is not None:
        sentences.append(f"Die Runde wurde am {day(r.closed_early_on)} vorzeitig geschlossen.")
    return " ".join(sentences)


def _contributions(r: RoundFacts) -> str | None:
    """What came in from the working groups (None: a round of the municipalities only
    in which nothing but statements came)."""
    kinds = []
    if r.comments:
        kinds.append(count(r.comments, "Kommentar", "Kommentare"))
    if r.suggestions:
        kinds.append(count(r.suggestions, "Änderungsvorschlag", "Änderungsvorschläge"))
    if not kinds:
        if not r.groups and r.statements is not None:
            return None
        return "Kommentare oder Änderungsvorschläge gingen nicht ein."
    senders = []
    if r.organisations:
        senders.append(
            "einer Organisation"
            if len(r.organisations) == 1
            else f"{len(r.organisations)} Organisationen"
        )
    if r.persons:
        senders.append(count(r.persons, "Einzelperson", "Einzelpersonen"))
    verb = "ging" if r.comments + r.suggestions == 1 else "gingen"
    text = f"Es {verb} {enumerate_de(kinds)}"
    if senders:
        text += f" von {enumerate_de(senders)}"
    text += " ein"
    if r.organisations:
        text += f" ({', '.join(r.organisations)})"
    return text + "."


def _statements(s: StatementFacts) -> str:
    sentences = []
    asked = f"{count(s.invited, 'Kommune wurde', 'Kommunen wurden')} um Stellungnahme gebeten"
    if s.submitted:
        positions = dict(s.positions)
        detail = ", ".join(
            f"{label}: {positions[code]}" for code, label in POSITION_LABELS if positions.get(code)
        )
        taken = "hat" if s.submitted == 1 else "haben"
        sentences.append(f"{asked}, {s.submitted} {taken} Stellung genommen ({detail}).")
    else:
        sentences.append(f"{asked}; Stellung genommen hat keine.")
    if s.missing and s.submitted:
        sentences.append(f"Keine Stellungnahme liegt vor von {enumerate_de(s.missing)}.")
    for name, received in s.late:
        sentences.append(
            f"Die Stellungnahme von {name} ging am {day(received)} nach Fristablauf ein."
        )
    for extension in s.extensions:
        reason = f" (Begründung: {inline(extension.reason)})" if extension.reason.strip() else ""
        sentences.append(
            f"Für die Stellungnahme von {extension.municipality} wurde die Frist am "
            f"{day(extension.made_on)} bis zum {day(extension.until)} verlängert{reason}."
        )
    if s.remarks:
        sentences.append(
            "Die Stellungnahmen enthalten "
            f"{count(s.remarks, 'Anmerkung', 'Anmerkungen')} zu einzelnen Abschnitten."
        )
    if s.revised:
        who = (
            "Eine Kommune hat ihre Stellungnahme"
            if s.revised == 1
            else f"{s.revised} Kommunen haben ihre Stellungnahmen"
        )
        sentences.append(f"{who} überarbeitet; es gilt jeweils die zuletzt eingereichte Fassung.")
    return " ".join(sentences)


def _decisions(r: RoundFacts) -> str | None:
    total = r.items
    if not total:
        return None
    decided = total - r.undecided
    counts = dict(r.decisions)
    outcomes = [f"{counts[code]} {label}" for code, label in DECISION_LABELS if counts.get(code)]
    if not decided:
        text = (
            "Über den Beitrag ist noch nicht entschieden."
            if total == 1
            else f"Über die {total} Beiträge ist noch nicht entschieden."
        )
    elif not r.undecided:
        whom = "den Beitrag" if total == 1 else f"alle {total} Beiträge"
        text = f"Über {whom} wurde entschieden: {', '.join(outcomes)}."
    else:
        text = (
            f"Über {decided} von {total} Beiträgen wurde entschieden: {', '.join(outcomes)}; "
            f"{r.undecided} {'ist' if r.undecided == 1 else 'sind'} {UNDECIDED}."
        )
    published = []
    if r.decisions_published_on is not None:
        published.append(f"die Abwägung am {day(r.decisions_published_on)}")
    if r.responses_published_on is not None:
        published.append(f"die Abwägungstabelle am {day(r.responses_published_on)}")
    if published:
        joined = enumerate_de(published)
        text += f" Veröffentlicht wurde{'n' if len(published) > 1 else ''} {joined}."
    return text


def _produced(r: RoundFacts) -> str | None:
    sentences = []
    for made in r.produced:
        name = revision_name(made.revision)
        applied = count(
            made.applied, "angenommener Änderungsvorschlag", "angenommene Änderungsvorschläge"
        )
        if made.revision.published_on is None:
            sentence = f"Fassung {made.revision.number} ist in Bearbeitung"
            if made.applied:
                verb = "ist" if made.applied == 1 else "sind"
                sentence += f"; in sie {verb} bisher {applied} eingearbeitet"
        elif made.applied:
            verb = "wurde" if made.applied == 1 else "wurden"
            sentence = (
                f"Aus den Ergebnissen der Runde ist {name} entstanden; in sie {verb} "
                f"{applied} eingearbeitet"
            )
        else:
            sentence = f"Auf der Grundlage der Fassung {made.based_on} ist {name} entstanden"
        sentences.append(sentence + ".")
    return " ".join(sentences) or None


def annex_titles(annexes: AnnexFacts) -> list[str]:
    """The annexes that apply, in the order they are numbered: the draft, the synopsis
    against the round's revision, the response table, the statements."""
    titles = [f"Entwurf, {revision_name(annexes.revision)}"]
    if annexes.revision.published_on is None:
        titles[0] += " (in Bearbeitung, noch nicht veröffentlicht)"
    if annexes.synopsis_from is not None:
        titles.append(
            f"Synopse der Fassungen {annexes.synopsis_from} und {annexes.revision.number}"
        )
    if annexes.response_table:
        titles.append(f"Abwägungstabelle der Beteiligungsrunde „{annexes.round_title}“")
    if annexes.statements:
        titles.append("Stellungnahmen der Kommunen")
    return titles


def _annexes(annexes: AnnexFacts) -> str:
    titles = annex_titles(annexes)
    return "\n".join(["Anlagen:", *(f"{n}. {a}" for n, a in enumerate(titles, start=1))])


def write_report(facts: ReportFacts) -> str:
    """The report's text: an opening sentence, then per round its course, what came in,
    the statements, the decisions and the revisions made from it, then the annexes.
    Raises ValueError for facts without a round."""
    if not facts.rounds:
        raise ValueError("a report tells at least one round")
    paragraphs = [_intro(facts)]
    for r in facts.rounds:
        paragraphs.append(_course(r))
        parts = [
            _contributions(r),
            _statements(r.statements) if r.statements is not None else None,
            _decisions(r),
            _produced(r),
        ]
        paragraphs.extend(p for p in parts if p)
    if facts.annexes is not None:
        paragraphs.append(_annexes(facts.annexes))
    return "\n\n".join(paragraphs)
