"""Template filters and globals: dates in Europe/Berlin, organisation kinds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_datetime, format_timedelta
from markupsafe import Markup, escape

from consult.db import utcnow
from consult.domain.outline import group_blocks
from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op
from consult.idempotency import once_field
from consult.sanitize import render_plain_text
from consult.web.forms import KIND_LABELS

BERLIN = ZoneInfo("Europe/Berlin")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A timestamp in the Europe/Berlin time zone and the interface language."""
    if value is None:
        return "–"
    return str(format_datetime(value, fmt))


def time_left(until: datetime, now: datetime | None = None) -> str:
    """ "3 Tage" until the given moment, in the interface language."""
    delta = until - (now or utcnow())
    return str(format_timedelta(delta, granularity="minute", threshold=1.1))


def ops_html(ops: Iterable[Op], side: str = "both") -> Markup:
    """Diff ops as HTML: each text escaped first, then wrapped in <del>/<ins> (TEXT.md 4).

    ``side="old"`` shows what was there (equal + deleted), ``"new"`` what is there now.
    """
    parts: list[str] = []
    for kind, text in ops:
        escaped = escape(text)
        if kind == EQUAL:
            parts.append(str(escaped))
        elif kind == DELETE and side in ("both", "old"):
            parts.append(f"<del>{escaped}</del>")
        elif kind == INSERT and side in ("both", "new"):
            parts.append(f"<ins>{escaped}</ins>")
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["ops_html"] = ops_html
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["plain_text"] = render_plain_text
    app.jinja_env.globals["group_blocks"] = group_blocks
    app.jinja_env.globals["once_field"] = once_field
    app.jinja_env.globals["KIND_LABELS"] = {k.value: v for k, v in KIND_LABELS.items()}
