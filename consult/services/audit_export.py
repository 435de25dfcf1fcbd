"""The audit log in words: German labels of the action codes, a short text of the details,
and the CSV download (German Excel: UTF-8 with BOM, semicolons; no cell runs as a formula).

Apart from :mod:`consult.services.audit` (which every service imports), so that the CSV may
use the response table's cell rule without an import cycle.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consult import dates
from consult.services.audit import AuditView
from consult.services.consultations import ROLE_LABELS
from consult.services.response_exports import decision_labels, neutralised

#: Details that are points in time (stored as ISO text).
_MOMENTS = frozenset({"closes_at", "received_at", "previous_closes_at", "opens_at"})

#: Every action code the app records, with its German label (the order of the filter).
ACTION_LABELS: dict[str, Any] = {
    "revision.published": _l("Fassung veröffentlicht"),
    "revision.merged": _l("Vorschläge eingearbeitet (neuer Entwurf)"),
    "round.opened": _l("Runde eröffnet"),
    "round.extended": _l("Frist verlängert"),
    "round.closed": _l("Runde beendet"),
    "round.reopened": _l("Runde wieder geöffnet"),
    "decision.made": _l("Abwägung getroffen"),
    "decision.changed": _l("Abwägung geändert"),
    "decision.withdrawn": _l("Abwägung zurückgenommen"),
    "decisions.published": _l("Abwägung veröffentlicht"),
    "responses.published": _l("Abwägungstabelle veröffentlicht"),
    "statement.submitted": _l("Stellungnahme abgegeben"),
    "statement.released": _l("Stellungnahme freigegeben"),
    "statement.returned": _l("Entwurf einer Stellungnahme zurückgegeben"),
    "statement.recorded": _l("Stellungnahme auf Papier erfasst"),
    "statement.extended": _l("Frist einer Kommune verlängert"),
    "statements.published": _l("Stellungnahmen veröffentlicht"),
    "member.set": _l("Rolle im Verfahren vergeben oder geändert"),
    "member.removed": _l("Aus dem Verfahren entfernt"),
    "user.created": _l("Konto angelegt"),
    "user.changed": _l("Konto geändert"),
    "organisation.created": _l("Organisation angelegt"),
    "organisation.changed": _l("Organisation geändert"),
    "export.responses": _l("Abwägungstabelle heruntergeladen"),
    "export.annex": _l("Anhang Stellungnahmen heruntergeladen"),
    "export.package": _l("Sitzungsunterlagen heruntergeladen"),
    "data.downloaded": _l("Eigene Daten heruntergeladen (DSGVO)"),
    "data.erased": _l("Konto anonymisiert (DSGVO)"),
    "admin.login": _l("Anmeldung (Verwaltung)"),
}

#: German names of the kinds of objects.
OBJECT_LABELS: dict[str, Any] = {
    "revision": _l("Fassung"),
    "round": _l("Runde"),
    "feedback": _l("Beitrag"),
    "statement": _l("Stellungnahme"),
    "user": _l("Person"),
    "organisation": _l("Organisation"),
}

_DETAIL_LABELS: dict[str, Any] = {
    "number": _l("Fassung"),
    "base": _l("aus Fassung"),
    "title": _l("Titel"),
    "closes_at": _l("Frist"),
    "reason": _l("Begründung"),
    "decision": _l("Entscheidung"),
    "municipality": _l("Kommune"),
    "version": _l("Version"),
    "channel": _l("Eingangsweg"),
    "received_at": _l("Eingang"),
    "name": _l("Name"),
    "working_group_ids": _l("Arbeitskreise (Nr.)"),
    "role": _l("Rolle"),
    "signatory": _l("zeichnungsberechtigt"),
    "signatory_function": _l("Funktion"),
    "format": _l("Format"),
    "names": _l("mit Namen"),
    "applied": _l("eingearbeitete Vorschläge"),
    "is_admin": _l("Verwaltung"),
    "is_active": _l("aktiv"),
    "kind": _l("Art"),
}


def action_label(code: str) -> str:
    """The German words for an action code (the code itself when unknown)."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_label(entry: AuditView) -> str:
    """E.g. "Runde 4" (the kind of object and its id), or "" for none."""
    if not entry.object_type:
        return ""
    kind = OBJECT_LABELS.get(entry.object_type)
    name = str(kind) if kind is not None else entry.object_type
    return f"{name} {entry.object_id}" if entry.object_id is not None else name


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(_("ja") if value else _("nein"))
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) or "–"
    return str(value)


def _detail(key: str, value: object) -> str:
    """One detail's value in words: German labels for codes, dates as people write them."""
    if key == "decision" and isinstance(value, str):
        return decision_labels().get(value, value)
    if key == "role" and isinstance(value, str):
        label = ROLE_LABELS.get(value)
        return str(label) if label is not None else value
    if key in _MOMENTS and isinstance(value, str):
        try:
            return dates.moment(datetime.fromisoformat(value))
        except ValueError:
            return value
    return _value(value)


def details_text(entry: AuditView) -> str:
    """The details as "Label: value; ..." (keys without a label as they are)."""
    details = entry.details
    parts = []
    for key, value in details.items():
        if key == "working_group_ids" and not value:
            continue
        # Signing is for municipality members only: a flag on other roles says nothing.
        if key.startswith("signatory") and details.get("role", "municipality") != "municipality":
            continue
        label = _DETAIL_LABELS.get(key)
        parts.append(f"{label if label is not None else key}: {_detail(key, value)}")
    return "; ".join(parts)


def to_csv(found: Iterable[AuditView]) -> bytes:
    """The entries as CSV for German Excel: UTF-8 with BOM, semicolons, CRLF; every cell
    that a spreadsheet would run as a formula is neutralised. Raises nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(
        [
            _("Nr."),
            _("Zeitpunkt"),
            _("Person"),
            _("Aktion"),
            _("Code"),
            _("Gegenstand"),
            _("Verfahren"),
            _("Details"),
        ]
    )
    for entry in found:
        cells = [
            str(entry.id),
            dates.moment(entry.at),
            entry.actor_name,
            action_label(entry.action),
            entry.action,
            object_label(entry),
            str(entry.consultation_id or ""),
            details_text(entry),
        ]
        writer.writerow([neutralised(cell) for cell in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
