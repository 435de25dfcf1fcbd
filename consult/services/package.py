"""The committee package of a round (Sitzungsunterlagen): one ZIP with what the council
receives, and an ``oparl.json`` that lets a council information system take it in.

What goes in (each part made by the service that owns it; a part that does not apply is
left out, and ``LIESMICH.txt`` says why):

- ``01-verfahrensbericht.pdf``: the procedure report (services.procedure_report);
- ``02-fassung-N.pdf`` and ``.docx``: the consultation's latest revision
  (services.revision_exports);
- ``03-synopse-fassung-M-fassung-N.pdf``: the latest revision against the round's
  (services.synopsis_exports; left out when they are the same revision);
- ``04-abwaegungstabelle.pdf`` and ``.xlsx``: the response table (services.responses),
  without the names of the people who wrote feedback (their organisations stay);
- ``05-anhang-stellungnahmen.pdf``: the statements annex (rounds that ask the
  municipalities);
- ``anlagen/<kommune>/<datei>.pdf``: the statements' original attachments;
- ``oparl.json`` (an OParl 1.1 ``Paper``, see consult.services.package_oparl) and
  ``LIESMICH.txt``.

The ZIP is deterministic: fixed entry times and order, so the same records give the same
bytes (the documents' own dates aside).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict
from consult.models import Consultation, Revision, RevisionStatus, Round
from consult.services import (
    access,
    permissions,
    procedure_report,
    response_exports,
    responses,
    revision_exports,
    statement_annex,
    statement_files,
    synopsis_exports,
)
from consult.services.export_files import PDF, XLSX, ZIP, ExportFile, file_stem
from consult.services.package_oparl import Member, Omission, oparl_json, readme

#: The progress callback: percent (0..100) and what is being done (German).
Progress = Callable[[int, str], None]

#: Every entry's time in the ZIP (the earliest a ZIP can hold): same records, same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def package_round(session: Session, round_id: int, *, actor: object) -> Round:
    """The round whose package the actor may build. Raises NotFound (unknown, or not
    visible to the actor), NotPermitted (not an editor of the consultation)."""
    round_ = access.get_round_for_responses(session, round_id, actor=actor)
    permissions.require(
        permissions.can_build_package(session, actor, round_),
        _("Die Sitzungsunterlagen einer Runde stellt die Redaktion zusammen."),
    )
    return round_


def latest_revision(session: Session, consultation_id: int) -> Revision:
    """The consultation's newest revision (a draft too: the committee sees where the text
    stands). Raises nothing (every consultation has its first revision)."""
    found = session.scalars(
        select(Revision)
        .where(Revision.consultation_id == consultation_id)
        .order_by(Revision.number.desc())
        .limit(1)
    ).one()
    return found


def package_name(consultation: Consultation, round_: Round) -> str:
    """The ZIP's file name: "sitzungsunterlagen-<consultation>-runde-<id>.zip"."""
    title = consultation.title
    if len(title) > 50:  # at a word's end, not within one
        title = title[:50].rsplit(" ", 1)[0]
    return f"{file_stem('sitzungsunterlagen', title, f'runde-{round_.id}')}.zip"


def build_package(
    session: Session,
    round_id: int,
    *,
    actor: object,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ExportFile:
    """The committee package of a round as a ZIP. ``progress`` is told each step (it may
    raise to stop the build: the exception passes through). ``now`` dates the package.
    Raises NotFound, NotPermitted (see :func:`package_round`)."""
    report = progress or (lambda _percent, _step: None)
    round_ = package_round(session, round_id, actor=actor)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    latest = latest_revision(session, consultation.id)
    members: list[Member] = []
    omitted: list[Omission] = []
    made_at = now or utcnow()

    report(5, _("Verfahrensbericht wird erstellt …"))
    made = procedure_report.report_file(session, round_.id, actor=actor, file_format="pdf")
    members.append(
        Member("01-verfahrensbericht.pdf", _("Verfahrensbericht"), made, made_at, main=True)
    )

    report(20, _("Fassung %(n)s wird als PDF und DOCX gesetzt …", n=latest.number))
    revision_date = latest.published_at or latest.created_at
    for file_format in ("pdf", "docx"):
        members.append(
            Member(
                f"02-fassung-{latest.number}.{file_format}",
                _("Konzept, Fassung %(n)s (Entwurf, %(f)s)", n=latest.number, f=file_format.upper())
                if latest.status == RevisionStatus.DRAFT.value
                else _("Konzept, Fassung %(n)s (%(f)s)", n=latest.number, f=file_format.upper()),
                revision_exports.export_revision(
                    session, latest.id, actor=actor, file_format=file_format
                ),
                revision_date,
            )
        )

    report(40, _("Synopse wird erstellt …"))
    if latest.id == round_.revision_id:
        omitted.append(
            Omission(
                _("Synopse"),
                _(
                    "Die neueste Fassung ist die Fassung dieser Runde (Fassung %(n)s): "
                    "es gibt keine Änderungen gegenüberzustellen.",
                    n=latest.number,
                ),
            )
        )
    else:
        synopsis = synopsis_exports.export_synopsis(
            session, latest.id, round_.revision_id, actor=actor, file_format="pdf"
        )
        members.append(
            Member(
                f"03-synopse-fassung-{round_.revision.number}-fassung-{latest.number}.pdf",
                _(
                    "Synopse: Fassung %(a)s und Fassung %(b)s",
                    a=round_.revision.number,
                    b=latest.number,
                ),
                synopsis,
                revision_date,
            )
        )

    report(55, _("Abwägungstabelle wird erstellt …"))
    members += _response_table(session, round_, actor=actor, made_at=made_at)

    report(70, _("Anhang der Stellungnahmen wird gesetzt …"))
    members += _statements(session, round_, actor=actor, made_at=made_at, omitted=omitted)

    report(90, _("Paket wird gepackt …"))
    return ExportFile(
        pack(members, consultation, round_, omitted, made_at),
        ZIP,
        package_name(consultation, round_),
    )


def _response_table(
    session: Session, round_: Round, *, actor: object, made_at: datetime
) -> list[Member]:
    # A council paper is public: the people who wrote feedback are not named in it (their
    # organisation is); editors download the table with names from its own page.
    table = responses.response_table(session, round_.id, actor=actor, with_names=False)
    members = []
    for file_format, mimetype in (("pdf", PDF), ("xlsx", XLSX)):
        content, _media, name = response_exports.export(table, file_format)
        members.append(
            Member(
                f"04-abwaegungstabelle.{file_format}",
                _("Abwägungstabelle (%(f)s)", f=file_format.upper()),
                ExportFile(content, mimetype, name),
                made_at,
            )
        )
    return members


def _statements(
    session: Session, round_: Round, *, actor: object, made_at: datetime, omitted: list[Omission]
) -> list[Member]:
    if not round_.includes_municipalities:
        omitted.append(
            Omission(
                _("Anhang: Stellungnahmen der Kommunen"),
                _("Die Kommunen waren zu dieser Runde nicht um Stellungnahme gebeten."),
            )
        )
        return []
    try:
        made = statement_annex.annex(session, round_.id, actor=actor)
    except Conflict as exc:
        omitted.append(Omission(_("Anhang: Stellungnahmen der Kommunen"), exc.message))
        return []
    content = statement_annex.to_pdf(made)
    members = [
        Member(
            "05-anhang-stellungnahmen.pdf",
            _("Anhang: Stellungnahmen der Kommunen"),
            ExportFile(content, PDF, "anhang-stellungnahmen.pdf"),
            made_at,
        )
    ]
    taken: set[str] = set()
    for entry in made.statements:
        assert entry.view is not None
        folder = f"anlagen/{statement_annex.slug(entry.organisation.name)}"
        for attachment in entry.view.attachments:
            path = _unique(f"{folder}/{file_stem(attachment.file_name[:-4])}.pdf", taken)
            with statement_files.open_file(attachment) as handle:
                body = handle.read()
            members.append(
                Member(
                    path,
                    _(
                        "Anlage zur Stellungnahme %(org)s: %(name)s",
                        org=entry.organisation.name,
                        name=attachment.file_name,
                    ),
                    ExportFile(body, attachment.mime_type, attachment.file_name),
                    attachment.uploaded_at,
                )
            )
    return members


def _unique(path: str, taken: set[str]) -> str:
    """``path``, or with "-2", "-3" … before its extension when it is taken."""
    stem, dot, ext = path.rpartition(".")
    candidate, n = path, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    taken.add(candidate)
    return candidate


def pack(
    members: list[Member],
    consultation: Consultation,
    round_: Round,
    omitted: list[Omission],
    made_at: datetime,
) -> bytes:
    """The ZIP of the members with ``oparl.json`` and ``LIESMICH.txt``; deterministic
    (fixed times, this order, DEFLATE)."""
    entries = [(m.path, m.file.content) for m in members]
    entries.append(("oparl.json", oparl_json(members, consultation, round_, made_at)))
    entries.append(("LIESMICH.txt", readme(members, consultation, round_, omitted, made_at)))
    return write_zip(entries)


def write_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A ZIP of (path, bytes) in this order, each entry dated :data:`ZIP_TIME`, DEFLATE
    compressed, readable by all (``-rw-r--r--``): the same entries give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever system builds it
            archive.writestr(info, content, compresslevel=6)
    return buffer.getvalue()
