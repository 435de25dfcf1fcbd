"""The response table (Abwägungstabelle, issue 11 item 9): every item of the round with its
decision and response, as JSON, CSV for German Excel, XLSX and DOCX; participants read it
only once it is published; a formula-injection corpus stays inert in CSV and XLSX."""

from __future__ import annotations

import csv
import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok
from tests.services.test_feedback import World

api = test_feedback_api.api  # the fixture: the feedback world with a client

#: Cells a spreadsheet would run as formulas (OWASP CSV injection).
INJECTIONS = [
    '=HYPERLINK("http://evil.example","klick")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "=cmd|' /C calc'!A0",
]


def decided_round(api: Api) -> tuple[World, int, list[int]]:
    w = api.world
    round_ = w.open_round()
    items = [
        w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.", body=INJECTIONS[0]),
        w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung", INJECTIONS[1]),
        w.comment(w.anna, "2", None, body="Insgesamt gut."),
    ]
    w.db.commit()
    ok(
        api.post(
            w.editor,
            f"/comments/{items[0].id}/decision",
            {"decision": "considered", "response": INJECTIONS[2]},
        )
    )
    ok(
        api.post(
            w.editor,
            f"/suggestions/{items[1].id}/decision",
            {"decision": "accept_modified", "response": INJECTIONS[3], "replacement": "@Zügig"},
        )
    )
    return w, round_.id, [i.id for i in items]


def test_the_table_lists_every_item_with_its_decision(api: Api) -> None:
    w, round_id, ids = decided_round(api)
    table = ok(api.get(w.editor, f"/rounds/{round_id}/responses"))
    assert [r["feedback_id"] for r in table["rows"]] == ids
    assert [r["number"] for r in table["rows"]] == [1, 2, 3]
    first, second, third = table["rows"]
    assert (first["decision"], first["response"]) == ("considered", INJECTIONS[2])
    assert (second["decision"], second["accepted_text"]) == ("accept_modified", "@Zügig")
    assert third["decision"] is None
    assert first["author"] == w.alice.name and first["organisation"]
    without = ok(api.get(w.editor, f"/rounds/{round_id}/responses?names=0&text=0"))
    assert {r["author"] for r in without["rows"]} == {None}
    assert {r["text"] for r in without["rows"]} == {""}


def test_participants_read_it_once_published(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    assert_error(api.get(w.alice, f"/rounds/{round_id}/responses"), 403)
    assert_error(api.post(w.alice, f"/rounds/{round_id}/responses/publish"), 403)
    ok(api.post(w.editor, f"/rounds/{round_id}/responses/publish"))
    assert len(ok(api.get(w.alice, f"/rounds/{round_id}/responses"))["rows"]) == 3
    assert_error(api.post(w.editor, f"/rounds/{round_id}/responses/publish"), 409)


def test_csv_opens_in_german_excel_and_is_inert(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    response = api.get(w.editor, f"/rounds/{round_id}/responses?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nr.", "Abschnitt", "Organisation"]
    assert len(rows) == 4
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # The text is kept, behind an apostrophe that makes the cell plain text.
    cells = {cell for row in rows[1:] for cell in row}
    assert "'" + INJECTIONS[0] in cells and "'" + INJECTIONS[2] in cells


def test_xlsx_has_a_frozen_header_filters_and_no_formulas(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    response = api.get(w.editor, f"/rounds/{round_id}/responses?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
    assert sheet["A1"].value == "Nr." and sheet["A1"].font.bold
    values = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in values)
    texts = {cell.value for cell in values}
    assert INJECTIONS[0] in texts and INJECTIONS[2] in texts  # kept as the text it was
    assert sheet.column_dimensions["B"].width and sheet["G2"].alignment.wrap_text


def test_docx_is_a_landscape_table(api: Api) -> None:
    w, round_id, _ids = decided_round(api)
    response = api.get(w.editor, f"/rounds/{round_id}/responses?format=docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.get_data()))
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    [table] = document.tables
    assert len(table.rows) == 4
    assert table.rows[0].cells[0].text == "Nr."
    assert any("berücksichtigt" in cell.text for cell in table.rows[1].cells)


@pytest.mark.parametrize("query", ["format=pdfx", "format=", "names=2", "text=ja"])
def test_unknown_options_are_422(api: Api, query: str) -> None:
    w, round_id, _ids = decided_round(api)
    assert_error(api.get(w.editor, f"/rounds/{round_id}/responses?{query}"), 422)
