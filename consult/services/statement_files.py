"""PDF attachments of statements: upload (checked by content, not by name), download
(only for those who may see them), removal from a draft.

A file is at most :data:`MAX_BYTES`. It is copied from the request in chunks, counting
and hashing (SHA-512) as it goes, so a larger one is refused without ever being held in
memory (the API refuses a request above :data:`REQUEST_LIMIT` by its Content-Length
before reading anything). It must begin with ``%PDF-`` and open with pypdf, unencrypted,
with at least one page: an HTML page renamed to ``.pdf`` is refused (422), so is an
encrypted or broken PDF. Files live in the upload folder (``CONSULT_UPLOAD_PATH``, by
default ``instance/uploads``; never under ``static/``) under a random name; the name a
download gets is the uploaded one, made safe. A file written by a request that then
fails is removed again; a file taken out of a draft is removed once the removal is
committed and no submitted version holds it.

Attachments of a draft are frozen into each version submitted (services.statements).
An editor's upload goes to the latest version when that one was recorded from paper
(the scan of the letter); a version's attachments are never removed or replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from consult.db import fits_id, utcnow
from consult.errors import Conflict, Invalid, NotFound, TooLarge
from consult.models import (
    Statement,
    StatementAttachment,
    StatementVersion,
    StatementVersionAttachment,
)
from consult.services import permissions
from consult.services import statement_access as reach
from consult.services.locks import lock

log = logging.getLogger(__name__)

#: Largest attachment (bytes).
MAX_BYTES = 20 * 1024 * 1024
#: Largest request that carries one attachment (the file and the multipart framing).
REQUEST_LIMIT = MAX_BYTES + 256 * 1024
#: Most attachments in one draft.
MAX_FILES = 20
CHUNK = 256 * 1024
PDF_MAGIC = b"%PDF-"
#: Where in the upload folder statements' files are.
FOLDER = "statements"

#: session.info keys: files written in the transaction (removed if it rolls back), files
#: to remove once it commits.
_WRITTEN = "consult_files_written"
_DOOMED = "consult_files_doomed"


def folder() -> Path:
    """The folder of statements' files (created when missing). Raises OSError."""
    path: Path = current_app.extensions["consult_settings"].uploads / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(attachment: StatementAttachment) -> Path:
    """Where the attachment's file is. Raises nothing."""
    path: Path = current_app.extensions["consult_settings"].uploads / FOLDER
    return path / attachment.storage_name


def safe_name(name: str | None) -> str:
    """The uploaded file's name as a download may carry it: its last path part, NFC,
    without control, format (bidirectional, zero-width) and reserved characters, at most
    150 characters before ``.pdf``."""
    text = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    text = re.sub(r'[<>:"/|?*;]', "_", text)
    text = " ".join(text.split()).strip(" .")
    stem = text[:-4] if text.lower().endswith(".pdf") else text
    stem = stem.strip(" .")[:150].strip(" .")
    return f"{stem or _('Anlage')}.pdf"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DOOMED, []):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_WRITTEN, []):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _copy(stream: IO[bytes], target: Path) -> tuple[int, str]:
    """Copy ``stream`` into ``target`` chunk by chunk; returns (size, sha512). Raises
    TooLarge beyond MAX_BYTES (the partial file is removed)."""
    digest = hashlib.sha512()
    size = 0
    try:
        with target.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise TooLarge(
                        _(
                            "Die Datei ist zu groß: höchstens %(mb)d MB je Anlage.",
                            mb=MAX_BYTES // (1024 * 1024),
                        ),
                        code="file_too_large",
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        raise
    return size, digest.hexdigest()


def _not_pdf() -> Invalid:
    return Invalid(
        _(
            "Die Datei ist kein PDF-Dokument (geprüft wird der Inhalt, nicht der Dateiname). "
            "Bitte laden Sie eine PDF-Datei hoch."
        ),
        code="not_pdf",
        fields={"file": _("Bitte eine PDF-Datei wählen.")},
    )


def check_pdf(path: Path) -> int:
    """The number of pages of the PDF at ``path``. Raises Invalid: not a PDF (by its
    first bytes), encrypted, broken or without pages."""
    with path.open("rb") as handle:
        if handle.read(len(PDF_MAGIC)) != PDF_MAGIC:
            raise _not_pdf()
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise Invalid(
                _(
                    "Die PDF-Datei ist verschlüsselt oder durch ein Kennwort geschützt. "
                    "Bitte laden Sie sie ohne Schutz hoch."
                ),
                code="encrypted_pdf",
                fields={"file": _("Verschlüsselt.")},
            )
        pages = len(reader.pages)
        for page in reader.pages[:3]:
            page.mediabox  # noqa: B018  (reading it parses the page)
    except Invalid:
        raise
    except Exception:  # pypdf raises many kinds for a broken file
        pages = 0
    if pages < 1:
        raise Invalid(
            _("Die PDF-Datei ist beschädigt oder leer und lässt sich nicht öffnen."),
            code="broken_pdf",
            fields={"file": _("Beschädigt.")},
        )
    return pages


def _target(
    session: Session, statement: Statement, actor: object, now: datetime
) -> StatementVersion | None:
    """Where an upload goes: None (the draft), or the paper version an editor adds a scan
    to. Raises NotPermitted, Conflict."""
    round_ = reach.round_of(session, statement)
    if permissions.can_draft_statement(session, actor, round_, statement.organisation_id):
        reach.require_open(session, round_, statement.organisation, now)
        return None
    permissions.require(
        permissions.can_record_statement(session, actor, round_),
        _("Anlagen fügen die Mitglieder der Kommune ihrem Entwurf bei."),
    )
    latest = session.scalar(
        select(StatementVersion).where(
            StatementVersion.statement_id == statement.id,
            StatementVersion.number == statement.version_count,
        )
    )
    if latest is None or latest.recorded_by_id is None:
        raise Conflict(
            _(
                "Die Redaktion fügt nur einer auf Papier eingegangenen Stellungnahme den Scan "
                "bei; Anlagen einer online abgegebenen Stellungnahme stammen von der Kommune."
            ),
            code="not_recorded_from_paper",
        )
    return latest


def add_attachment(
    session: Session,
    statement_id: int,
    *,
    actor: object,
    stream: IO[bytes],
    filename: str | None,
    now: datetime | None = None,
) -> StatementAttachment:
    """Store an uploaded PDF: in the statement's draft (its municipality's members, while
    it may submit), or with its latest version if an editor recorded that one from paper.

    Raises NotFound, NotPermitted, Conflict (past the deadline; too many attachments;
    an editor adding to an online statement), TooLarge (above MAX_BYTES), Invalid (not
    a PDF, encrypted, broken).
    """
    user = permissions.require_user(actor)
    statement = reach.get_statement(session, statement_id, actor=actor)
    when = now or utcnow()
    version = _target(session, statement, user, when)
    lock(session, statement)
    count = session.scalar(
        select(func.count(StatementAttachment.id)).where(
            StatementAttachment.statement_id == statement.id,
            StatementAttachment.in_draft.is_(True),
        )
    )
    if version is None and (count or 0) >= MAX_FILES:
        raise Conflict(
            _("Höchstens %(n)d Anlagen je Stellungnahme.", n=MAX_FILES), code="too_many_files"
        )
    storage = secrets.token_hex(16) + ".pdf"
    target = folder() / storage
    size, sha512 = _copy(stream, target)
    session.info.setdefault(_WRITTEN, []).append(target)
    pages = check_pdf(target)
    attachment = StatementAttachment(
        statement_id=statement.id,
        in_draft=version is None,
        file_name=safe_name(filename),
        storage_name=storage,
        mime_type="application/pdf",
        size=size,
        sha512=sha512,
        page_count=pages,
        uploaded_by_id=user.id,
        uploaded_at=when,
    )
    session.add(attachment)
    session.flush()
    if version is not None:
        session.add(StatementVersionAttachment(version_id=version.id, attachment_id=attachment.id))
    statement.updated_at = when
    session.flush()
    return attachment


def _frozen(session: Session, attachment_id: int) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(StatementVersionAttachment)
            .where(StatementVersionAttachment.attachment_id == attachment_id)
        )
        or 0
    ) > 0


def get_attachment(
    session: Session, statement_id: int, attachment_id: int, *, actor: object
) -> StatementAttachment:
    """An attachment the actor may download: one of a submitted version for whoever may
    read the statement, one only in the draft for the municipality's members. Raises
    NotFound, NotPermitted."""
    statement = reach.get_statement(session, statement_id, actor=actor)
    attachment = session.get(StatementAttachment, attachment_id) if fits_id(attachment_id) else None
    if attachment is None or attachment.statement_id != statement.id:
        raise NotFound(_("Diese Anlage gibt es nicht."))
    if not _frozen(session, attachment.id):
        round_ = reach.round_of(session, statement)
        if not attachment.in_draft or not permissions.can_read_statement_draft(
            session, actor, round_, statement.organisation_id
        ):
            raise NotFound(_("Diese Anlage gibt es nicht."))
    return attachment


def open_file(attachment: StatementAttachment) -> BinaryIO:
    """The attachment's file, opened for reading. Raises NotFound when it is missing on
    disk (logged: the upload folder lost it)."""
    try:
        return path_of(attachment).open("rb")
    except FileNotFoundError:
        log.error("attachment %s: file %s is missing", attachment.id, attachment.storage_name)
        raise NotFound(_("Die Datei dieser Anlage ist nicht mehr vorhanden.")) from None


def remove_attachment(
    session: Session,
    statement_id: int,
    attachment_id: int,
    *,
    actor: object,
    now: datetime | None = None,
) -> None:
    """Take an attachment out of the draft (the municipality's members, while it may
    submit). Versions that hold it keep it; a file no version holds is removed.
    Raises NotFound, NotPermitted, Conflict (past the deadline)."""
    attachment = get_attachment(session, statement_id, attachment_id, actor=actor)
    statement = reach.get_statement(session, statement_id, actor=actor)
    round_ = reach.round_of(session, statement)
    permissions.require(
        permissions.can_draft_statement(session, actor, round_, statement.organisation_id),
        _("Anlagen eines Entwurfs entfernen die Mitglieder der Kommune."),
    )
    if not attachment.in_draft:
        raise NotFound(_("Diese Anlage gehört nicht zum Entwurf."))
    when = now or utcnow()
    reach.require_open(session, round_, statement.organisation, when)
    lock(session, statement)
    if _frozen(session, attachment.id):
        attachment.in_draft = False
    else:
        session.info.setdefault(_DOOMED, []).append(path_of(attachment))
        session.delete(attachment)
    statement.updated_at = when
    session.flush()


def chunks(handle: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """The file in chunks (a streamed download), closed at the end."""
    try:
        while data := handle.read(size):
            yield data
    finally:
        handle.close()
