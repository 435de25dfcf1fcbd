"""Rendering feedback threads for the side rail, fast enough for thousands per page.

A Jinja macro per thread cost ~1 ms (translations, dates, URLs and CSRF tokens looked
up again for every thread); here everything per page is prepared once in
:class:`ThreadRenderer` and each thread is a few string joins. Every piece of user
text is escaped (or passed through consult.sanitize) before it is joined.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from consult import dates
from consult.cache import LRUCache
from consult.domain.textdiff import word_diff
from consult.idempotency import once_field
from consult.models import FeedbackReview
from consult.sanitize import render_plain_text
from consult.services.feedback_views import AnyFeedback, FeedbackView
from consult.web import confirm
from consult.web.change_labels import ChangeLabels, change_labels
from consult.web.decision_forms import DECISION_LABELS
from consult.web.filters import ops_html

QUOTE_LIMIT = 280
#: Stands for the reader's own hidden form fields in cached HTML: the CSRF token and the
#: one-time field that makes a repeated form recognisable (consult.idempotency), both
#: fresh for every page (unguessable, never in user text).
CSRF_SLOT = "csrf-slot-" + secrets.token_hex(12)
#: Stands for a thread's buttons in HTML built for a page, with its id:
#: ``<!--ACTIONS_SLOT:id-->`` (user text is escaped: it cannot make a comment).
ACTIONS_SLOT = "actions-slot-" + secrets.token_hex(12)
#: Rendered threads up to their buttons, keyed by everything they show.
CONTENT_CACHE_SIZE = 20_000
_CONTENT_CACHE: LRUCache[tuple[object, ...], str] = LRUCache(CONTENT_CACHE_SIZE)


def suggestion_diff_html(quote: str, replacement: str, labels: ChangeLabels | None = None) -> str:
    """A suggestion as a word diff of its quote and its replacement (escaped, cached), with
    hidden words for screen readers (``labels``; default: the interface language's)."""
    return _suggestion_diff_html(quote, replacement, labels or change_labels())


@functools.lru_cache(maxsize=8192)
def _suggestion_diff_html(quote: str, replacement: str, labels: ChangeLabels) -> str:
    return str(ops_html(word_diff(quote, replacement), labels=labels))


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
        closed_round_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.revision_id = revision_id
        self.language = language
        self.user_id = user_id
        self.can_moderate = can_moderate
        self.open_round_id = open_round_id
        #: Rounds that are over: their threads say why nobody answers there any more.
        self.closed_round_ids = closed_round_ids
        #: What fills CSRF_SLOT for this page: the reader's hidden form fields.
        self.form_fields = (
            f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
            f"{once_field()}"
        )
        # Cached thread HTML carries a slot for them (reading_page fills it).
        self.hidden = f'{CSRF_SLOT}<input type="hidden" name="revision_id" value="{revision_id}">'
        # URL templates: build once, fill in ids by string replacement.
        placeholder = 999999999
        self.urls = {
            "reply": url_for("feedback.reply", feedback_id=placeholder),
            "resolve": url_for("feedback.resolve", feedback_id=placeholder, action="resolve"),
            "reopen": url_for("feedback.resolve", feedback_id=placeholder, action="reopen"),
            "edit": url_for("feedback.edit", feedback_id=placeholder),
            "withdraw": url_for("feedback.withdraw", feedback_id=placeholder),
            "restore": url_for("feedback.restore", feedback_id=placeholder),
            # The decision page, which leads back to the thread.
            "decide": url_for(
                "decisions.decide",
                feedback_id=placeholder,
                back=url_for("revisions.read", revision_id=revision_id) + f"#fb-{placeholder}",
            ),
        }
        self.urls = {k: v.replace(str(placeholder), "{id}") for k, v in self.urls.items()}
        #: Hidden words at the edges of a suggestion's insertions and deletions.
        self.change_labels = change_labels()
        #: The decisions the threads show, by feedback id: those the reader may see
        #: (services.decisions.visible_reviews), set by consult.web.reading_page before
        #: it renders threads.
        self.reviews: Mapping[int, FeedbackReview] = {}
        #: The rounds whose decisions are published (an editor sees the others' marked
        #: as not yet published).
        self.published_round_ids: frozenset[int] = frozenset()
        #: What the threads and their buttons depend on besides the threads themselves
        #: and who wrote them (the URLs stand for the script root): in cached pages' keys.
        self.context = (
            language,
            revision_id,
            can_moderate,
            open_round_id,
            closed_round_ids,
            tuple(self.urls.values()),
        )
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
            "restore": _("wiederherstellen"),
            "closed": _("Die Runde ist beendet: Antworten sind hier nicht mehr möglich."),
            "decision": _("Abwägung:"),
            "response": _("Stellungnahme der Verwaltung:"),
            "accepted_as": _("Übernommen als:"),
            "internal": _("noch nicht veröffentlicht"),
            "decide": _("Entscheiden"),
        }
        #: The question before a withdrawal (static/js/confirm.js), per kind.
        self.withdraw_question = {
            kind: str(confirm.attributes(confirm.withdraw(kind)))
            for kind in ("comment", "suggestion")
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
        self.decisions = {key: str(escape(value)) for key, value in DECISION_LABELS.items()}

    def date(self, value: datetime) -> str:
        """As everywhere (consult.dates): "24.12.2026, 07:20 Uhr"."""
        return dates.moment(value, self.language)

    def _author(self, name: str, organisation: str | None, created_at: datetime) -> str:
        who = escape(name) + (f" ({escape(organisation)})" if organisation else "")
        return (
            f'<p class="thread-author">{who} · <time datetime="{created_at.isoformat()}">'
            f"{self.date(created_at)}</time>"
        )

    def _content_cached(self, view: FeedbackView) -> str:
        """The thread's HTML up to its buttons, cached by all that it shows: its text,
        status and dates, the names of its author, their organisation and of everyone
        who answered, its place in the revision (the same for every reader)."""
        f = view.feedback
        where = view.location
        key = (
            self.language,
            self.revision_id,
            f.id,
            f.kind,
            f.revision_id,
            f.created_at,
            f.author.name,
            f.organisation.name if f.organisation else None,
            f.body,
            f.replacement,
            f.quote,
            f.status,
            f.updated_at,
            f.withdrawn_at,
            tuple(
                (
                    r.id,
                    r.author.name,
                    r.organisation.name if r.organisation else None,
                    r.created_at,
                    r.body,
                )
                for r in f.replies
            ),
            view.section_missing,
            (where.state, where.start) if where is not None else None,
            self._decision_key(f),
        )
        html = _CONTENT_CACHE.get(key)
        if html is None:
            html = self._content(view)
            _CONTENT_CACHE.put(key, html)
        return html

    def _decision_key(self, f: AnyFeedback) -> tuple[object, ...] | None:
        """What the thread shows of its decision (part of the cached content's key)."""
        review = self.reviews.get(f.id)
        if review is None or review.decision is None:
            return None
        return (review.decision, review.response, review.replacement, self._internal(f))

    def _internal(self, f: AnyFeedback) -> bool:
        """Whether the thread says its decision is not published yet (to editors)."""
        return self.can_moderate and f.round_id not in self.published_round_ids

    def _decision(self, f: AnyFeedback) -> str:
        """The decision on the thread and the response, if the reader may see them."""
        review = self.reviews.get(f.id)
        if review is None or review.decision is None:
            return ""
        t = self.t
        label = self.decisions.get(review.decision, str(escape(review.decision)))
        out = [
            f'<div class="thread-decision"><p class="thread-decision-head">{t["decision"]} '
            f'<span class="badge decision-badge">{label}</span>'
        ]
        if self._internal(f):
            out.append(f' <span class="meta">({t["internal"]})</span>')
        out.append("</p>")
        if review.replacement is not None:
            out.append(f"<p>{t['accepted_as']} „{escape(_truncate(review.replacement))}“</p>")
        if review.response:
            out.append(
                f'<div class="thread-response"><strong>{t["response"]}</strong> '
                f"{render_plain_text(review.response)}</div>"
            )
        out.append("</div>")
        return "".join(out)

    def join_for_page(self, views: Sequence[FeedbackView]) -> Markup:
        """Several threads, each with a slot for its buttons (``<!--ACTIONS_SLOT:id-->``,
        which differ for its author; consult.web.reading_page fills them with
        :meth:`actions`), for a page kept for other readers too."""
        return Markup(  # noqa: S704 - every piece escaped in _content
            "".join(
                [
                    f"{self._content_cached(view)}<!--{ACTIONS_SLOT}:{view.feedback.id}--></article>"
                    for view in views
                ]
            )
        )

    def _content(self, view: FeedbackView) -> str:
        """Everything of a thread that is the same for every reader, up to its buttons."""
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
            diff = suggestion_diff_html(f.quote or "", f.replacement or "", self.change_labels)
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
        out.append(self._decision(f))

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

    def actions(self, f: AnyFeedback, *, mine: bool) -> str:
        """The reader's buttons on the thread: reply, resolve, edit, withdraw or restore
        (``mine``: as its author), each form with a slot for the reader's hidden fields
        (CSRF_SLOT)."""
        t = self.t
        is_suggestion = f.kind == "suggestion"
        mine = mine and f.kind != "remark"  # a statement's remark changes with a new version
        in_open_round = self.open_round_id is not None and f.round_id == self.open_round_id
        out = ['<div class="thread-actions">']
        if self.can_moderate and not f.withdrawn_at and f.status != "applied":
            out.append(
                f'<a class="decide-link" href="{self.urls["decide"].format(id=f.id)}" '
                f'aria-describedby="fbh-{f.id}">{t["decide"]}</a>'
            )
        if not f.withdrawn_at and (self.can_moderate or in_open_round):
            # A link, not a form per thread: thousands of text areas made browsers
            # take seconds to load the page. reply.js opens the form inline. Suggestions
            # are discussed like comments.
            out.append(
                f'<a class="reply-link" href="{self.urls["reply"].format(id=f.id)}'
                f'?revision_id={self.revision_id}" data-reply-to="{f.id}" '
                f'aria-describedby="fbh-{f.id}">{t["reply"]}</a>'
            )
        elif not f.withdrawn_at and f.round_id in self.closed_round_ids:
            out.append(f'<p class="meta thread-closed">{t["closed"]}</p>')
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
                f'class="inline-form"{self.withdraw_question[f.kind]}>{self.hidden}'
                f'<button type="submit" class="link-button">{t["withdraw"]}</button></form>'
            )
        elif mine and in_open_round and f.withdrawn_at:
            out.append(
                f'<form method="post" action="{self.urls["restore"].format(id=f.id)}" '
                f'class="inline-form">{self.hidden}'
                f'<button type="submit" class="link-button">{t["restore"]}</button></form>'
            )
        out.append("</div>")
        return "".join(out)
