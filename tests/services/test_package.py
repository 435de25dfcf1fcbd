"""The committee package (issue 13, item 5): one ZIP per round with the council's documents,
the statements' attachments and an oparl.json (OParl 1.1 Paper) that describes every file
with its size and SHA-512; the same records give the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from consult.errors import NotFound, NotPermitted
from consult.services import package, responses
from consult.services.export_files import ExportFile
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import World, app, module_app, world  # noqa: F401

MADE_AT = datetime(2026, 12, 24, 6, 20, tzinfo=UTC)


@pytest.fixture
def towns(world: World) -> Municipalities:  # noqa: F811
    """A round that asks the municipalities, with feedback, two statements (one with two
    attachments, one recorded from paper with its scan) and a later revision."""
    found = add_municipalities(world)
    found.open_round()
    world.comment(world.alice, "2", "in der Kita", body="Mehr Plätze, bitte 🙂")
    world.suggest(world.alice, "3", " in mehreren Sprachen", " auf Arabisch: مرحبا")
    draft = found.draft(found.clerk, found.siegburg)
    found.attach(found.clerk, draft, minimal_pdf("Ratsbeschluss"), "Beschluss Rat.pdf")
    found.attach(found.clerk, draft, minimal_pdf("Karte"), "Karte Übersicht.pdf")
    found.submit(found.mayor, found.siegburg)
    letter = found.paper(found.much)
    found.attach(found.editor, letter.statement, minimal_pdf("Brief"), "Brief Much.pdf")
    world.new_revision()
    return found


def _zip(made: ExportFile) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(made.content))


def test_the_package_holds_the_documents_the_attachments_and_oparl(
    towns: Municipalities,
) -> None:
    assert towns.round is not None
    steps: list[tuple[int, str]] = []
    made = package.build_package(
        towns.db,
        towns.round.id,
        actor=towns.editor,
        progress=lambda p, s: steps.append((p, s)),
        now=MADE_AT,
    )
    assert made.mimetype == "application/zip" and made.filename.endswith(".zip")
    archive = _zip(made)
    names = archive.namelist()
    assert archive.testzip() is None
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
    for expected in (
        "01-verfahrensbericht.pdf",
        "02-fassung-2.pdf",
        "02-fassung-2.docx",
        "03-synopse-fassung-1-fassung-2.pdf",
        "04-abwaegungstabelle.pdf",
        "04-abwaegungstabelle.xlsx",
        "oparl.json",
        "LIESMICH.txt",
    ):
        assert expected in names
    assert "05-anhang-stellungnahmen.pdf" in names
    attachments = sorted(n for n in names if n.startswith("anlagen/"))
    assert attachments == [
        "anlagen/much/brief-much.pdf",
        "anlagen/siegburg/beschluss-rat.pdf",
        "anlagen/siegburg/karte-uebersicht.pdf",
    ]
    assert archive.read("anlagen/much/brief-much.pdf") == minimal_pdf("Brief")
    # Progress rises step by step and ends before 100 (the job says "done").
    percents = [p for p, _s in steps]
    assert percents == sorted(percents) and percents[0] > 0 and percents[-1] < 100
    assert all(s for _p, s in steps)

    for name in names:
        if name.endswith(".pdf"):
            assert len(PdfReader(io.BytesIO(archive.read(name))).pages) >= 1, name

    paper = json.loads(archive.read("oparl.json"))
    assert paper["type"] == "https://schema.oparl.org/1.1/Paper"
    assert paper["date"] == "2026-12-24" and paper["name"] and paper["reference"]
    files = [paper["mainFile"], *paper["auxiliaryFile"]] if "mainFile" in paper else []
    described = {f["accessUrl"]: f for f in files}
    # Every file of the ZIP but the two that describe it, each with its size and checksum.
    assert set(described) == set(names) - {"oparl.json", "LIESMICH.txt"}
    for path, entry in described.items():
        content = archive.read(path)
        assert entry["type"] == "https://schema.oparl.org/1.1/File"
        assert entry["size"] == len(content)
        assert entry["sha512Checksum"] == hashlib.sha512(content).hexdigest()
        assert entry["fileName"] == path.rsplit("/", 1)[-1]
        assert entry["mimeType"] in {
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
        assert entry["name"] and entry["date"] and entry["id"].startswith("http")
    readme = archive.read("LIESMICH.txt").decode()
    assert "Sitzungsunterlagen" in readme and "oparl.json" in readme


def test_the_response_table_in_the_package_names_organisations_not_people(
    towns: Municipalities,
) -> None:
    """A council paper is public: Alice's comment is in the table under her organisation,
    without her name (the editors' own download keeps it)."""
    assert towns.round is not None
    alice = towns.world.alice
    assert alice.organisation is not None
    made = package.build_package(towns.db, towns.round.id, actor=towns.editor, now=MADE_AT)
    sheet = load_workbook(io.BytesIO(_zip(made).read("04-abwaegungstabelle.xlsx"))).active
    assert sheet is not None
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "Mehr Plätze, bitte" in cells
    assert alice.organisation.name in cells
    assert alice.name not in cells
    table = responses.response_table(towns.db, towns.round.id, actor=towns.editor)
    assert table.with_names  # the page's own table still names her


def test_the_same_records_give_the_same_bytes(towns: Municipalities) -> None:
    """The ZIP adds nothing that varies: fixed entry times, fixed order. (The documents
    themselves carry the moment they were made, to the second: WeasyPrint's embedded
    fonts, python-docx's and openpyxl's own ZIP entries, the synopsis' and the table's
    "Stand"; so two builds compare equal in what is not made anew.)"""
    assert towns.round is not None
    first = package.build_package(towns.db, towns.round.id, actor=towns.editor, now=MADE_AT)
    second = package.build_package(towns.db, towns.round.id, actor=towns.editor, now=MADE_AT)
    one, two = _zip(first), _zip(second)
    assert one.namelist() == two.namelist()
    assert {i.date_time for i in one.infolist()} == {package.ZIP_TIME}
    kept = [n for n in one.namelist() if n.startswith("anlagen/") or n == "LIESMICH.txt"]
    assert len(kept) == 4 and all(one.read(n) == two.read(n) for n in kept)
    # Its entries packed again give the very same bytes.
    assert package.write_zip([(n, one.read(n)) for n in one.namelist()]) == first.content
    assert package.write_zip([(n, two.read(n)) for n in two.namelist()]) == second.content


def test_write_zip_is_deterministic_and_ordered() -> None:
    entries = [("b.txt", b"zwei"), ("a/ä.pdf", minimal_pdf())]
    assert package.write_zip(entries) == package.write_zip(list(entries))
    assert zipfile.ZipFile(io.BytesIO(package.write_zip(entries))).namelist() == [
        "b.txt",
        "a/ä.pdf",
    ]


def test_a_round_without_the_municipalities_or_changes_leaves_parts_out(world: World) -> None:  # noqa: F811
    round_ = world.open_round()
    world.comment(world.bob, "3", None, body="Zu vage.")
    made = package.build_package(world.db, round_.id, actor=world.editor, now=MADE_AT)
    archive = _zip(made)
    names = archive.namelist()
    assert not any(n.startswith(("05-", "03-", "anlagen/")) for n in names)
    readme = " ".join(archive.read("LIESMICH.txt").decode().split())  # lines wrapped
    assert "nicht um Stellungnahme gebeten" in readme
    assert "keine Änderungen gegenüberzustellen" in readme


def test_the_main_file_is_the_procedure_report(world: World) -> None:  # noqa: F811
    round_ = world.open_round()
    archive = _zip(package.build_package(world.db, round_.id, actor=world.editor))
    paper = json.loads(archive.read("oparl.json"))
    assert paper["mainFile"]["accessUrl"] == "01-verfahrensbericht.pdf"
    assert paper["mainFile"]["size"] == len(archive.read("01-verfahrensbericht.pdf"))
    assert "01-verfahrensbericht.pdf" not in {f["accessUrl"] for f in paper["auxiliaryFile"]}
    report = PdfReader(io.BytesIO(archive.read("01-verfahrensbericht.pdf")))
    assert round_.title in "".join(page.extract_text() for page in report.pages)


def test_only_editors_build_the_package(towns: Municipalities) -> None:
    assert towns.round is not None
    people = towns.world
    for user in (people.alice, people.observer, towns.mayor):
        with pytest.raises(NotPermitted):
            package.build_package(people.db, towns.round.id, actor=user)
    with pytest.raises(NotFound):
        package.build_package(people.db, towns.round.id, actor=people.make_user())
    with pytest.raises(NotFound):
        package.build_package(people.db, 2_000_000_000, actor=people.editor)
