"""The only module that imports bleach (TEXT.md 6): plain text in, safe HTML out.

User text is stored as plain text. For display it is escaped completely, then
``http``, ``https`` and ``mailto`` links are made clickable with
``rel="nofollow noopener noreferrer"``, and line breaks become ``<br>``. No other
markup is ever produced: no ``img``, ``style``, ``class``, ``ins`` or ``del`` (a
comment must not be able to fake a diff). A switch to nh3 would change only this file.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urlsplit

from bleach.linkifier import Linker, build_url_re
from markupsafe import Markup

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
REL = "nofollow noopener noreferrer"

_HREF = (None, "href")
_REL = (None, "rel")
_TARGET = (None, "target")


def _safe_link(
    attrs: dict[tuple[str | None, str], str], new: bool = False
) -> dict[tuple[str | None, str], str] | None:
    href = attrs.get(_HREF, "")
    scheme = urlsplit(href).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return None  # leave the text as plain text
    attrs[_REL] = REL
    attrs.pop(_TARGET, None)
    return attrs


_LINKER = Linker(
    callbacks=[_safe_link],  # type: ignore[list-item]  # bleach accepts None: "no link"
    parse_email=True,
    url_re=build_url_re(protocols=["http", "https"]),
    recognized_tags=frozenset(),
)


#: A link or an e-mail address needs a dot between word characters (example.org) or
#: an "@"; text without either is never linkified, so it skips the HTML parser.
_MAYBE_LINK = re.compile(r"[\w-]\.\w|@")


@functools.lru_cache(maxsize=16384)
def render_plain_text(text: str) -> Markup:
    """Escaped text with clickable links and ``<br>`` line breaks, safe to embed.

    Every ``&`` and ``<`` is escaped first, so that what readers see is exactly what
    was typed: an entity such as ``&lt;`` or an HTML comment stays visible text
    (``bleach.clean`` would decode the one and drop the other). Only the links
    added by the linkifier are markup.
    """
    escaped = html.escape(text, quote=False)
    if _MAYBE_LINK.search(text):
        escaped = _LINKER.linkify(escaped)
    return Markup(escaped.replace("\n", "<br>\n"))  # noqa: S704 - escaped and linkified above
