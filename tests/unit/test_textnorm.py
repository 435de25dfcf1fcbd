"""The stored body format (consult.domain.textnorm, TEXT.md section 1)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain.textnorm import normalize_text


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", ""),
        ("   \n\t\n  ", ""),
        ("Hallo", "Hallo"),
        ("Zeile 1\r\nZeile 2\r\n", "Zeile 1\nZeile 2"),
        ("alter Mac\rZeilenende", "alter Mac\nZeilenende"),
        ("gemischt\r\n\r\nAbsatz\rEnde", "gemischt\n\nAbsatz\nEnde"),
        (
            "Leerzeichen am Ende   \nTab am Ende\t\nbeides \t \n",
            "Leerzeichen am Ende\nTab am Ende\nbeides",
        ),
        ("\n\n  \nText\n\n\n", "Text"),
        ("Absatz eins.\n\nAbsatz zwei.", "Absatz eins.\n\nAbsatz zwei."),
        ("Drei\n\n\nLeerzeilen bleiben", "Drei\n\n\nLeerzeilen bleiben"),
        ("  eingerückt bleibt", "  eingerückt bleibt"),
        ("- Punkt\n1. Punkt", "- Punkt\n1. Punkt"),
        ("Cafe\u0301", "Café"),
        ("A\u030a ngström", "Å ngström"),
        ("geschütztes\u00a0Leerzeichen\u00a0", "geschütztes\u00a0Leerzeichen\u00a0"),
        ("„Anführungszeichen“ und ‚halbe‘", "„Anführungszeichen“ und ‚halbe‘"),
        ("مرحبا بالعالم  \r\n", "مرحبا بالعالم"),
        ("Emoji 👍🏽 \n", "Emoji 👍🏽"),
    ],
)
def test_normalize_text_examples(raw: str, stored: str) -> None:
    assert normalize_text(raw) == stored


def test_nfc_makes_precomposed_and_decomposed_input_equal() -> None:
    assert normalize_text("Gru\u0308n") == normalize_text("Grün") == "Grün"
    assert len(normalize_text("e\u0301")) == 1


def test_combining_mark_without_precomposed_form_is_kept() -> None:
    assert normalize_text("q\u0301") == "q\u0301"


_messy = st.text(
    alphabet=st.sampled_from(list("ab ü\t\r\n\u00a0.e\u0301\u0308ßA\u030a👍")),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_messy)
def test_normalized_text_has_the_stored_format(raw: str) -> None:
    body = normalize_text(raw)
    assert "\r" not in body
    assert unicodedata.is_normalized("NFC", body)
    assert not body.startswith("\n")
    assert not body.endswith("\n")
    for line in body.split("\n"):
        assert line == line.rstrip(" \t")


@settings(max_examples=300, deadline=None)
@given(_messy)
def test_normalize_text_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc xyzäöü.", min_size=1, max_size=20), max_size=5))
def test_line_ends_do_not_change_the_visible_text(lines: list[str]) -> None:
    unix = normalize_text("\n".join(lines))
    assert normalize_text("\r\n".join(lines)) == unix
    assert normalize_text("\r".join(lines)) == unix
