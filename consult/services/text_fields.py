"""Text fields as the services check them: the one table of rules (domain.textrules).

The API's request models and the web forms apply the same rules at the boundary; the
services apply them again for every other caller (the CLI, the demo, scripts), and a
text that passed comes through unchanged.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from consult.domain.textrules import TextRule, TextRuleError, check_text
from consult.errors import Invalid


def _values(params: dict[str, Any]) -> dict[str, Any]:
    return {k: format_decimal(v) if isinstance(v, int) else v for k, v in params.items()}


def checked(
    value: object,
    rule: TextRule,
    field: str,
    label: str,
    *,
    code: str | None = None,
    codes: dict[str, str] | None = None,
) -> str:
    """``value`` as stored under ``rule``; "" for None when the rule allows it empty.

    Raises Invalid naming ``field`` (code ``code``, else ``invalid_<field>``; ``codes``
    overrides it per reason, e.g. ``{"too_long": "body_too_long"}``).
    """
    error_code = code or f"invalid_{field}"
    if value is None and not rule.required:
        return ""
    if not isinstance(value, str):
        raise Invalid(
            _("%(label)s fehlt oder ist kein Text.", label=label),
            code=error_code,
            fields={field: _("Bitte angeben.")},
        )
    try:
        return check_text(value, rule)
    except TextRuleError as exc:
        values = _values(exc.params)
        raise Invalid(
            _(exc.labelled, label=label, **values),
            code=(codes or {}).get(exc.reason, error_code),
            fields={field: _(exc.template, **values)},
        ) from None
