"""Full-text search in German: words, stems, the query, and snippets with the hits marked.

Both databases search the same way (services.search_index, services.search):

- PostgreSQL stems with its own ``german`` configuration (``to_tsvector``), SQLite's FTS5
  has no German stemmer, so the text it indexes is stemmed here (:func:`stemmed`) with
  the Snowball German stemmer, the algorithm PostgreSQL's ``german`` uses too.
- A query is a list of words that must all occur (:func:`parse_query`); each is compared
  by its stem, and as a prefix of the stems in the text (:class:`Term`): "fördern" is
  ``ford`` and "Förderung" ``forder``, and German compounds begin with their first word
  ("Schule" finds "Schulsozialarbeit"). Words that say nothing ("und", "der") are left
  out, as PostgreSQL's stop list does.
- Snippets are made here from the original text, on both databases alike: escaped HTML
  with each word that matches wrapped in ``<mark>`` (:func:`snippet`).

Plain Python: no database, no Flask.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

import snowballstemmer  # type: ignore[import-untyped]

#: A query shorter than this (in characters, without blanks) is not searched.
MIN_QUERY_CHARS = 2
#: A longer query is refused (the API: 422).
MAX_QUERY_CHARS = 200
#: At most this many words of a query count.
MAX_TERMS = 12
#: A stem this long or longer also matches the stems it begins ("schul" -> "schulsozial...").
PREFIX_FROM = 3

#: Words: runs of letters and digits (an underscore separates, as in PostgreSQL's parser).
_WORD = re.compile(r"[^\W_]+")

#: The Snowball stop list for German (PostgreSQL's ``german.stop``): not searched for.
STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der den
    des dem die das daß derselbe derselben denselben desselben demselben dieselbe dieselben
    dasselbe dazu dein deine deinem deinen deiner deines denn derer dessen dich dir du dies
    diese diesem diesen dieser dieses doch dort durch ein eine einem einen einer eines einig
    einige einigem einigen einiger einiges einmal er ihn ihm es etwas euer eure eurem euren
    eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich mich
    mir ihr ihre ihrem ihren ihrer ihres euch im in indem ins ist jede jedem jeden jeder
    jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines
    können könnte machen man manche manchem manchen mancher manches mein meine meinem meinen
    meiner meines mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein
    seine seinem seinen seiner seines selbst sich sie ihnen sind so solche solchem solchen
    solcher solches soll sollte sondern sonst über um und uns unse unsem unsen unser unses
    unter viel vom von vor während war waren warst was weg weil weiter welche welchem
    welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen
    wollte würde würden zu zum zur zwar zwischen
    """.split()  # noqa: SIM905 - the list as PostgreSQL's file has it
)

_stemmer = snowballstemmer.stemmer("german")


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball German stem of one word, lower-cased ("Förderung" -> "forder")."""
    found: str = _stemmer.stemWord(word.lower())
    return found


def words(text: str) -> list[re.Match[str]]:
    """The words of a text, as matches (their spans address the text)."""
    return list(_WORD.finditer(text))


def stemmed(text: str) -> str:
    """The text as SQLite's index keeps it: the stems of its words, separated by blanks."""
    return " ".join(stem(m.group()) for m in _WORD.finditer(text))


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a query: as typed (lower-cased), its stem, and whether longer stems that
    begin with it match too."""

    word: str
    stem: str
    prefix: bool

    def matches(self, other_stem: str) -> bool:
        """Whether a word of the text with this stem is a hit."""
        return other_stem.startswith(self.stem) if self.prefix else other_stem == self.stem


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every term must occur (in the title or the text)."""

    text: str
    terms: tuple[Term, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms


class QueryError(ValueError):
    """A query that cannot be searched; ``reason`` is ``too_long``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_query(text: str) -> Query:
    """The terms of a query: its words without stop words (unless it has nothing else),
    each once, at most MAX_TERMS. An empty or too-short query has no terms. Raises
    QueryError("too_long") above MAX_QUERY_CHARS."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("too_long")
    found = [m.group().lower() for m in _WORD.finditer(text)]
    if sum(len(w) for w in found) < MIN_QUERY_CHARS:
        return Query(text, ())
    meaningful = [w for w in found if w not in STOP_WORDS] or found
    terms: list[Term] = []
    seen: set[str] = set()
    for word in meaningful:
        word_stem = stem(word)
        if not word_stem or word_stem in seen:
            continue
        seen.add(word_stem)
        terms.append(Term(word, word_stem, len(word_stem) >= PREFIX_FROM))
        if len(terms) == MAX_TERMS:
            break
    return Query(text, tuple(terms))


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH expression of a query over the stemmed text: every stem, as a
    prefix where the term says so (``"schul"* AND "ford"*``)."""
    parts = []
    for term in query.terms:
        quoted = '"' + term.stem.replace('"', '""') + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(parts)


def tsquery(query: Query) -> str:
    """The ``to_tsquery('german', ...)`` text of a query: PostgreSQL stems each word
    itself (``fördern:* & schule:*``). The words are letters and digits only, so nothing
    in them is tsquery syntax."""
    return " & ".join(f"{t.word}:*" if t.prefix else t.word for t in query.terms)


def hits(text: str, query: Query) -> list[tuple[int, int]]:
    """The spans of the words of ``text`` that a term of the query matches."""
    if query.is_empty:
        return []
    found = []
    for match in _WORD.finditer(text):
        word_stem = stem(match.group())
        if any(term.matches(word_stem) for term in query.terms):
            found.append(match.span())
    return found


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start], quote=False))
        out.append("<mark>" + html.escape(text[start:end], quote=False) + "</mark>")
        at = end
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def highlight(text: str, query: Query) -> str:
    """The whole (one-line) text, escaped, with the hits in ``<mark>`` (for titles)."""
    flat = " ".join(text.split())
    return _marked(flat, hits(flat, query))


def snippet(text: str, query: Query, *, width: int = 240) -> str:
    """About ``width`` characters of the text around its first hit (or its beginning),
    on one line, escaped, with the hits in ``<mark>`` and "…" where text was cut."""
    flat = " ".join(text.split())
    spans = hits(flat, query)
    if len(flat) <= width:
        return _marked(flat, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start > 0:  # begin at a word
        blank = flat.rfind(" ", 0, start)
        start = blank + 1 if blank >= 0 and start - blank < 30 else start
    end = min(len(flat), start + width)
    if end < len(flat):  # end at a word
        blank = flat.rfind(" ", start + width // 2, end)
        end = blank if blank > 0 else end
    inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    body = _marked(flat[start:end], inside)
    return ("…" if start > 0 else "") + body + ("…" if end < len(flat) else "")


def feedback_text(body: str, replacement: str | None) -> str:
    """What is searched of a comment (its text) or a suggestion (its reason and the text
    it proposes)."""
    return body if not replacement else f"{body}\n{replacement}"


def statement_text(body: str, remarks: list[str]) -> str:
    """What is searched of a statement version: its text and its section remarks."""
    return "\n".join([body, *remarks])
