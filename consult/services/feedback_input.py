"""What a person types as feedback: plain text with its limits, and the text range it is
about (an anchor given by offsets and quote, or a phrase quoted by hand)."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _

from consult.domain import textrules
from consult.domain.anchoring import Anchor, make_anchor, validate_anchor
from consult.domain.errors import AnchorError
from consult.domain.textnorm import normalize_text
from consult.errors import Invalid
from consult.services.text_fields import checked

#: Longest comment, reply, reason or replacement (code points).
MAX_TEXT = 10_000


def clean_text(
    value: object, field: str, label: str, *, required: bool = True, allow_empty: bool = False
) -> str:
    """A comment, reply or reason (``allow_empty``: a replacement, kept as typed but for
    NFC and line ends), under the text rules (consult.domain.textrules). Raises Invalid."""
    rule = textrules.REPLACEMENT if allow_empty else textrules.COMMENT
    if not required:
        rule = replace(rule, required=False)
    return checked(value, rule, field, label)


def parse_anchor(body: str, anchor: object, *, insertion_allowed: bool) -> Anchor:
    """An anchor ``{start, end, quote}`` checked against the body. Raises Invalid (422)."""
    if not isinstance(anchor, dict):
        raise Invalid(
            _("„anchor“ muss ein Objekt mit start, end und quote sein (oder null)."),
            code="invalid_anchor",
        )
    start, end, quote = anchor.get("start"), anchor.get("end"), anchor.get("quote")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise Invalid(_("start und end müssen ganze Zahlen sein."), code="invalid_anchor")
    if not isinstance(quote, str):
        raise Invalid(_("quote muss Text sein."), code="invalid_anchor")
    assert isinstance(start, int) and isinstance(end, int)
    if start > end:
        message = _("start darf nicht hinter end liegen.")
        raise Invalid(
            message,
            code="invalid_anchor",
            fields={"anchor.start": message, "anchor.end": message},
        )
    if start < 0 or end > len(body):
        outside = {"start": start < 0, "end": end > len(body)}
        message = _(
            "Die Textstelle %(start)d–%(end)d liegt außerhalb des Abschnitts (%(length)d Zeichen).",
            start=start,
            end=end,
            length=len(body),
        )
        raise Invalid(
            message,
            code="anchor_out_of_range",
            fields={f"anchor.{name}": message for name, wrong in outside.items() if wrong},
        )
    if start == end and not insertion_allowed:
        raise Invalid(
            _(
                "Ein Kommentar braucht eine markierte Textstelle (start < end) oder "
                "anchor: null für den ganzen Abschnitt."
            ),
            code="invalid_anchor",
        )
    try:
        return validate_anchor(body, start, end, quote)
    except AnchorError:
        raise Invalid(
            _(
                "Das Zitat stimmt nicht mit dem Text an dieser Stelle überein. Wurde der "
                "Text inzwischen geändert? Bitte laden Sie die Seite neu."
            ),
            code="quote_mismatch",
        ) from None


def anchor_from_quote(body: str, quote: str) -> Anchor:
    """The anchor of a quoted phrase typed by hand (forms without JavaScript).

    Raises Invalid when the phrase is not in the section or occurs more than once.
    """
    phrase = normalize_text(quote).strip()
    if not phrase:
        raise Invalid(_("Das Zitat ist leer."), code="invalid_quote", fields={"quote": _("Leer.")})
    first = body.find(phrase)
    if first < 0:
        raise Invalid(
            _("Diese Textstelle steht nicht im Abschnitt. Bitte kopieren Sie sie genau."),
            code="quote_not_found",
            fields={"quote": _("Nicht im Abschnitt gefunden.")},
        )
    if body.find(phrase, first + 1) >= 0:
        raise Invalid(
            _("Diese Textstelle kommt mehrfach vor. Bitte zitieren Sie etwas mehr Text."),
            code="quote_ambiguous",
            fields={"quote": _("Kommt mehrfach vor.")},
        )
    return make_anchor(body, first, first + len(phrase))
