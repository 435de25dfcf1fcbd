"""Statements (issue 12): a submission with its PDF copy for the confirmation, and the
annex of 20 municipalities as PDF and DOCX.

The county of the seeds has 19 towns; here 20 municipalities each submit a statement of
a few paragraphs with three section remarks (one also an attachment). Measured: the time
of one submission (the version, its remarks as feedback, the confirmation e-mail with the
PDF copy rendered by WeasyPrint; the first one in a process also loads WeasyPrint and
its fonts), and the annex's time, size and pages. A submission renders its copy while it
holds the statement's lock (and on SQLite the write lock), so it must stay well below
half a second.

Run with ``make bench`` to see the figures.
"""

from __future__ import annotations

import io
import statistics
import time

from pypdf import PdfReader

from consult.services import statement_annex, statements
from tests.services.statement_world import add_municipalities, minimal_pdf
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)

MUNICIPALITIES = 20
#: Most a submission may take, its PDF copy included (seconds, median).
LIMIT = 0.5

BODY = (
    "Die Gemeinde begrüßt den Entwurf des Integrationskonzepts grundsätzlich. Sie teilt das "
    "Ziel, Zugewanderten früh Sprachkurse, Beratung und Arbeit zu ermöglichen.\n\n"
    "Zu den Kosten: Die vorgesehene Umlage belastet den Haushalt der Gemeinde mit rund "
    "18.000 € im Jahr. Der Rat bittet, die Finanzierung mit dem Land zu klären.\n\n"
    "Die Verwaltung steht für die Umsetzung vor Ort gern zur Verfügung."
)


def test_submission_and_annex_speed(world: World) -> None:  # noqa: F811
    towns = add_municipalities(world)
    towns.open_round()
    timings = []
    for n in range(MUNICIPALITIES):
        organisation = world.make_org(f"Gemeinde {n + 1:02d} im Kreis", "municipality")
        mayor = world.make_user(f"Bürgermeisterin {n + 1:02d}", organisation=organisation)
        world.add_member(world.consultation.id, mayor, "municipality")
        remarks = [
            statements.RemarkInput(world.section_id(key), f"Anmerkung {n} zu Abschnitt {key}.")
            for key in ("2", "3", "5")
        ]
        if n == 0:
            statement = towns.draft(mayor, organisation, body=BODY)
            towns.attach(mayor, statement, minimal_pdf("Ratsbeschluss"), "Ratsbeschluss.pdf")
        started = time.perf_counter()
        statements.submit(
            world.db,
            towns.round.id,  # type: ignore[union-attr]
            actor=mayor,
            organisation_id=organisation.id,
            position="consent_with_remarks" if n % 3 else "rejection",
            body=BODY,
            remarks=remarks,
        )
        timings.append(time.perf_counter() - started)
    first, rest = timings[0], timings[1:]
    median = statistics.median(rest)
    made = statement_annex.annex(world.db, towns.round.id, actor=world.editor)  # type: ignore[union-attr]
    import os

    if os.environ.get("DUMP_ANNEX"):
        with open(os.environ["DUMP_ANNEX"], "w") as out:
            out.write(statement_annex._html(made, cover=True))
    started = time.perf_counter()
    pdf = statement_annex.to_pdf(made)
    pdf_seconds = time.perf_counter() - started
    started = time.perf_counter()
    docx = statement_annex.to_docx(made)
    docx_seconds = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"\nstatements: submission with PDF copy {median * 1000:.0f} ms (median of "
        f"{len(rest)}; the first in the process {first * 1000:.0f} ms); annex of "
        f"{len(made.entries)} municipalities, {len(made.statements)} statements: PDF "
        f"{pdf_seconds:.2f} s, {len(pdf) / 1024:.0f} KB, {pages} pages; DOCX "
        f"{docx_seconds:.2f} s, {len(docx) / 1024:.0f} KB"
    )
    assert median < LIMIT
    assert pages >= len(made.statements) + 1
