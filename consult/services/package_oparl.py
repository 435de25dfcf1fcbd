"""What the committee package says about itself: ``oparl.json``, an OParl 1.1 ``Paper``
(https://oparl.org/spezifikation/, "Paper" and "File") that a council information system
can take in, and ``LIESMICH.txt`` for the people who open the ZIP.

OParl wants every object's ``id`` and every file's ``accessUrl`` to be URLs. The package
is handed over as a file, not served by an OParl endpoint, so ``id`` is the package's API
address with a fragment per file, and ``accessUrl`` is the file's path inside the ZIP
(relative; the README explains it): the importing system unpacks the ZIP and stores the
files itself. ``size`` and ``sha512Checksum`` let it check each file it took.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from consult.models import Consultation, Round
from consult.services.export_files import ExportFile

PAPER_TYPE = "https://schema.oparl.org/1.1/Paper"
FILE_TYPE = "https://schema.oparl.org/1.1/File"


@dataclass(frozen=True)
class Member:
    """One file of the package: where it is in the ZIP, its name for people, its bytes,
    its date, and whether it is the paper's main file."""

    path: str
    title: str
    file: ExportFile
    date: datetime
    main: bool = False


@dataclass(frozen=True)
class Omission:
    """A part left out of the package, and why."""

    title: str
    reason: str


def _day(value: datetime) -> str:
    """An OParl date (ISO 8601, the day in Europe/Berlin)."""
    return str(format_datetime(value, "yyyy-MM-dd"))


def package_url(round_: Round) -> str:
    """The package's address in the API (the base of the OParl ids)."""
    base = current_app.extensions["consult_settings"].base_url
    return f"{base}/api/v1/rounds/{round_.id}/package"


def file_object(member: Member, round_: Round) -> dict[str, object]:
    """The OParl 1.1 ``File`` of a member."""
    return {
        "id": f"{package_url(round_)}#{member.path}",
        "type": FILE_TYPE,
        "name": member.title,
        "fileName": member.path.rsplit("/", 1)[-1],
        "mimeType": member.file.mimetype.split(";")[0].strip(),
        "date": _day(member.date),
        "size": member.file.size,
        "sha512Checksum": member.file.sha512,
        "accessUrl": member.path,
    }


def paper(
    members: list[Member], consultation: Consultation, round_: Round, made_at: datetime
) -> dict[str, object]:
    """The OParl 1.1 ``Paper`` of the package.

    ``mainFile`` is the procedure report: in a council's papers the Vorlage itself is the
    text that tells the committee what happened and what it decides (the seeds'
    "Vorbemerkungen"); the concept and the statements are its Anlagen. Without a report
    the latest revision is the main file.
    """
    main = next((m for m in members if m.main), None) or (members[0] if members else None)
    base = current_app.extensions["consult_settings"].base_url
    found: dict[str, object] = {
        "id": f"{package_url(round_)}#paper",
        "type": PAPER_TYPE,
        "name": _(
            "%(title)s: Ergebnis der Beteiligungsrunde „%(round)s“",
            title=consultation.title,
            round=round_.title,
        ),
        "reference": f"KONSULT-{consultation.id}-{round_.id}",
        "date": _day(made_at),
        "paperType": _("Sitzungsvorlage"),
    }
    if main is not None:
        found["mainFile"] = file_object(main, round_)
    found["auxiliaryFile"] = [file_object(m, round_) for m in members if m is not main]
    found["web"] = f"{base}/rounds/{round_.id}"
    return found


def oparl_json(
    members: list[Member], consultation: Consultation, round_: Round, made_at: datetime
) -> bytes:
    """``oparl.json``: the Paper, UTF-8, indented, keys in the spec's order."""
    text = json.dumps(paper(members, consultation, round_, made_at), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(size // 1024, 1)} KB"


def readme(
    members: list[Member],
    consultation: Consultation,
    round_: Round,
    omitted: list[Omission],
    made_at: datetime,
) -> bytes:
    """``LIESMICH.txt``: what the package holds, what was left out and why, and how
    ``oparl.json`` names the files."""
    lines = [
        _("Sitzungsunterlagen"),
        "",
        f"{consultation.title}",
        _("Beteiligungsrunde: %(title)s", title=round_.title),
        _("Zusammengestellt am %(day)s", day=format_datetime(made_at, "dd.MM.yyyy")),
        "",
        _("Inhalt:"),
    ]
    lines += [f"  {m.path}  ({_size(m.file.size)})  {m.title}" for m in members]
    if omitted:
        lines += ["", _("Nicht enthalten:")]
        for omission in omitted:
            lines += textwrap.wrap(
                f"{omission.title}: {omission.reason}",
                width=88,
                initial_indent="  ",
                subsequent_indent="    ",
            )
    about = _(
        "oparl.json beschreibt das Paket als Drucksache (OParl 1.1, Typ „Paper“): "
        "mainFile ist der Verfahrensbericht, auxiliaryFile die übrigen Dateien, je mit "
        "Name, Dateiname, MIME-Typ, Größe in Bytes und SHA-512-Prüfsumme. accessUrl "
        "ist der Pfad der Datei in diesem ZIP-Archiv (relativ): das "
        "Ratsinformationssystem entpackt das Archiv und legt die Dateien selbst ab."
    )
    lines += ["", *textwrap.wrap(about, width=88), ""]
    return "\n".join(lines).encode("utf-8")
