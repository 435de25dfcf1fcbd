"""Why did this change? The markup that ties each change of a diff to its causes.

Each ``<ins>``/``<del>`` of a change with known causes names them in
``aria-describedby``, and after the change a footnote-like reference
(``<sup class="why-ref">``) links to each cause in the list under the section
(templates/revisions/_why.html), so it works without JavaScript; static/js/why.js adds a
popover on hover and focus. The ids of the causes: ``change-fb-<id>`` for a suggestion (so
that other pages, the response table, link to the change a suggestion made; in the
overview of a diff its line has that id), ``why-<section>-<n>`` else.
"""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from consult.domain.textdiff import DELETE, INSERT, Op
from consult.services.change_causes import SUGGESTION, Cause, SectionCauses


def cause_anchor(section_id: int, number: int, cause: Cause) -> str:
    """The id of a cause in the list under its section."""
    if cause.kind == SUGGESTION and cause.feedback_id is not None:
        return f"change-fb-{cause.feedback_id}"
    return f"why-{section_id}-{number}"


def op_notes(ops: list[Op], why: SectionCauses, side: str) -> dict[int, tuple[str, str]]:
    """Per op index: the attributes of its ``<ins>``/``<del>`` and the references to put
    after it (after the last op of each change, if the change shows on this ``side``)."""
    anchors = {n: cause_anchor(why.section_id, n, cause) for n, cause in why.numbered()}
    label = escape(_("Grund"))
    notes: dict[int, tuple[str, str]] = {}
    for hunk, numbers in why.hunks:
        if not numbers:
            continue
        described = " ".join(anchors[n] for n in numbers)
        attrs = f' aria-describedby="{described}" data-why="{described}"'
        for index in range(hunk.first, hunk.last):
            notes[index] = (attrs, "")
        shows = side == "both" or hunk.has(ops, INSERT if side == "new" else DELETE)
        if shows:
            links = ", ".join(
                f'<a href="#{anchors[n]}" class="why-link">'
                f'<span class="visually-hidden">{label} </span>{n}</a>'
                for n in numbers
            )
            notes[hunk.last - 1] = (attrs, f'<sup class="why-ref">{links}</sup>')
    return notes


def decision_url(feedback_id: int) -> str | None:
    """The page where an editor decides on the item (``/feedback/<id>/decision``), if the
    app has it; else None."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(f"/feedback/{feedback_id}/decision", method="GET")
    except HTTPException:
        return None
    return url_for(endpoint, **values)


def item_url(revision_id: int, feedback_id: int) -> str:
    """A piece of feedback in the reading view of the revision it was made on."""
    return url_for("revisions.read", revision_id=revision_id) + f"#fb-{feedback_id}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["cause_anchor"] = cause_anchor
    app.jinja_env.globals["decision_url"] = decision_url
    app.jinja_env.globals["item_url"] = item_url


__all__ = ["cause_anchor", "decision_url", "init_app", "item_url", "op_notes"]
