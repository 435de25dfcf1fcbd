"""Every page every demo role reaches, in German and in English (issue 10, "dates, words").

Each demo login walks its pages breadth-first from the start page, following every
same-origin link (not logging out, no downloads or JSON, nothing that only takes a POST),
then switches to English with the language form and reads the same pages again. Every
page fails on

- a date or time in another form than the chosen ones (consult.dates): "24.12.2026,
  07:20 Uhr", "Do., 24.12.2026, 07:20 Uhr", "24.12.2026", "Do., 24.12.2026"; in English
  "24 Dec 2026, 07:20", "Thu, 24 Dec 2026"; never "24.12.26", seconds or a zone name
  (what people wrote is left out: their dates are theirs);
- "1 Kommentare"-style plural slips of the app's countable nouns;
- a space before a comma in the text a sighted reader sees;
- a link that answers with an error;
- a serious or critical axe-core finding (``axe_check``).

The text is read from each page as served, with what the browser does not show left
out (hidden elements, screen-reader-only words, closed disclosures). axe-core runs in the
browser on every kind of page (its path but for the ids) in each language, and again
whenever a role sees that kind with elements no earlier check of it had (a form, a
button, a badge): running it on all ~300 pages of the walk took six minutes, and the
same markup gives the same findings. A role's problems are reported together. Pages of
one kind are read at most PER_KIND times per role; only the demo's consultation is
walked (other tests add consultations of their own to the shared server).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from lxml import html as lxml_html
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult.db import database
from consult.demo import CONSULTATION_TITLE, DEMO_USERS
from consult.models import User
from tests.browser.conftest import LiveServer, axe_check, submit

pytestmark = pytest.mark.browser

#: (e-mail, password) of every demo login: administration, editor, participants of the
#: working groups, the mayors, the observer.
LOGINS = [(email, password) for _label, email, _n, _o, _r, _a, password in DEMO_USERS]
#: Pages read per role at most, and pages of one kind.
MAX_PAGES = 60
PER_KIND = 2

#: Paths never followed: logging out and the language switch (POST only), the JSON API
#: and its description, files, the log-in and password pages of the signed-out.
SKIPPED_PREFIXES = ("/logout", "/language", "/api/", "/static/", "/healthz", "/login", "/password/")
#: Links to files (downloads, exports).
DOWNLOAD = re.compile(r"\.(?:json|docx?|pdf|csv|xlsx?|zip|txt|md|odt)$|/exports?(?:/|$)")

# --- what a page may not show ---------------------------------------------------------

#: The chosen forms, taken out before looking for any other.
ALLOWED_DATES = {
    "de": re.compile(
        r"\b(?:(?:Mo|Di|Mi|Do|Fr|Sa|So)\., )?\d{2}\.\d{2}\.\d{4}(?:, \d{2}:\d{2} Uhr)?"
        r"|\b(?:heute|morgen) (?:bis |um |ab )?\d{2}:\d{2} Uhr"  # a time today: the day in words
    ),
    "en": re.compile(
        r"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
        r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept|Oct|Nov|Dec) \d{4}(?:, \d{2}:\d{2})?\b"
        r"|\b(?:today|tomorrow) (?:until |at |from )?\d{2}:\d{2}\b"
    ),
}
_MONTHS = (
    "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "January|February|March|June|July|October|December"
)
_WEEKDAYS = (
    "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|"
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
)
#: What may be left of a date or time once the chosen forms are taken out: nothing.
WRONG_DATES = [
    ("a two-digit year or an unpadded date", re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}(?!\d)")),
    ("a date with slashes", re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")),
    ("an ISO date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("seconds", re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")),
    ("a time outside the chosen forms", re.compile(r"\b\d{1,2}:\d{2}\b")),
    (
        "a zone name",
        re.compile(
            r"\b(?:Normalzeit|Sommerzeit|MEZ|MESZ|CET|CEST|UTC|GMT|Mitteleuropäische|"
            r"Central European|Standard Time|Summer Time)\b"
        ),
    ),
    ("a month written out", re.compile(rf"\b\d{{1,2}}\.? (?:{_MONTHS})\b")),
    ("a weekday written out", re.compile(rf"\b(?:{_WEEKDAYS}),")),
]
#: "1" with a plural, from the app's countable nouns.
PLURAL_SLIPS = {
    "de": re.compile(
        r"\b1 (?:Kommentare|Änderungsvorschläge|Vorschläge|Beiträge|Beiträgen|Abschnitte|"
        r"Abschnitten|Fassungen|Runden|Personen|Tage|Tagen|Stunden|Minuten|Antworten|"
        r"Arbeitskreise|Mitglieder|Kommunen|Organisationen|Stellungnahmen)\b"
    ),
    "en": re.compile(
        r"\b1 (?:comments|suggested changes|suggestions|contributions|items|sections|"
        r"revisions|rounds|people|persons|days|hours|minutes|replies|working groups|members|"
        r"municipalities|organisations|statements|characters)\b"
    ),
}
SPACE_BEFORE_COMMA = re.compile(r" ,")

# --- the text a sighted reader sees -------------------------------------------------------

#: Not shown at all, or only to screen readers.
NOT_SHOWN_TAGS = frozenset({"head", "script", "style", "template", "noscript", "textarea"})
NOT_SHOWN_CLASSES = frozenset({"visually-hidden", "change-label"})
#: What people wrote (sections, comments, replies, quotes, descriptions, diffs): their
#: dates and numbers are theirs, so the date check leaves these out.
USER_TEXT_CLASSES = frozenset(
    {
        "section-body",
        "section-text",
        "thread-body",
        "thread-quote",
        "sg-preview",
        "prose",
        "description",
        "diff-body",
        "synopsis",
        "conflict-body",
    }
)
#: Elements that start a line of their own.
BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd"),
        *("details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer"),
        *("form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav"),
        *("ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td"),
        *("tfoot", "th", "thead", "tr", "ul"),
    }
)
_LINE = "\x00"


def _shown(element: lxml_html.HtmlElement, leave_out: frozenset[str]) -> bool:
    if element.tag in NOT_SHOWN_TAGS or element.get("hidden") is not None:
        return False
    if element.tag == "blockquote" and "blockquote" in leave_out:
        return False
    classes = set((element.get("class") or "").split())
    if classes & leave_out:
        return False
    return not (element.tag == "input" and element.get("type") == "hidden")


def shown_text(root: lxml_html.HtmlElement, leave_out: frozenset[str]) -> str:
    """The page's text as the browser lays it out (whitespace collapsed, a line per
    block), without the elements of ``leave_out``'s classes and what is not shown."""
    parts: list[str] = []

    def walk(element: lxml_html.HtmlElement) -> None:
        if not isinstance(element.tag, str):  # a comment or processing instruction
            return
        if not _shown(element, leave_out):
            return
        block = element.tag in BLOCKS
        if block:
            parts.append(_LINE)
        parts.append(element.text or "")
        closed = element.tag == "details" and element.get("open") is None
        for child in element:
            if closed and child.tag != "summary":
                continue  # the body of a closed <details> is not shown
            walk(child)
            parts.append(child.tail or "")
        if block:
            parts.append(_LINE)

    walk(root)
    text = re.sub(r"\s+", " ", "".join(parts))
    return re.sub(rf" ?{_LINE}[ {_LINE}]*", "\n", text).strip()


def text_problems(root: lxml_html.HtmlElement, language: str) -> list[str]:
    """What the page shows that it should not (see the module's docstring)."""
    problems = []
    visible = shown_text(root, NOT_SHOWN_CLASSES)
    # What people wrote is theirs; so are the replies (all but their author line).
    written = USER_TEXT_CLASSES | NOT_SHOWN_CLASSES | {"blockquote"}
    for reply in root.xpath("//li[contains(concat(' ', @class, ' '), ' reply ')]"):
        for node in reply.xpath("text()"):
            if node.is_tail:
                node.getparent().tail = ""
            else:
                node.getparent().text = ""
    rest = ALLOWED_DATES[language].sub("«date»", shown_text(root, frozenset(written)))
    for what, pattern in WRONG_DATES:
        match = pattern.search(rest)
        if match:
            problems.append(f"{what}: “{match.group()}” in …{_around(rest, match)}…")
    for match in PLURAL_SLIPS[language].finditer(visible):
        problems.append(f"plural: “{match.group()}” in …{_around(visible, match)}…")
    for match in SPACE_BEFORE_COMMA.finditer(visible):
        problems.append(f"space before a comma: …{_around(visible, match)}…")
    return problems


def _around(text: str, match: re.Match[str]) -> str:
    return " ".join(text[max(0, match.start() - 50) : match.end() + 50].split())


def species(root: lxml_html.HtmlElement) -> frozenset[str]:
    """The kinds of element on the page (tag, classes, role, type): what axe-core judges,
    without the texts and ids that differ from role to role."""
    found = set()
    for element in root.iter():
        if isinstance(element.tag, str):
            classes = ".".join(sorted((element.get("class") or "").split()))
            found.add(f"{element.tag}.{classes}[{element.get('role')}|{element.get('type')}]")
    return frozenset(found)


def kind_of(path: str) -> str:
    """The page's kind: its path and query with every number as {n}."""
    return re.sub(r"\d+", "{n}", path)


def layout_of(path: str) -> str:
    """What decides a page's markup besides its data: the path with every number as {n},
    and the view of a comparison (overview, inline, synopsis); not the filters."""
    parts = urlsplit(path)
    view = parse_qs(parts.query).get("view", ["overview" if parts.path.endswith("/diff") else ""])
    return re.sub(r"\d+", "{n}", parts.path) + (f"?view={view[0]}" if view[0] else "")


def followed(url: str, origin: str, other_consultations: set[str]) -> str | None:
    """The path to read for a link (without its fragment), None for one not to follow."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = parts.path
    if path.startswith(SKIPPED_PREFIXES) or DOWNLOAD.search(path):
        return None
    match = re.match(r"/consultations/(\d+)", path)
    if match and match.group(1) in other_consultations:
        return None
    return path + ("?" + parts.query if parts.query else "")


#: The element kinds axe-core has judged, per page layout and language (for every role).
_judged: dict[tuple[str, str], set[str]] = {}


class Walk:
    """One role's walk: the pages it read and what was wrong on them."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.problems: list[str] = []
        self.visited: list[str] = []
        self.axe_runs = 0

    def check(self, path: str, language: str) -> list[tuple[str, str]]:
        """Read a page and check it; its links (URL, text)."""
        response = self.page.request.get(path, max_redirects=0)
        if response.status >= 300:
            self.problems.append(f"{language} {path}: answered {response.status}")
            return []
        if "text/html" not in response.headers.get("content-type", ""):
            return []
        root = lxml_html.fromstring(response.body())
        if root.get("lang") != language:
            self.problems.append(f"{language} {path}: the page is in {root.get('lang')!r}")
        links = [
            (urljoin(self.origin + path, a.get("href")), a.text_content().strip())
            for a in root.iter("a")
            if a.get("href") and a.get("download") is None
        ]
        judged = _judged.setdefault((language, layout_of(path)), set())
        found = species(root)
        if not found <= judged:
            self.page.goto(path)
            self.axe_runs += 1
            try:
                axe_check(self.page)
            except pytest.fail.Exception as failure:
                self.problems.append(f"{language} {path}: {failure.msg}")
            judged |= found
        for problem in text_problems(root, language):
            self.problems.append(f"{language} {path}: {problem}")
        return links

    def breadth_first(self) -> None:
        """Every page reachable from the start page, in German."""
        queue: deque[str] = deque(["/"])
        seen = {"/"}
        kinds: dict[str, int] = {}
        other_consultations: set[str] = set()
        while queue and len(self.visited) < MAX_PAGES:
            path = queue.popleft()
            links = self.check(path, "de")
            self.visited.append(path)
            if path == "/":
                # Only the demo's consultation: other tests add their own.
                for url, text in links:
                    match = re.search(r"/consultations/(\d+)$", url)
                    if match and text != CONSULTATION_TITLE:
                        other_consultations.add(match.group(1))
            for url, _text in links:
                target = followed(url, self.origin, other_consultations)
                if target is None or target in seen:
                    continue
                seen.add(target)
                kind = kind_of(target)
                if kinds.get(kind, 0) < PER_KIND:
                    kinds[kind] = kinds.get(kind, 0) + 1
                    queue.append(target)

    def again_in_english(self) -> None:
        """The same pages in English, switched with the language form (and back)."""
        self.page.goto("/")
        submit(self.page, self.page.get_by_role("button", name="English"))
        try:
            for path in self.visited:
                self.check(path, "en")
        finally:
            self.page.goto("/")
            submit(self.page, self.page.get_by_role("button", name="Deutsch"))


@pytest.fixture(scope="module")
def demo_logins(live_server: LiveServer) -> None:
    """The demo logins with their published passwords (another test changes one)."""
    assert live_server.app is not None
    with live_server.app.app_context(), database(live_server.app).session_scope() as session:
        for email, password in LOGINS:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None, email
            user.password_hash = generate_password_hash(password)
            user.is_active = True


@pytest.fixture
def walker(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.mark.parametrize(("email", "password"), LOGINS, ids=[e for e, _p in LOGINS])
def test_every_page_in_german_and_english(
    walker: BrowserContext, live_server: LiveServer, demo_logins: None, email: str, password: str
) -> None:
    page = walker.new_page()
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Anmelden"))

    started = time.monotonic()
    walk = Walk(page, live_server.url)
    walk.breadth_first()
    walk.again_in_english()
    print(
        f"\n{email}: {len(walk.visited)} pages × 2 languages, axe-core on {walk.axe_runs}, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert len(walk.visited) > 3, f"the walk found almost nothing: {walk.visited}"
    assert not walk.problems, (
        f"{email}: {len(walk.problems)} problem(s) on {len(walk.visited)} pages:\n"
        + "\n".join(walk.problems)
    )
