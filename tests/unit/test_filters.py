"""The diff filter the revision comparison renders with (consult.web.filters.ops_html,
TEXT.md 4, ARCHITECTURE.md habit 5: escape each segment first, then wrap it), with hidden
words for screen readers at the edges of each change (consult.web.change_labels)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op, word_diff
from consult.web.change_labels import PLAIN, change_labels
from consult.web.filters import ops_html


def test_each_op_is_escaped_before_it_is_wrapped() -> None:
    ops: list[Op] = [
        (EQUAL, "a < b & "),
        (DELETE, '"alt"'),
        (INSERT, "<script>alert(1)</script>"),
        (EQUAL, " 'ok'"),
    ]
    html = ops_html(ops, labels=PLAIN)
    assert isinstance(html, Markup)
    assert html == (
        "a &lt; b &amp; <del>&#34;alt&#34;</del>"
        "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> &#39;ok&#39;"
    )


def test_a_fake_diff_in_the_text_stays_text() -> None:
    html = ops_html(word_diff("x", "<ins>gefälscht</ins>"))
    assert "<ins><span" in html and "<ins><ins>" not in html
    assert html.count("<ins>") == 1
    assert "&lt;ins&gt;gefälscht&lt;/ins&gt;" in html


def test_the_old_and_the_new_side() -> None:
    ops: list[Op] = [(EQUAL, "Die "), (DELETE, "alte"), (INSERT, "neue"), (EQUAL, " Fassung")]
    assert ops_html(ops, labels=PLAIN) == "Die <del>alte</del><ins>neue</ins> Fassung"
    assert ops_html(ops, "old", PLAIN) == "Die <del>alte</del> Fassung"
    assert ops_html(ops, "new", PLAIN) == "Die <ins>neue</ins> Fassung"


def test_screen_readers_hear_where_a_change_starts_and_ends() -> None:
    ops: list[Op] = [(EQUAL, "Die "), (DELETE, "alte"), (INSERT, "neue"), (EQUAL, " Fassung")]
    label = '<span class="visually-hidden change-label">{}</span>'
    assert ops_html(ops) == (
        "Die <del>"
        + label.format("gestrichen: ")
        + "alte"
        + label.format(" (Ende der Streichung)")
        + "</del><ins>"
        + label.format("eingefügt: ")
        + "neue"
        + label.format(" (Ende der Einfügung)")
        + "</ins> Fassung"
    )
    # In the reading view the labels are left out of the browser's offset count.
    proposed = change_labels(proposed=True, skip=True)
    assert proposed.ins("neu") == (
        '<ins><span class="visually-hidden change-label" data-skip="1">'
        "vorgeschlagene Einfügung: </span>neu"
        '<span class="visually-hidden change-label" data-skip="1"> (Ende der Einfügung)</span>'
        "</ins>"
    )


@given(st.text(max_size=60), st.text(max_size=60))
def test_without_the_markers_the_sides_are_the_escaped_texts(old: str, new: str) -> None:
    ops = word_diff(old, new)

    def unwrapped(html: str) -> str:
        for tag in ("<del>", "</del>", "<ins>", "</ins>"):
            html = html.replace(tag, "")
        return html

    assert unwrapped(ops_html(ops, "old", PLAIN)) == str(escape(old))
    assert unwrapped(ops_html(ops, "new", PLAIN)) == str(escape(new))
