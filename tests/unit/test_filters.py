"""The diff filter the revision comparison renders with (consult.web.filters.ops_html,
TEXT.md 4, ARCHITECTURE.md habit 5: escape each segment first, then wrap it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op, word_diff
from consult.web.filters import ops_html


def test_each_op_is_escaped_before_it_is_wrapped() -> None:
    ops: list[Op] = [
        (EQUAL, "a < b & "),
        (DELETE, '"alt"'),
        (INSERT, "<script>alert(1)</script>"),
        (EQUAL, " 'ok'"),
    ]
    html = ops_html(ops)
    assert isinstance(html, Markup)
    assert html == (
        "a &lt; b &amp; <del>&#34;alt&#34;</del>"
        "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> &#39;ok&#39;"
    )


def test_a_fake_diff_in_the_text_stays_text() -> None:
    html = ops_html(word_diff("x", "<ins>gefälscht</ins>"))
    assert "<ins><ins>" not in html
    assert html.count("<ins>") == 1
    assert "&lt;ins&gt;gefälscht&lt;/ins&gt;" in html


def test_the_old_and_the_new_side() -> None:
    ops: list[Op] = [(EQUAL, "Die "), (DELETE, "alte"), (INSERT, "neue"), (EQUAL, " Fassung")]
    assert ops_html(ops) == "Die <del>alte</del><ins>neue</ins> Fassung"
    assert ops_html(ops, "old") == "Die <del>alte</del> Fassung"
    assert ops_html(ops, "new") == "Die <ins>neue</ins> Fassung"


@given(st.text(max_size=60), st.text(max_size=60))
def test_without_the_markers_the_sides_are_the_escaped_texts(old: str, new: str) -> None:
    ops = word_diff(old, new)

    def unwrapped(html: str) -> str:
        for tag in ("<del>", "</del>", "<ins>", "</ins>"):
            html = html.replace(tag, "")
        return html

    assert unwrapped(ops_html(ops, "old")) == str(escape(old))
    assert unwrapped(ops_html(ops, "new")) == str(escape(new))
