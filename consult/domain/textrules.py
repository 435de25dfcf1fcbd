"""The one table of rules for text that comes in: API bodies, web forms, the CLI.

Every text is checked and brought into its stored form here, whoever sends it:

- **Never stored**: lone UTF-16 surrogates (``"x\\ud800"`` is valid JSON, but no valid
  text: it could not even be written as UTF-8) and the noncharacters U+FFFE/U+FFFF;
  control characters other than tab and line breaks (NUL, backspace, escape, C1).
- **NFC** and ``\\n`` line ends for all text (TEXT.md 1); bodies also lose trailing
  blanks on lines and blank lines at their start and end (:func:`normalize_text`).
- **Names and titles** are one line: white space runs become one space, and invisible
  characters (zero-width spaces and joiners, bidirectional controls, soft hyphen, word
  joiner, byte order mark) are refused: "Caritas\\u200b Probe" would pass as another
  name than "Caritas Probe", and a right-to-left override fakes a label. In bodies they
  are kept where they belong (a zero-width joiner inside an emoji or a Persian word, a
  right-to-left mark beside Arabic).
- **Lengths** in code points, after normalisation.

Plain Python (no Flask): a refusal is a :class:`TextRuleError` with a German template
(marked with N_) that the boundary translates and attaches to the field it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from consult.domain.errors import N_, MessageError
from consult.domain.textnorm import normalize_text


class Shape(StrEnum):
    """How a text is laid out."""

    #: A name or title: one line, invisible characters refused.
    LINE = "line"
    #: A body: lines and paragraphs, normalised (TEXT.md 1).
    TEXT = "text"
    #: A body whose edges matter (a suggestion's replacement " und Familie"): NFC and
    #: line ends only.
    EXACT = "exact"
    #: A password: kept as typed; only what no text may hold is refused.
    VERBATIM = "verbatim"


@dataclass(frozen=True, slots=True)
class TextRule:
    """How one kind of field is checked: its shape, its longest length (code points, as
    stored) and whether it may be empty."""

    shape: Shape
    max_length: int
    required: bool = True


#: Every kind of text field there is.
NAME: Final = TextRule(Shape.LINE, 200)
TOKEN_NAME: Final = TextRule(Shape.LINE, 100)
TITLE: Final = TextRule(Shape.LINE, 300)
SECTION_KEY: Final = TextRule(Shape.LINE, 32, required=False)
EMAIL: Final = TextRule(Shape.LINE, 254)
PASSWORD: Final = TextRule(Shape.VERBATIM, 256)
DESCRIPTION: Final = TextRule(Shape.TEXT, 20_000, required=False)
GROUP_DESCRIPTION: Final = TextRule(Shape.TEXT, 5_000, required=False)
ROUND_DESCRIPTION: Final = TextRule(Shape.TEXT, 10_000, required=False)
NOTE: Final = TextRule(Shape.TEXT, 2_000, required=False)
REASON: Final = TextRule(Shape.TEXT, 2_000)
COMMENT: Final = TextRule(Shape.TEXT, 10_000)
#: The editors' response to a piece of feedback (required for most decisions: the
#: service says which).
RESPONSE: Final = TextRule(Shape.TEXT, 10_000, required=False)
REPLACEMENT: Final = TextRule(Shape.EXACT, 10_000, required=False)
#: A quote typed by hand into the no-JavaScript form (found in the body as typed).
QUOTE: Final = TextRule(Shape.EXACT, 10_000, required=False)
SECTION_BODY: Final = TextRule(Shape.TEXT, 1_000_000, required=False)
#: A municipality's statement (whether it may be empty depends on the position: the
#: service says which).
STATEMENT_BODY: Final = TextRule(Shape.TEXT, 50_000, required=False)
#: A signatory's function ("Bürgermeisterin", "stellv. Bürgermeister").
FUNCTION: Final = TextRule(Shape.LINE, 200, required=False)
#: The administration's receipt number (Eingangsnummer) of a statement on paper.
RECEIPT_NUMBER: Final = TextRule(Shape.LINE, 64, required=False)
MARKDOWN: Final = TextRule(Shape.TEXT, 2_000_000)
#: The editors' own text of a round's procedure report (Verfahrensbericht).
REPORT: Final = TextRule(Shape.TEXT, 200_000)

# Lone surrogates and the two noncharacters every plane ends with (here: the first).
_BROKEN = re.compile("[\ud800-\udfff\ufffe\uffff]")
# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible format characters: soft hyphen, Arabic letter mark, Mongolian vowel
# separator, zero-width space/non-joiner/joiner, left-to-right and right-to-left marks,
# bidirectional embeddings, overrides and isolates, word joiner and invisible operators,
# deprecated format controls, byte order mark, interlinear annotation.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# Line and paragraph separators: line breaks in a body.
_SEPARATORS = re.compile("[\u2028\u2029]")


class TextRuleError(MessageError, ValueError):
    """A text the rules refuse. ``reason`` is a stable code: ``invalid_character``,
    ``control_character``, ``invisible_character``, ``empty`` or ``too_long``.

    ``template`` is a sentence shown at the field ("Zu lang: …"); ``labelled`` says the
    same of a named field ("%(label)s ist zu lang: …"), for a message on its own.
    """

    def __init__(self, reason: str, template: str, labelled: str, **params: object) -> None:
        self.reason = reason
        self.labelled = labelled
        super().__init__(template, **params)


def _describe(character: str) -> str:
    """A character as a person can look it up: U+200B ZERO WIDTH SPACE."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" {name}" if name else "")


def check_text(value: str, rule: TextRule) -> str:
    """``value`` in its stored form under ``rule``; raises TextRuleError.

    Idempotent: a text that passed comes back unchanged.
    """
    broken = _BROKEN.search(value)
    if broken is not None:
        raise TextRuleError(
            "invalid_character",
            N_("Enthält ein ungültiges Zeichen (%(character)s)."),
            N_("%(label)s enthält ein ungültiges Zeichen (%(character)s)."),
            character=f"U+{ord(broken.group()):04X}",
        )
    if rule.shape is Shape.VERBATIM:
        text = value
    else:
        text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    control = _CONTROL.search(text)
    if control is not None:
        raise TextRuleError(
            "control_character",
            N_("Enthält ein Steuerzeichen (%(character)s), das in Texten nicht erlaubt ist."),
            N_(
                "%(label)s enthält ein Steuerzeichen (%(character)s), das in Texten nicht "
                "erlaubt ist."
            ),
            character=_describe(control.group()),
        )
    if rule.shape is Shape.LINE:
        invisible = _INVISIBLE.search(text)
        if invisible is not None:
            raise TextRuleError(
                "invisible_character",
                N_(
                    "Enthält ein unsichtbares Zeichen (%(character)s). Bitte ohne dieses "
                    "Zeichen eingeben."
                ),
                N_(
                    "%(label)s enthält ein unsichtbares Zeichen (%(character)s). Bitte ohne "
                    "dieses Zeichen eingeben."
                ),
                character=_describe(invisible.group()),
            )
        text = " ".join(text.split())
    elif rule.shape is Shape.TEXT:
        text = normalize_text(_SEPARATORS.sub("\n", text))
    elif rule.shape is Shape.EXACT:
        text = _SEPARATORS.sub("\n", text)
    if rule.required and not text.strip():
        raise TextRuleError("empty", N_("Bitte ausfüllen."), N_("%(label)s ist leer."))
    if len(text) > rule.max_length:
        raise TextRuleError(
            "too_long",
            N_("Zu lang: %(length)s Zeichen, höchstens %(limit)s."),
            N_("%(label)s ist zu lang (%(length)s Zeichen, höchstens %(limit)s)."),
            length=len(text),
            limit=rule.max_length,
        )
    return text
