"""The rows of the overview's table (Eingangsliste), fast enough for 2,000 items.

A Jinja loop over 2,000 rows of ten cells cost more than everything else of the page
together (every fragment passes up through the template's generators, every label is
translated again per row). Here the labels are translated and the URLs built once per
page, and each row is a few string joins. Every piece of user text is escaped first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from consult.services.inbox import Inbox, InboxItem
from consult.web.decision_forms import (
    DECISION_LABELS,
    KIND_LABELS,
    LOCATION_LABELS,
    STATUS_LABELS,
)

#: How much of an item's quote, proposed text and comment the table shows.
QUOTE_LENGTH = 80
TEXT_LENGTH = 160
#: Stands for an item's id in URLs built once.
_PLACEHOLDER = 999999999


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at ``limit`` characters with "…"."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class InboxRows:
    """Renders the table rows of one overview page."""

    def __init__(self, *, here: str) -> None:
        def url(endpoint: str, **values: Any) -> str:
            return url_for(endpoint, **values).replace(str(_PLACEHOLDER), "{id}")

        self.decide_url = url("decisions.decide", feedback_id=_PLACEHOLDER, back=here)
        self.read_url = url("revisions.read", revision_id=_PLACEHOLDER)
        t = {
            "select": _("Nr. %(n)s auswählen"),
            "number": _("Nr. %(n)s"),
            "whole": _("zum ganzen Abschnitt"),
            "insertion": _("Einfügung"),
            "proposed": _("vorgeschlagen:"),
            "open": _("offen"),
            "decide": _("Entscheiden"),
            "change": _("Entscheidung ändern"),
            "show": _("ansehen"),
            "in_text": _("Im Text"),
            "overlaps": _("überschneidet sich mit %(ids)s"),
            "other_round": _("einem Vorschlag einer anderen Runde"),
            "nobody": _("niemand"),
            "about": _("zu Nr. %(n)s"),
        }
        self.t = {key: str(escape(value)) for key, value in t.items()}
        self.raw = t
        self.decisions = {k: str(escape(v)) for k, v in DECISION_LABELS.items()}
        self.statuses = {k: str(escape(v)) for k, v in STATUS_LABELS.items()}
        self.locations = {k: str(escape(v)) for k, v in LOCATION_LABELS.items()}
        self.kinds = {k: str(escape(v)) for k, v in KIND_LABELS.items()}

    def _number(self, item: InboxItem) -> str:
        return str(escape(self.raw["number"] % {"n": item.number})) if item.number else "–"

    def _excerpt(self, item: InboxItem) -> str:
        t = self.t
        out = []
        if item.quote:
            out.append(
                f'<span class="excerpt-quote">„{escape(shorten(item.quote, QUOTE_LENGTH))}“</span>'
            )
        elif item.is_suggestion:
            out.append(f'<span class="meta">{t["insertion"]}</span>')
        else:
            out.append(f'<span class="meta">{t["whole"]}</span>')
        if item.is_suggestion:
            proposed = shorten(item.replacement or "", QUOTE_LENGTH)
            out.append(
                f' <span class="excerpt-proposed">{t["proposed"]} „{escape(proposed)}“</span>'
            )
        if item.body:
            out.append(
                f'<br><span class="excerpt-text">{escape(shorten(item.body, TEXT_LENGTH))}</span>'
            )
        return "".join(out)

    def _status(self, item: InboxItem, by_id: Mapping[int, InboxItem]) -> str:
        out = [self.statuses.get(item.status, str(escape(item.status)))]
        location = self.locations.get(item.location or "")
        if location and not item.is_withdrawn:
            kind = "anchor-orphaned" if item.is_outdated else "anchor-moved"
            out.append(f' <span class="badge {kind}">{location}</span>')
        if item.overlaps:
            names = []
            for other in item.overlaps:
                found = by_id.get(other)
                names.append(
                    self.raw["number"] % {"n": found.number}
                    if found is not None and found.number
                    else self.raw["other_round"]
                )
            text = escape(self.raw["overlaps"] % {"ids": ", ".join(names)})
            out.append(f' <span class="badge overlap-flag">⚠ {text}</span>')
        return "".join(out)

    def row(self, item: InboxItem, by_id: Mapping[int, InboxItem], checked: bool) -> str:
        t = self.t
        fid = item.feedback_id
        number = self._number(item)
        about = escape(self.raw["about"] % {"n": item.number or "–"})
        hidden_number = f'<span class="visually-hidden"> {about}</span>'
        if item.is_decidable:
            select = (
                f'<input type="checkbox" name="ids" value="{fid}" id="sel-{fid}"'
                f"{' checked' if checked else ''}>"
                f'<label for="sel-{fid}" class="visually-hidden">'
                f"{escape(self.raw['select'] % {'n': item.number or '–'})}</label>"
            )
        else:
            select = ""
        key = f'<span class="key">{escape(item.section_key)}</span> ' if item.section_key else ""
        decision = (
            f"<strong>{self.decisions.get(item.decision, str(escape(item.decision)))}</strong>"
            if item.decision
            else t["open"]
        )
        action = t["change"] if item.decision else t["decide"]
        if not item.is_decidable:
            action = t["show"]
        classes = "inbox-row"
        if item.is_undecided:
            classes += " is-open"
        if item.overlaps:
            classes += " has-overlap"
        return (
            f'<tr class="{classes}" id="item-{fid}"><td>{select}</td>'
            f'<th scope="row">{number}</th>'
            f"<td>{key}{escape(item.section_title)}</td>"
            f"<td>{escape(item.organisation or '–')}</td>"
            f"<td>{escape(item.author)}</td>"
            f"<td>{self.kinds.get(item.kind, str(escape(item.kind)))}</td>"
            f'<td class="excerpt">{self._excerpt(item)}'
            f' <a href="{self.read_url.format(id=item.revision_id)}#fb-{fid}">'
            f"{t['in_text']}{hidden_number}</a></td>"
            f"<td>{self._status(item, by_id)}</td>"
            f'<td>{decision}<br><a href="{self.decide_url.format(id=fid)}">'
            f"{action}{hidden_number}</a></td>"
            f"<td>{escape(item.assignee or '–')}</td></tr>"
        )

    def rows(self, inbox: Inbox, selected: Collection[int]) -> Markup:
        """The table's rows for the items the filters let through."""
        return Markup(  # noqa: S704 - every piece escaped above
            "".join(
                self.row(item, inbox.by_id, item.feedback_id in selected) for item in inbox.items
            )
        )


def columns() -> Sequence[tuple[str | None, str]]:
    """The table's columns after the selection: the order they sort by (None: not
    sortable) and their heading."""
    return [
        ("number", _("Nr.")),
        ("section", _("Abschnitt")),
        ("organisation", _("Organisation")),
        (None, _("Verfasst von")),
        ("kind", _("Art")),
        (None, _("Auszug")),
        ("status", _("Status")),
        (None, _("Entscheidung")),
        (None, _("Zuständig")),
    ]


def sort_labels() -> list[tuple[str, str]]:
    """The orders of the overview and what the sort select calls them."""
    return [
        ("number", _("Nummer")),
        ("section", _("Abschnitt")),
        ("organisation", _("Organisation")),
        ("kind", _("Art")),
        ("status", _("Status")),
    ]
