"""User text to safe HTML (consult.sanitize.render_plain_text, TEXT.md 6).

A corpus of hostile inputs pins the behaviour, so that a switch from bleach to nh3
stays a one-file change: the output contains no element but <a> (http, https and
mailto only, with rel="nofollow noopener noreferrer") and <br>, and what a reader
sees is exactly the text that was typed.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from consult.sanitize import REL, render_plain_text

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<body onload="alert(1)">',
    '<a href="javascript:alert(1)">klick</a>',
    '<a href="JaVaScRiPt:alert(1)">klick</a>',
    '<a href="java&#x09;script:alert(1)">klick</a>',
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "vbscript:msgbox(1)",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">Overlay</p>',
    '<span class="sg-ins">eingefügt</span>',
    "<ins>nur ein Vorschlag</ins> <del>gestrichen</del>",
    '<ins class="sg-ins" data-skip="1">gefälschter Vorschlag</ins>',
    '<mark class="fb-mark" data-fb="1">gefälschte Markierung</mark>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name="pw"></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<!-- versteckter Kommentar --> sichtbar",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "&amp;lt;b&amp;gt;",
    "&notin; &copy; &nbsp; &",
    "Tom & Jerry < Sylvester > Tweety",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "https://example.org/\"onmouseover='alert(1)'",
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/<img src=x onerror=alert(1)>",
    "https://example.org/?q=<script>",
    "https://exa&#109;ple.org/",
    "mailto:someone@example.org?subject=<script>",
    "«„‚Zitat im ‚Zitat‘ im Zitat‘“» mit \"geraden\" und 'einfachen' Anführungszeichen",
    "\"'\"'\"'<\"'>",
    "Zeile 1\nZeile 2\n\nAbsatz <b>fett</b>",
    "<br><br/><br />",
    "<a href=https://example.org onclick=alert(1)>x</a>",
    "<a href='https://example.org' target=_blank>x</a>",
    "\u202eRTL override <script>",
    "مرحبا <b>بكم</b> 👋🏽",
]


def parse(html: Markup | str) -> lxml.html.HtmlElement:
    """The rendered text inside a <div>, as a browser would parse it."""
    return lxml.html.fragment_fromstring(f"<div>{html}</div>")


def visible_text(html: Markup) -> str:
    """What a reader sees: the text content, with each <br> as a line break."""
    root = parse(str(html).replace("<br>\n", "\n"))
    assert root.find(".//br") is None
    return str(root.text_content())


def assert_only_links_and_breaks(html: Markup) -> None:
    root = parse(html)
    for element in root.iterdescendants():
        assert element.tag in ("a", "br"), (element.tag, str(html))
        if element.tag == "br":
            assert not element.attrib
            continue
        assert set(element.attrib) == {"href", "rel"}, element.attrib
        assert element.get("rel") == REL
        assert re.match(r"(https?://|mailto:)", element.get("href", ""), re.I), element.attrib
    # The raw markup, too: every "<" opens an <a>, </a> or <br>.
    for match in re.finditer(r"<", str(html)):
        rest = str(html)[match.start() :]
        assert re.match(r'<(a href="|/a>|br>)', rest), rest[:60]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_yields_only_text_links_and_line_breaks(text: str) -> None:
    html = render_plain_text(text)
    assert isinstance(html, Markup)
    assert_only_links_and_breaks(html)
    assert visible_text(html) == text
    for link in parse(html).iterfind(".//a"):
        href = link.get("href", "").strip().lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), href


def test_script_tags_are_escaped_not_dropped() -> None:
    html = str(render_plain_text("vorher <script>alert(1)</script> nachher"))
    assert html == "vorher &lt;script&gt;alert(1)&lt;/script&gt; nachher"


def test_a_comment_cannot_fake_a_diff_or_a_highlight() -> None:
    for text in (
        '<ins class="sg-ins" data-skip="1">neu</ins>',
        "<del>alt</del>",
        '<mark class="fb-mark">x</mark>',
    ):
        root = parse(render_plain_text(text))
        assert root.find(".//ins") is None and root.find(".//del") is None
        assert root.find(".//mark") is None and root.find(".//*[@class]") is None


def test_entities_typed_by_the_user_are_shown_as_typed() -> None:
    # "&lt;" typed into a comment is four characters, not "<".
    html = render_plain_text("&lt;b&gt; &#60; &amp; &notin;")
    assert visible_text(html) == "&lt;b&gt; &#60; &amp; &notin;"
    assert "&amp;lt;b&amp;gt;" in str(html)


def test_html_comments_and_cdata_are_kept_as_text() -> None:
    text = "a <!-- b --> c <![CDATA[d]]> e"
    assert visible_text(render_plain_text(text)) == text


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("siehe https://example.org/pfad?a=1&b=2.", "https://example.org/pfad?a=1&b=2"),
        ("http://example.org", "http://example.org"),
        ("www.kreis-siegtal.de/integration", "http://www.kreis-siegtal.de/integration"),
        ("Mail an info@kreis-siegtal.de bitte", "mailto:info@kreis-siegtal.de"),
    ],
)
def test_http_https_and_mail_addresses_become_safe_links(text: str, href: str) -> None:
    html = render_plain_text(text)
    assert_only_links_and_breaks(html)
    [link] = parse(html).findall(".//a")
    assert link.get("href") == href
    assert link.get("rel") == "nofollow noopener noreferrer"
    assert link.get("target") is None
    assert visible_text(html) == text


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,hallo",
        "file:///etc/passwd",
        "ftp-loses Wort ohne Adresse",
    ],
)
def test_other_schemes_are_never_linked(text: str) -> None:
    root = parse(render_plain_text(text))
    assert root.find(".//a") is None


def test_a_quote_cannot_break_out_of_a_link() -> None:
    html = render_plain_text('https://example.org/"onmouseover="alert(1)')
    assert_only_links_and_breaks(html)
    [link] = parse(html).findall(".//a")
    assert set(link.attrib) == {"href", "rel"}


def test_line_breaks_become_br() -> None:
    html = render_plain_text("eins\nzwei\n\ndrei")
    assert str(html) == "eins<br>\nzwei<br>\n<br>\ndrei"
    assert_only_links_and_breaks(html)


def test_plain_text_is_unchanged() -> None:
    text = "Integrationskonzept „2027“ – 👋🏽 مرحبا"
    assert str(render_plain_text(text)) == text


_TOKENS = st.one_of(
    st.sampled_from(
        [*"<>&\"'=/:;#!-[] \nabcxyz.@", "javascript:", "https://", "www.", "&lt;", "<a href="]
    ),
    st.characters(blacklist_categories=("Cs", "Cc")),
)
_TEXT = st.lists(_TOKENS, max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_property_any_text_is_shown_exactly_and_safely(text: str) -> None:
    html = render_plain_text(text)
    assert_only_links_and_breaks(html)
    assert visible_text(html) == text
