"""Rendering feedback threads for the side rail, fast enough for thousands per page.

A Jinja macro per thread cost ~1 ms (translations, dates, URLs and CSRF tokens looked
up again for every thread); here everything per page is prepared once in
:class:`ThreadRenderer` and each thread is a few string joins. Every piece of user
text is escaped (or passed through consult.sanitize) before it is joined.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from consult.domain.textdiff import word_diff
from consult.sanitize import render_plain_text
from consult.services.feedback import AnyFeedback, FeedbackView
from consult.web.filters import ops_html

BERLIN = ZoneInfo("Europe/Berlin")
#: Short date and time per interface language (Europe/Berlin).
DATE_FORMATS = {"de": "%d.%m.%y, %H:%M", "en": "%d/%m/%Y, %H:%M"}
QUOTE_LIMIT = 280
#: Stands for the reader's CSRF token in cached HTML (unguessable, never in user text).
CSRF_SLOT = "csrf-slot-" + secrets.token_hex(12)
#: Rendered threads, keyed by everything they show.
CONTENT_CACHE_SIZE = 20_000
_CONTENT_CACHE: dict[tuple[object, ...], str] = {}


@functools.lru_cache(maxsize=8192)
def suggestion_diff_html(quote: str, replacement: str) -> str:
    """A suggestion as a word diff of its quote and its replacement (escaped, cached)."""
    return str(ops_html(word_diff(quote, replacement)))


def _truncate(text: str, limit: int = QUOTE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ThreadRenderer:
    """Renders the threads of one reading-view page for one user."""

    def __init__(
        self,
        *,
        revision_id: int,
        language: str,
        user_id: int | None,
        can_moderate: bool,
        open_round_id: int | None,
    ) -> None:
        self.revision_id = revision_id
        self.language = language
        self.user_id = user_id
        self.can_moderate = can_moderate
        self.open_round_id = open_round_id
        self.date_format = DATE_FORMATS.get(language, DATE_FORMATS["de"])
        self.csrf = str(escape(generate_csrf()))
        # Cached thread HTML carries a slot for the reader's CSRF token, filled in by join().
        self.hidden = (
            f'<input type="hidden" name="csrf_token" value="{CSRF_SLOT}">'
            f'<input type="hidden" name="revision_id" value="{revision_id}">'
        )
        # URL templates: build once, fill in ids by string replacement.
        placeholder = 999999999
        self.urls = {
            "reply": url_for("feedback.reply", feedback_id=placeholder),
            "resolve": url_for("feedback.resolve", feedback_id=placeholder, action="resolve"),
            "reopen": url_for("feedback.resolve", feedback_id=placeholder, action="reopen"),
            "edit": url_for("feedback.edit", feedback_id=placeholder),
            "withdraw": url_for("feedback.withdraw", feedback_id=placeholder),
        }
        self.urls = {k: v.replace(str(placeholder), "{id}") for k, v in self.urls.items()}
        self.t = {
            "suggestion": _("Änderungsvorschlag"),
            "comment": _("Kommentar"),
            "withdrawn": _("zurückgezogen"),
            "edited": _("bearbeitet"),
            "orphaned": _("veraltet: Textstelle nicht mehr vorhanden"),
            "moved": _("Textstelle verschoben"),
            "fuzzy": _("Textstelle inzwischen geändert"),
            "insertion": _("Einfügung an dieser Stelle"),
            "outdated": _("veraltet"),
            "section_gone": _("Der Abschnitt ist in dieser Fassung nicht mehr enthalten."),
            "whole": _("zum ganzen Abschnitt"),
            "proposed": _("Vorgeschlagene Änderung:"),
            "reason": _("Begründung:"),
            "replies": _("Antworten"),
            "reply": _("Antworten"),
            "reopen": _("wieder öffnen"),
            "resolve": _("als erledigt markieren"),
            "edit": _("bearbeiten"),
            "withdraw": _("zurückziehen"),
        }
        self.statuses = {
            "resolved": _("erledigt"),
            "accepted": _("angenommen"),
            "rejected": _("abgelehnt"),
            "applied": _("eingearbeitet"),
            "withdrawn": _("zurückgezogen"),
        }
        self.t = {key: str(escape(value)) for key, value in self.t.items()}
        self.statuses = {key: str(escape(value)) for key, value in self.statuses.items()}

    def date(self, value: datetime) -> str:
        return value.astimezone(BERLIN).strftime(self.date_format)

    def _author(self, name: str, organisation: str | None, created_at: datetime) -> str:
        who = escape(name) + (f" ({escape(organisation)})" if organisation else "")
        return (
            f'<p class="thread-author">{who} · <time datetime="{created_at.isoformat()}">'
            f"{self.date(created_at)}</time>"
        )

    def __call__(self, view: FeedbackView) -> Markup:
        return Markup(self._cached(view).replace(CSRF_SLOT, self.csrf))  # noqa: S704

    def _cached(self, view: FeedbackView) -> str:
        """The thread's HTML with a CSRF slot, cached by all that it shows."""
        f = view.feedback
        where = view.location
        key = (
            self.language,
            self.revision_id,
            f.id,
            f.created_at,
            hash(f.body),
            hash(f.replacement),
            hash(f.quote),
            f.status,
            f.updated_at,
            f.withdrawn_at,
            len(f.replies),
            f.replies[-1].id if f.replies else 0,
            view.section_missing,
            (where.state, where.start) if where is not None else None,
            self.user_id == f.author_id,
            self.can_moderate,
            self.open_round_id == f.round_id,
        )
        html = _CONTENT_CACHE.get(key)
        if html is None:
            html = self._content(view) + self._actions(f) + "</article>"
            if len(_CONTENT_CACHE) >= CONTENT_CACHE_SIZE:
                _CONTENT_CACHE.pop(next(iter(_CONTENT_CACHE)))
            _CONTENT_CACHE[key] = html
        return html

    def join(self, views: Sequence[FeedbackView]) -> Markup:
        """Several threads; the CSRF slot is filled once for all of them."""
        html = "".join([self._cached(view) for view in views])
        return Markup(html.replace(CSRF_SLOT, self.csrf))  # noqa: S704 - built escaped

    def _content(self, view: FeedbackView) -> str:
        """Everything of a thread that is the same for every reader (cached)."""
        f = view.feedback
        t = self.t
        is_suggestion = f.kind == "suggestion"
        where = view.location
        classes = f"thread kind-{f.kind}"
        if view.is_outdated:
            classes += " outdated"
        if f.withdrawn_at:
            classes += " withdrawn"
        classes += f" status-{escape(f.status)}"
        start_attr = (
            f' data-start="{where.start}"' if where is not None and where.start is not None else ""
        )
        out = [
            f'<article class="{classes}" id="fb-{f.id}" data-fb="{f.id}"{start_attr} '
            f'aria-labelledby="fbh-{f.id}"><header class="thread-head">'
            f'<h4 id="fbh-{f.id}" class="thread-title">'
            f"{t['suggestion'] if is_suggestion else t['comment']}"
        ]
        if f.withdrawn_at:
            out.append(f' <span class="badge fb-status">{t["withdrawn"]}</span>')
        elif f.status != "open":
            label = self.statuses.get(f.status, str(escape(f.status)))
            out.append(f' <span class="badge fb-status">{label}</span>')
        out.append("</h4>")
        out.append(
            self._author(
                f.author.name, f.organisation.name if f.organisation else None, f.created_at
            )
        )
        if f.updated_at:
            out.append(f" · {t['edited']}")
        out.append("</p></header>")

        if where is not None:
            out.append('<blockquote class="thread-quote">')
            if where.state == "orphaned":
                out.append(f'<span class="badge anchor-orphaned">{t["orphaned"]}</span> ')
            elif where.state == "moved" and f.revision_id != self.revision_id:
                out.append(f'<span class="badge anchor-moved">{t["moved"]}</span> ')
            elif where.state == "fuzzy":
                out.append(f'<span class="badge anchor-fuzzy">{t["fuzzy"]}</span> ')
            if f.quote:
                out.append(f"„{escape(_truncate(f.quote))}“")
            else:
                out.append(f'<span class="meta">{t["insertion"]}</span>')
            out.append("</blockquote>")
        elif view.section_missing:
            out.append(
                f'<p class="meta"><span class="badge anchor-orphaned">{t["outdated"]}</span> '
                f"{t['section_gone']}</p>"
            )
        else:
            out.append(f'<p class="meta">{t["whole"]}</p>')

        if is_suggestion:
            diff = suggestion_diff_html(f.quote or "", f.replacement or "")
            out.append(
                f'<p class="sg-preview"><span class="visually-hidden">{t["proposed"]}</span>'
                f"{diff}</p>"
            )
            if f.body:
                out.append(
                    f'<div class="thread-body"><strong>{t["reason"]}</strong> '
                    f"{render_plain_text(f.body)}</div>"
                )
        else:
            out.append(f'<div class="thread-body">{render_plain_text(f.body)}</div>')

        if f.replies:
            out.append(f'<ol class="replies" aria-label="{t["replies"]}">')
            for reply in f.replies:
                out.append('<li class="reply">')
                out.append(
                    self._author(
                        reply.author.name,
                        reply.organisation.name if reply.organisation else None,
                        reply.created_at,
                    )
                )
                out.append(f"</p>{render_plain_text(reply.body)}</li>")
            out.append("</ol>")
        return "".join(out)

    def _actions(self, f: AnyFeedback) -> str:
        """The reader's own buttons: reply, resolve, edit, withdraw."""
        t = self.t
        is_suggestion = f.kind == "suggestion"
        mine = self.user_id is not None and self.user_id == f.author_id
        in_open_round = self.open_round_id is not None and f.round_id == self.open_round_id
        out = ['<div class="thread-actions">']
        if not f.withdrawn_at and not is_suggestion and (self.can_moderate or in_open_round):
            # A link, not a form per thread: thousands of text areas made browsers
            # take seconds to load the page. reply.js opens the form inline.
            out.append(
                f'<a class="reply-link" href="{self.urls["reply"].format(id=f.id)}'
                f'?revision_id={self.revision_id}" data-reply-to="{f.id}" '
                f'aria-describedby="fbh-{f.id}">{t["reply"]}</a>'
            )
        if not is_suggestion and not f.withdrawn_at and (self.can_moderate or mine):
            action = "reopen" if f.status == "resolved" else "resolve"
            out.append(
                f'<form method="post" action="{self.urls[action].format(id=f.id)}" '
                f'class="inline-form">{self.hidden}'
                f'<button type="submit" class="link-button">{t[action]}</button></form>'
            )
        if mine and in_open_round and not f.withdrawn_at and f.status == "open":
            out.append(
                f'<a href="{self.urls["edit"].format(id=f.id)}">{t["edit"]}</a>'
                f'<form method="post" action="{self.urls["withdraw"].format(id=f.id)}" '
                f'class="inline-form">{self.hidden}'
                f'<button type="submit" class="link-button">{t["withdraw"]}</button></form>'
            )
        out.append("</div>")
        return "".join(out)
