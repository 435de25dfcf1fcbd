"""The statements' world (issue 12), shared by the services and API tests of statements.

The feedback world (tests/services/test_feedback.py: a published revision, working groups,
people in every role) plus municipalities of the county:

- Siegburg: mayor Stefan Roth (signatory, "Bürgermeister") and clerk Sabine Schreiber
  (drafting staff);
- Lohmar: mayor Lena Lorenz (signatory, "Bürgermeisterin"), alone;
- Much: no member yet;
- Eitorf: deputy Erik Engel (signatory, "stellv. Bürgermeister");

and a round that asks the municipalities (and working group a) for statements.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import Organisation, Round, Statement, StatementVersion, User
from consult.services import consultations as consultation_service
from consult.services import statement_files, statement_intake, statements
from tests.services.test_feedback import World


@dataclass
class Municipalities:
    world: World
    siegburg: Organisation
    lohmar: Organisation
    much: Organisation
    eitorf: Organisation
    mayor: User
    clerk: User
    lohmar_mayor: User
    eitorf_deputy: User
    round: Round | None = None

    @property
    def db(self) -> Session:
        return self.world.db

    @property
    def editor(self) -> User:
        return self.world.editor

    def open_round(
        self,
        *,
        opens: timedelta = timedelta(days=-1),
        closes: timedelta = timedelta(days=10),
        now: datetime | None = None,
    ) -> Round:
        self.round = self.world.open_round(
            groups=("a",), municipalities=True, opens=opens, closes=closes, now=now
        )
        return self.round

    def section_id(self, key: str) -> int:
        return self.world.section_id(key)

    def submit(
        self,
        user: User,
        organisation: Organisation,
        position: str = "consent_with_remarks",
        body: str = "Die Stadt begrüßt den Entwurf.",
        *,
        remarks: list[statements.RemarkInput] | None = None,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> StatementVersion:
        assert self.round is not None
        return statements.submit(
            self.db,
            self.round.id,
            actor=user,
            organisation_id=organisation.id,
            position=position,
            body=body,
            remarks=remarks or [],
            now=now,
            **kwargs,
        )

    def draft(
        self,
        user: User,
        organisation: Organisation,
        position: str | None = "consent_with_remarks",
        body: str = "Entwurf der Verwaltung.",
        **kwargs: Any,
    ) -> Statement:
        assert self.round is not None
        return statements.save_draft(
            self.db,
            self.round.id,
            actor=user,
            organisation_id=organisation.id,
            position=position,
            body=body,
            **kwargs,
        )

    def paper(
        self, organisation: Organisation, received_at: Any = None, **kwargs: Any
    ) -> StatementVersion:
        assert self.round is not None
        values: dict[str, Any] = {
            "position": "rejection",
            "body": "Die Gemeinde lehnt den Entwurf aus Kostengründen ab.",
            "signatory": "Hans Much",
            "signatory_function": "Bürgermeister",
            "channel": "letter",
            "receipt_number": "E-2026-0815",
        }
        values.update(kwargs)
        return statement_intake.record_paper(
            self.db,
            self.round.id,
            actor=self.editor,
            organisation_id=organisation.id,
            received_at=received_at,
            **values,
        )

    def attach(
        self, user: User, statement: Statement, content: bytes, name: str = "anlage.pdf"
    ) -> Any:
        return statement_files.add_attachment(
            self.db, statement.id, actor=user, stream=io.BytesIO(content), filename=name
        )


def add_municipalities(world: World) -> Municipalities:
    db = world.db
    siegburg = db.get(Organisation, world.mayor.organisation_id)
    assert siegburg is not None
    editor = world.editor
    cid = world.consultation.id

    def member(user: User, *, signatory: bool = True, function: str | None = None) -> User:
        consultation_service.set_member(
            db,
            cid,
            user.id,
            actor=editor,
            role="municipality",
            signatory=signatory,
            signatory_function=function,
        )
        return user

    member(world.mayor, function="Bürgermeister")
    clerk = member(world.make_user("Sabine Schreiber", organisation=siegburg), signatory=False)
    lohmar = world.make_org("Lohmar", "municipality")
    lohmar_mayor = member(
        world.make_user("Lena Lorenz", organisation=lohmar), function="Bürgermeisterin"
    )
    much = world.make_org("Much", "municipality")
    eitorf = world.make_org("Eitorf", "municipality")
    deputy = member(
        world.make_user("Erik Engel", organisation=eitorf), function="stellv. Bürgermeister"
    )
    return Municipalities(
        world, siegburg, lohmar, much, eitorf, world.mayor, clerk, lohmar_mayor, deputy
    )


def minimal_pdf(text: str = "Anlage") -> bytes:
    """A small, valid PDF of one page (written by hand, with a correct xref table)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def now() -> datetime:
    return utcnow()
