"""Normalisation of every stored body (TEXT.md section 1)."""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAK = re.compile(r"\r\n?")
_TRAILING_BLANKS = re.compile(r"[ \t]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    """Return ``text`` in the stored body format.

    The result is NFC-normalised, has ``\\n`` line ends (``\\r\\n`` and lone ``\\r``
    are converted), no spaces or tabs at the end of a line, and no blank lines at
    its start or end (so it never ends with a line break). Other white space, such
    as indentation, NBSP or blank lines between paragraphs, is kept. Idempotent.

    Raises nothing.
    """
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAK.sub("\n", text)
    text = _TRAILING_BLANKS.sub("", text)
    return text.strip("\n")
