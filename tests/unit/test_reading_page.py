"""Putting a reader's own parts into a kept reading-view part (consult.web.reading_page)."""

from __future__ import annotations

from consult.web.reading_page import _CSRF_SLOT, FeedbackPart, ReaderPart


def test_own_buttons_and_the_hidden_form_fields_go_into_their_places() -> None:
    slot = _CSRF_SLOT
    # Three threads; the buttons of 1 and 3 hold a form (a CSRF slot), those of 2 none.
    shared = FeedbackPart(
        toc=b"",
        document=(
            b"<t1>",
            b"[resolve ",
            slot,
            b"]",
            b"</t1><t2>",
            b"[reply]",
            b"</t2><t3>",
            b"[resolve ",
            slot,
            b"]",
            b"</t3>",
            slot,
        ),
        actions_at={1: (1, 4), 2: (5, 6), 3: (7, 10)},
        total=3,
        shown=3,
        organisations=(),
    )
    token = b"TOKEN"

    def page(own: dict[int, bytes]) -> bytes:
        return b"".join(ReaderPart(shared, own_actions=own, form_fields=token).document())

    expected_shared = b"<t1>[resolve TOKEN]</t1><t2>[reply]</t2><t3>[resolve TOKEN]</t3>TOKEN"
    assert page({}) == expected_shared
    own = {1: b"[mine " + slot + b"]", 3: b"[mine too " + slot + b" " + slot + b"]", 9: b"x"}
    assert page(own) == (
        b"<t1>[mine TOKEN]</t1><t2>[reply]</t2><t3>[mine too TOKEN TOKEN]</t3>TOKEN"
    )
    assert page({2: b"[own reply]"}) == (
        b"<t1>[resolve TOKEN]</t1><t2>[own reply]</t2><t3>[resolve TOKEN]</t3>TOKEN"
    )
    assert page({}) == expected_shared  # the shared part is left as it was
