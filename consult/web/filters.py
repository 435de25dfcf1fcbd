"""Template filters and globals: dates in Europe/Berlin, organisation kinds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_datetime

BERLIN = ZoneInfo("Europe/Berlin")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A timestamp in the Europe/Berlin time zone and the interface language."""
    if value is None:
        return "–"
    return str(format_datetime(value, fmt))


def init_app(app: Flask) -> None:
    from consult.web.forms import KIND_LABELS

    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.globals["KIND_LABELS"] = {k.value: v for k, v in KIND_LABELS.items()}
