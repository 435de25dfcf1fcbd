"""The demo's statement that came by letter (consult.demo_statements): the Gemeinde
Eitorf's rejection, recorded by the editors with its receipt number, and its scan.

The scan is a one-page PDF written by hand: the letter's text in Helvetica with the
county's red receipt stamp (a few hundred bytes of PDF syntax, no PDF library needed).
services.statement_files checks it like any upload (pypdf opens it).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from consult.models import User
from consult.services import statement_files, statement_intake

BERLIN = ZoneInfo("Europe/Berlin")

#: Characters per line of body text (11 pt Helvetica between 70 pt margins on A4).
WIDTH = 84


def _text(value: str) -> bytes:
    """A PDF string literal's content in WinAnsiEncoding (umlauts, ß, „“ and – included)."""
    raw = value.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def wrap(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs as lines of the page, a blank line between them."""
    lines: list[str] = []
    for n, paragraph in enumerate(paragraphs):
        if n:
            lines.append("")
        lines.extend(textwrap.wrap(paragraph, WIDTH) or [""])
    return lines


def letter_pdf(lines: Sequence[tuple[bool, str]], stamp: Sequence[str]) -> bytes:
    """A one-page A4 PDF: ``lines`` (bold?, text) from the top left, ``stamp`` (a few short
    lines) in a red box at the top right."""
    ops = [b"BT", b"14 TL", b"70 770 Td"]
    for bold, line in lines:
        ops.append(b"/F%d 11 Tf (%s) Tj T*" % (2 if bold else 1, _text(line)))
    ops += [b"ET", b"q 0.7 0.1 0.1 RG 1.5 w 385 744 150 %d re S Q" % (16 + 13 * len(stamp))]
    ops += [b"BT 0.7 0.1 0.1 rg /F2 9 Tf 13 TL 393 %d Td" % (744 + 13 * len(stamp))]
    ops += [b"(%s) Tj T*" % _text(line) for line in stamp] + [b"ET"]
    content = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def record_letter(
    session: Session,
    round_id: int,
    *,
    editor: User,
    organisation_id: int,
    written_on: str,
    received: datetime,
    recorded: datetime,
    receipt_number: str,
) -> None:
    """Eitorf's letter (dated ``written_on``), recorded by the editors with its receipt
    number, and its scan."""
    paragraphs = [
        "Der Haupt- und Finanzausschuss der Gemeinde Eitorf hat die Fassung 2 des "
        "Integrationskonzepts beraten. Er teilt die Ziele des Konzepts, lehnt es in der "
        "vorliegenden Form aber ab.",
        "Die Gemeinde befindet sich in der Haushaltssicherung und darf neue freiwillige "
        "Aufgaben nur übernehmen, wenn sie vollständig gegenfinanziert sind. Abschnitt 5 sagt "
        "zwar, dass neue Aufgaben nur bei gesicherter Finanzierung entstehen, nennt aber "
        "weder Kosten noch Kostenträger. Für die Gemeinde ist nicht absehbar, was die "
        "Lenkungsgruppe, die Lotsinnen und Lotsen und der Pool für die Sprachmittlung für die "
        "Kreisumlage bedeuten.",
        "Die Gemeinde wird dem Konzept zustimmen, sobald der Kreis verbindlich zusagt, dass "
        "den Städten und Gemeinden daraus keine zusätzlichen Kosten entstehen.",
    ]
    version = statement_intake.record_paper(
        session,
        round_id,
        actor=editor,
        organisation_id=organisation_id,
        position="rejection",
        channel="letter",
        received_at=received,
        receipt_number=receipt_number,
        signatory="Rainer Vogt",
        signatory_function="Bürgermeister",
        body="\n\n".join(paragraphs),
        now=recorded,
        notify=False,
    )
    head = [
        "Gemeinde Eitorf · Der Bürgermeister",
        "",
        "Kreis Siegtal",
        "Kommunales Integrationszentrum",
        "",
        f"Eitorf, {written_on}",
        "",
        "Integrationskonzept 2027 für den Kreis Siegtal, Fassung 2",
        "Stellungnahme der Gemeinde Eitorf",
        "",
    ]
    foot = ["", "Mit freundlichen Grüßen", "", "gez. Rainer Vogt", "Bürgermeister"]
    lines = [(n in (0, 7, 8), text) for n, text in enumerate(head)]
    lines += [(False, text) for text in wrap(paragraphs) + foot]
    scan = letter_pdf(
        lines,
        ["EINGEGANGEN", f"am {received.astimezone(BERLIN):%d.%m.%Y}", f"Nr. {receipt_number}"],
    )
    statement_files.add_attachment(
        session,
        version.statement_id,
        actor=editor,
        stream=io.BytesIO(scan),
        filename="Stellungnahme Gemeinde Eitorf (Scan).pdf",
        now=recorded + timedelta(minutes=5),
    )
