"""Template filters and globals: dates (consult.dates), diffs, organisation kinds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from consult import dates
from consult.domain.outline import group_blocks
from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op
from consult.idempotency import once_field
from consult.sanitize import render_plain_text
from consult.services.change_causes import SectionCauses
from consult.web.change_labels import ChangeLabels, change_labels
from consult.web.forms import KIND_LABELS
from consult.web.why import op_notes


def weekday_moment(value: datetime | None) -> str:
    """A point in time with its weekday, for deadlines: "Do., 24.12.2026, 07:20 Uhr"."""
    return dates.moment(value, weekday=True)


def weekday_day(value: datetime | None) -> str:
    """A day with its weekday: "Do., 24.12.2026"."""
    return dates.day(value, weekday=True)


def ops_html(
    ops: Iterable[Op],
    side: str = "both",
    labels: ChangeLabels | None = None,
    why: SectionCauses | None = None,
) -> Markup:
    """Diff ops as HTML: each text escaped first, then wrapped in <del>/<ins> (TEXT.md 4),
    each with hidden words for screen readers (``labels``; default: the interface
    language's, consult.web.change_labels).

    ``side="old"`` shows what was there (equal + deleted), ``"new"`` what is there now.
    ``why``: the causes of the changes, which each change then names and links to
    (consult.web.why).
    """
    if labels is None:
        labels = change_labels()
    ops = list(ops)
    notes = op_notes(ops, why, side) if why is not None else {}
    parts: list[str] = []
    for index, (kind, text) in enumerate(ops):
        escaped = str(escape(text))
        attrs, after = notes.get(index, ("", ""))
        if kind == EQUAL:
            parts.append(escaped)
        elif kind == DELETE and side in ("both", "old"):
            parts.append(labels.delete(escaped, attrs))
        elif kind == INSERT and side in ("both", "new"):
            parts.append(labels.ins(escaped, attrs))
        parts.append(after)
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above


def init_app(app: Flask) -> None:
    # Dates, one way everywhere (consult.dates): "24.12.2026, 07:20 Uhr" (datetime),
    # "Do., 24.12.2026, 07:20 Uhr" (deadline), "24.12.2026" (date), "Do., 24.12.2026"
    # (weekday_date), "noch 3 Tage" (time_left), "in 3 Tagen" (time_until).
    app.jinja_env.filters["datetime"] = dates.moment
    app.jinja_env.filters["deadline"] = weekday_moment
    app.jinja_env.filters["date"] = dates.day
    app.jinja_env.filters["weekday_date"] = weekday_day
    app.jinja_env.filters["time_left"] = dates.time_left
    app.jinja_env.filters["time_until"] = dates.time_until
    app.jinja_env.filters["until"] = dates.until
    app.jinja_env.filters["ops_html"] = ops_html
    app.jinja_env.filters["plain_text"] = render_plain_text
    app.jinja_env.globals["group_blocks"] = group_blocks
    app.jinja_env.globals["once_field"] = once_field
    app.jinja_env.globals["KIND_LABELS"] = {k.value: v for k, v in KIND_LABELS.items()}
