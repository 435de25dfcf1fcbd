"""Short plain-text fields of forms and API bodies (names, titles, descriptions, reasons)."""

from __future__ import annotations

from flask_babel import gettext as _

from consult.domain.textnorm import normalize_text
from consult.errors import Invalid


def clean_field(value: object, field: str, label: str, limit: int, *, required: bool = True) -> str:
    """The text, NFC, at most ``limit`` code points; "" for None when not ``required``.
    Raises Invalid (missing, blank when required, too long), naming ``field``."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(
            _("%(label)s fehlt.", label=label),
            code=f"invalid_{field}",
            fields={field: _("Bitte angeben.")},
        )
    text = normalize_text(value)
    if len(text) > limit:
        raise Invalid(
            _("%(label)s ist zu lang (höchstens %(limit)d Zeichen).", label=label, limit=limit),
            code=f"invalid_{field}",
            fields={field: _("Höchstens %(limit)d Zeichen.", limit=limit)},
        )
    return text
