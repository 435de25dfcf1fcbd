"""The English catalog: complete, reviewed and in step with the source strings.

The source strings (German) are extracted into ``consult/translations/messages.pot`` and
merged into ``consult/translations/en/LC_MESSAGES/messages.po`` by ``make
translations-update``; a translator then fills in every new or changed (fuzzy) entry.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import consult

TRANSLATIONS = Path(consult.__file__).parent / "translations"
ROOT = TRANSLATIONS.parent.parent
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
BABEL_CFG = TRANSLATIONS / "babel.cfg"
#: The keywords the Makefile passes to ``pybabel extract`` (-k _l -k lazy_gettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

#: printf-style conversions as Python's ``%`` operator reads them: %(name)s, %s, %d, %%.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")

HINT = "run `make translations-update` and translate the new entries in " + str(
    PO.relative_to(ROOT)
)


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="en" if path.suffix == ".po" else None)


@pytest.fixture(scope="module")
def po() -> Catalog:
    return _read(PO)


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return _read(POT)


def _entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _msgid(message: Message) -> str:
    return _strings(message.id)[0]


def test_catalogs_are_not_empty(po: Catalog, pot: Catalog) -> None:
    assert len(_entries(pot)) > 100
    assert len(_entries(po)) >= len(_entries(pot))
    assert str(po.locale) == "en"
    assert not po.fuzzy, "the header of the English catalog is still marked fuzzy"


def test_every_entry_is_translated_and_reviewed(po: Catalog) -> None:
    untranslated = [
        _msgid(m) for m in _entries(po) if not all(s.strip() for s in _strings(m.string))
    ]
    fuzzy = [_msgid(m) for m in _entries(po) if m.fuzzy]
    assert not untranslated, f"untranslated entries ({HINT}): {untranslated}"
    assert not fuzzy, f"fuzzy entries, review them and drop the fuzzy flag: {fuzzy}"


def test_every_source_string_of_the_template_is_in_the_catalog(po: Catalog, pot: Catalog) -> None:
    translated = {m.id for m in _entries(po)}
    missing = [_msgid(m) for m in _entries(pot) if m.id not in translated]
    assert not missing, f"in messages.pot but not in the English catalog ({HINT}): {missing}"


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def test_placeholders_match(po: Catalog) -> None:
    """Every %(name)s of the German string, and no other %, is in the English one.

    Templates format every translation with ``%`` (Jinja's new-style gettext), so a stray
    or missing placeholder breaks the page or loses a value.
    """
    wrong = []
    for message in _entries(po):
        source = _strings(message.id)
        expected = _placeholders(source[-1])
        for translation in _strings(message.string):
            found = _placeholders(translation)
            # a plural form may leave out the number ("one comment")
            same = found == expected if len(source) == 1 else found <= expected
            if not same or "%" in PLACEHOLDER.sub("", translation):
                wrong.append((source[0], translation))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_template_is_in_step_with_the_sources(pot: Catalog) -> None:
    """Every string marked in consult/ and templates/ is in messages.pot (and so translated)."""
    with BABEL_CFG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    marked = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    }
    assert len(marked) > 100, "the extraction found (almost) nothing: check babel.cfg"
    in_template = {_msgid(m) for m in _entries(pot)}
    new = sorted(marked - in_template)
    assert not new, f"marked strings missing from messages.pot ({HINT}): {new}"
