"""PDF attachments of statements (issue 12): checked by content and parsed, stored outside
static/ under a random name, frozen with each version, served only to whom may see them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfWriter
from weasyprint import HTML

from consult.errors import Conflict, Invalid, NotFound, NotPermitted, TooLarge
from consult.services import statement_board, statement_files, statement_reads
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)

HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script>Anlage</body></html>"


@pytest.fixture
def towns(world: World) -> Municipalities:  # noqa: F811
    found = add_municipalities(world)
    found.open_round()
    return found


def weasy_pdf() -> bytes:
    pdf: bytes = HTML(string="<p>Beschluss des Gemeinderats vom 3. März</p>").write_pdf()
    return pdf


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("geheim")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_real_pdfs_are_accepted_and_stored_outside_static(
    towns: Municipalities, app: Flask
) -> None:
    statement = towns.draft(towns.clerk, towns.siegburg)
    for content, name in ((weasy_pdf(), "Beschluss Rat.pdf"), (minimal_pdf(), "skizze.PDF")):
        attachment = towns.attach(towns.clerk, statement, content, name)
        path = statement_files.path_of(attachment)
        assert path.read_bytes() == content and attachment.size == len(content)
        assert attachment.page_count == 1 and len(attachment.sha512) == 128
        assert attachment.storage_name != name and "static" not in path.parts
        uploads: Path = app.extensions["consult_settings"].uploads
        assert path.is_relative_to(uploads)
    assert attachment.file_name == "skizze.pdf"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (HTML_AS_PDF, "not_pdf"),
        (b"", "not_pdf"),
        (b"%PDF-1.7\nnothing else", "broken_pdf"),
        (minimal_pdf()[:200], "broken_pdf"),
        (encrypted_pdf(), "encrypted_pdf"),
    ],
    ids=["html-renamed", "empty", "header-only", "truncated", "encrypted"],
)
def test_files_that_are_no_usable_pdf_are_refused(
    towns: Municipalities, content: bytes, code: str
) -> None:
    statement = towns.draft(towns.clerk, towns.siegburg)
    folder = statement_files.folder()
    before = set(folder.iterdir())
    with pytest.raises(Invalid) as caught:
        towns.attach(towns.clerk, statement, content, "stellungnahme.pdf")
    assert caught.value.code == code
    assert "file" in caught.value.fields
    towns.db.rollback()  # the request fails: what it wrote to disk goes again
    assert set(folder.iterdir()) == before


def test_a_file_above_the_limit_is_refused_without_keeping_it(
    towns: Municipalities, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statement_files, "MAX_BYTES", 4096)
    statement = towns.draft(towns.clerk, towns.siegburg)
    before = set(statement_files.folder().iterdir())
    with pytest.raises(TooLarge) as caught:
        towns.attach(towns.clerk, statement, minimal_pdf() + b"%" * 5000)
    assert "höchstens" in caught.value.message
    assert set(statement_files.folder().iterdir()) == before


def test_names_are_made_safe() -> None:
    assert statement_files.safe_name("C:\\Users\\x\\Beschluss 03/2026.pdf") == "2026.pdf"
    assert statement_files.safe_name('../../etc/pass"wd') == "pass_wd.pdf"
    assert statement_files.safe_name("Anlage\u202e\u200bfdp.exe") == "Anlagefdp.exe.pdf"
    assert statement_files.safe_name("   ") == "Anlage.pdf"
    assert statement_files.safe_name("Ölbild ü.pdf") == "Ölbild ü.pdf"
    assert len(statement_files.safe_name("x" * 900)) == 154


def test_attachments_are_frozen_with_the_version(towns: Municipalities) -> None:
    statement = towns.draft(towns.clerk, towns.siegburg)
    first = towns.attach(towns.clerk, statement, minimal_pdf("Eins"), "eins.pdf")
    towns.submit(towns.mayor, towns.siegburg)
    v1 = statement_reads.get_version(towns.db, statement.id, 1, actor=towns.editor)
    assert [a.id for a in v1.attachments] == [first.id]
    # Taken out of the draft: version 1 keeps it (and its file).
    statement_files.remove_attachment(towns.db, statement.id, first.id, actor=towns.clerk)
    second = towns.attach(towns.clerk, statement, minimal_pdf("Zwei"), "zwei.pdf")
    towns.submit(towns.mayor, towns.siegburg)
    v1 = statement_reads.get_version(towns.db, statement.id, 1, actor=towns.editor)
    v2 = statement_reads.get_version(towns.db, statement.id, 2, actor=towns.editor)
    assert [a.id for a in v1.attachments] == [first.id]
    assert [a.id for a in v2.attachments] == [second.id]
    assert statement_files.path_of(first).exists()
    # A draft's own file goes once the removal is committed.
    third = towns.attach(towns.clerk, statement, minimal_pdf("Drei"), "drei.pdf")
    path = statement_files.path_of(third)
    statement_files.remove_attachment(towns.db, statement.id, third.id, actor=towns.clerk)
    towns.db.commit()
    assert not path.exists()


def test_who_may_download_what(towns: Municipalities) -> None:
    statement = towns.draft(towns.clerk, towns.siegburg)
    draft_only = towns.attach(towns.clerk, statement, minimal_pdf(), "entwurf.pdf")
    # A draft's attachment: the municipality's members only (not even the editors).
    assert statement_files.get_attachment(towns.db, statement.id, draft_only.id, actor=towns.mayor)
    with pytest.raises(NotFound):
        statement_files.get_attachment(towns.db, statement.id, draft_only.id, actor=towns.editor)
    towns.submit(towns.mayor, towns.siegburg)
    assert statement_files.get_attachment(towns.db, statement.id, draft_only.id, actor=towns.editor)
    with pytest.raises(NotPermitted):
        statement_files.get_attachment(
            towns.db, statement.id, draft_only.id, actor=towns.lohmar_mayor
        )
    statement_board.publish(towns.db, towns.round.id, actor=towns.editor)
    assert statement_files.get_attachment(
        towns.db, statement.id, draft_only.id, actor=towns.lohmar_mayor
    )
    with pytest.raises(NotFound):
        statement_files.get_attachment(towns.db, statement.id, 10**6, actor=towns.editor)


def test_an_editor_adds_the_scan_to_a_statement_recorded_from_paper(
    towns: Municipalities,
) -> None:
    version = towns.paper(towns.much)
    scan = towns.attach(towns.editor, version.statement, minimal_pdf("Scan"), "Brief Much.pdf")
    assert not scan.in_draft
    shown = statement_reads.get_version(towns.db, version.statement_id, 1, actor=towns.editor)
    assert [a.file_name for a in shown.attachments] == ["Brief Much.pdf"]
    online = towns.submit(towns.mayor, towns.siegburg)
    with pytest.raises(Conflict) as caught:
        towns.attach(towns.editor, online.statement, minimal_pdf())
    assert caught.value.code == "not_recorded_from_paper"
    with pytest.raises(NotPermitted):
        towns.attach(towns.world.observer, online.statement, minimal_pdf())
