"""The procedure report's text from plain facts (consult.domain.procedure_text, issue 13
item 4): full German sentences in the style of the committee papers' Vorbemerkungen,
singular and plural right, every fact in it, the same facts giving the same text, and
the text in the stored form of a body (saving it unchanged stores the same bytes)."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path

from consult.domain import procedure_text, textrules
from consult.domain.procedure_facts import (
    AnnexFacts,
    DeadlineChange,
    GroupFacts,
    MunicipalExtension,
    ProducedRevision,
    ReportFacts,
    RevisionFacts,
    RoundFacts,
    StatementFacts,
)
from consult.domain.procedure_text import sorted_names, write_report

FIRST = RevisionFacts(1, date(2026, 11, 3))
SECOND = RevisionFacts(2, date(2026, 12, 20))


def working_round(**changes: object) -> RoundFacts:
    facts = RoundFacts(
        title="1. Stufe: Arbeitskreise",
        revision=FIRST,
        opens_on=date(2026, 11, 3),
        first_deadline=date(2026, 12, 2),
        groups=(
            GroupFacts("Bildung und Sprache", ("Caritasverband Siegtal", "Schulamt Siegtal")),
            GroupFacts("Sicherheit", ("Kreispolizeibehörde",)),
        ),
        changes=(
            DeadlineChange(
                made_on=date(2026, 11, 20),
                previous=date(2026, 12, 2),
                until=date(2026, 12, 9),
                reason="Die Herbstferien fielen in die Frist.",
            ),
        ),
        comments=12,
        suggestions=5,
        organisations=("Caritasverband Siegtal", "Kreispolizeibehörde", "Schulamt Siegtal"),
        decisions=(("accept", 3), ("considered", 4), ("noted", 2), ("reject", 2)),
        undecided=6,
        decisions_published_on=date(2026, 12, 15),
        produced=(ProducedRevision(SECOND, based_on=1, applied=3),),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def report(*rounds: RoundFacts, annexes: AnnexFacts | None = None) -> str:
    return write_report(ReportFacts("Integrationskonzept 2027", tuple(rounds), annexes))


def test_a_working_group_round_reads_like_the_seed_papers() -> None:
    text = report(working_round())
    assert text.split("\n\n") == [
        "Zum Entwurf „Integrationskonzept 2027“ fand eine Beteiligungsrunde statt.",
        "In der Beteiligungsrunde „1. Stufe: Arbeitskreise“ wurde der Entwurf (Fassung 1 vom "
        "03.11.2026) vom 03.11.2026 bis zum 02.12.2026 den Arbeitskreisen „Bildung und "
        "Sprache“ (Caritasverband Siegtal, Schulamt Siegtal) und „Sicherheit“ "
        "(Kreispolizeibehörde) zur Beratung vorgelegt. Die Frist wurde am 20.11.2026 bis zum "
        "09.12.2026 verlängert (Begründung: Die Herbstferien fielen in die Frist).",
        "Es gingen 12 Kommentare und 5 Änderungsvorschläge von 3 Organisationen ein "
        "(Caritasverband Siegtal, Kreispolizeibehörde, Schulamt Siegtal).",
        "Über 11 von 17 Beiträgen wurde entschieden: 4 berücksichtigt, 2 zur Kenntnis "
        "genommen, 3 übernommen, 2 nicht übernommen; 6 sind noch offen. Veröffentlicht wurde die "
        "Abwägung am 15.12.2026.",
        "Aus den Ergebnissen der Runde ist Fassung 2 vom 20.12.2026 entstanden; in sie wurden "
        "3 angenommene Änderungsvorschläge eingearbeitet.",
    ]


def test_municipalities_their_statements_and_their_own_deadlines() -> None:
    statements = StatementFacts(
        invited=19,
        positions=(("consent", 5), ("consent_with_remarks", 4), ("rejection", 3)),
        missing=("Alfter", "Much"),
        late=(("Eitorf", date(2026, 12, 4)),),
        revised=1,
        remarks=6,
        extensions=(
            MunicipalExtension("Much", date(2026, 11, 28), date(2026, 12, 16), "Ratssitzung."),
        ),
    )
    municipal = working_round(
        title="1. Stufe: Kommunen",
        groups=(),
        municipalities=True,
        changes=(),
        comments=0,
        suggestions=0,
        organisations=(),
        statements=statements,
        decisions=(("noted", 6),),
        undecided=0,
        decisions_published_on=None,
        produced=(ProducedRevision(SECOND, based_on=1),),
    )
    paragraphs = report(municipal).split("\n\n")
    assert paragraphs[1].endswith("allen Kommunen zur Stellungnahme vorgelegt.")
    assert paragraphs[2] == (
        "19 Kommunen wurden um Stellungnahme gebeten, 12 haben Stellung genommen "
        "(Einvernehmen: 5, Einvernehmen mit Anmerkungen: 4, Ablehnung: 3). Keine "
        "Stellungnahme liegt vor von Alfter und Much. Die Stellungnahme von Eitorf ging am "
        "04.12.2026 nach Fristablauf ein. Für die Stellungnahme von Much wurde die Frist am "
        "28.11.2026 bis zum 16.12.2026 verlängert (Begründung: Ratssitzung). Die "
        "Stellungnahmen enthalten 6 Anmerkungen zu einzelnen Abschnitten. Eine Kommune hat "
        "ihre Stellungnahme überarbeitet; es gilt jeweils die zuletzt eingereichte Fassung."
    )
    assert paragraphs[3] == "Über alle 6 Beiträge wurde entschieden: 6 zur Kenntnis genommen."
    assert (
        paragraphs[4] == "Auf der Grundlage der Fassung 1 ist Fassung 2 vom 20.12.2026 entstanden."
    )


def test_singular_one_group_one_item_nothing_decided() -> None:
    one = working_round(
        groups=(GroupFacts("Sicherheit"),),
        changes=(),
        comments=1,
        suggestions=0,
        organisations=("Kreispolizeibehörde",),
        decisions=(),
        undecided=1,
        decisions_published_on=None,
        produced=(),
    )
    text = report(one)
    assert "dem Arbeitskreis „Sicherheit“ zur Beratung vorgelegt." in text
    assert "Es ging 1 Kommentar von einer Organisation ein (Kreispolizeibehörde)." in text
    assert "Über den Beitrag ist noch nicht entschieden." in text
    assert "Fassung 2" not in text and "Frist wurde" not in text


def test_reopening_early_close_and_a_draft_in_progress() -> None:
    reopened = working_round(
        changes=(
            DeadlineChange(
                made_on=date(2026, 11, 25),
                previous=date(2026, 11, 24),
                until=date(2026, 12, 5),
                reason="Versehentlich geschlossen.\nDie Frist läuft weiter.",
                reopening=True,
            ),
        ),
        closed_early_on=date(2026, 12, 1),
        produced=(ProducedRevision(RevisionFacts(2, None), based_on=1, applied=1),),
    )
    text = report(reopened)
    assert (
        "Nachdem die Runde am 24.11.2026 geendet hatte, wurde sie am 25.11.2026 bis zum "
        "05.12.2026 wieder geöffnet (Begründung: Versehentlich geschlossen. Die Frist läuft "
        "weiter)." in text
    )
    assert "Die Runde wurde am 01.12.2026 vorzeitig geschlossen." in text
    assert (
        "Fassung 2 ist in Bearbeitung; in sie ist bisher 1 angenommener Änderungsvorschlag "
        "eingearbeitet." in text
    )


def test_several_rounds_in_order_and_the_annexes() -> None:
    second = working_round(title="2. Stufe", revision=SECOND, produced=())
    annexes = AnnexFacts(
        revision=SECOND,
        synopsis_from=1,
        round_title="2. Stufe",
        response_table=True,
        statements=True,
    )
    text = report(working_round(), second, annexes=annexes)
    assert text.startswith(
        "Zum Entwurf „Integrationskonzept 2027“ fanden bis einschließlich der "
        "Beteiligungsrunde „2. Stufe“ 2 Beteiligungsrunden statt."
    )
    assert text.index("„1. Stufe: Arbeitskreise“ wurde") < text.index("„2. Stufe“ wurde")
    assert text.endswith(
        "Anlagen:\n"
        "1. Entwurf, Fassung 2 vom 20.12.2026\n"
        "2. Synopse der Fassungen 1 und 2\n"
        "3. Abwägungstabelle der Beteiligungsrunde „2. Stufe“\n"
        "4. Stellungnahmen der Kommunen"
    )
    draft = replace(annexes, revision=RevisionFacts(3, None), synopsis_from=None)
    assert "1. Entwurf, Fassung 3 (in Bearbeitung, noch nicht veröffentlicht)\n2. Abw" in report(
        second, annexes=draft
    )


def test_the_same_facts_give_the_same_text_in_stored_form() -> None:
    facts = ReportFacts(
        "Integrationskonzept 2027",
        (working_round(comments=0, suggestions=0, organisations=()),),
        AnnexFacts(FIRST, round_title="1. Stufe: Arbeitskreise", response_table=True),
    )
    text = write_report(facts)
    assert write_report(facts) == text
    assert "Kommentare oder Änderungsvorschläge gingen nicht ein." in text
    # Saving the generated text unchanged stores exactly it.
    assert textrules.check_text(text, textrules.REPORT) == text


def test_names_in_german_order() -> None:
    names = ["Zülpich", "Ärztekammer", "arbeiterwohlfahrt", "Much", "Meckenheim", "Much"]
    assert sorted_names(names) == (
        "arbeiterwohlfahrt",
        "Ärztekammer",
        "Meckenheim",
        "Much",
        "Zülpich",
    )


def test_the_domain_modules_import_neither_flask_nor_sqlalchemy() -> None:
    for module in ("procedure_text", "procedure_facts"):
        tree = ast.parse(Path(procedure_text.__file__).with_name(f"{module}.py").read_text())
        imported = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not {m for m in imported if m.split(".")[0] in ("flask", "sqlalchemy")}


def test_authors_without_an_organisation_are_counted_not_named() -> None:
    text = report(working_round(organisations=("Caritasverband Siegtal",), persons=2))
    assert (
        "Es gingen 12 Kommentare und 5 Änderungsvorschläge von einer Organisation und 2 "
        "Einzelpersonen ein (Caritasverband Siegtal)." in text
    )
