"""Browser tier: the real app on a live server, driven by Debian's Chromium via Playwright.

The server runs in a thread of the test process on its own SQLite file (migrated and
loaded with the demo), so nothing here uses the rolled-back fixtures of
``tests/conftest.py``. E-mail goes into ``.eml`` files, which the tests read like an
inbox. Every page a test visits is checked with axe-core (``axe_check``).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from werkzeug.serving import make_server

from consult import create_app
from consult.config import Settings
from consult.db import database
from consult.demo import load_demo
from consult.extensions import limiter
from tests.conftest import migrate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots for people to look at (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Impacts that fail a page.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is a browser test (``-m browser`` / ``-m 'not browser'``)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.resolve().is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    url: str
    mail_dir: Path
    #: The served app (for tests that must put its data back into a known state).
    app: Flask | None = None

    def mail_to(self, address: str, timeout: float = 5.0) -> list[email.message.EmailMessage]:
        """Every message written for ``address`` so far (waits for at least one)."""
        deadline = time.monotonic() + timeout
        while True:
            found = []
            for path in sorted(self.mail_dir.glob("*.eml")):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                assert isinstance(message, email.message.EmailMessage)
                if message["To"] == address:
                    found.append(message)
            if found or time.monotonic() > deadline:
                assert found, f"no e-mail to {address} in {self.mail_dir}"
                return found
            time.sleep(0.05)

    def link_in_last_mail_to(self, address: str) -> str:
        """The password link of the newest message to ``address``."""
        message = self.mail_to(address)[-1]
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = str(body.get_content())
        links: list[str] = re.findall(re.escape(self.url) + r"/password/set/\S+", text)
        assert len(links) == 1, f"expected one link to {self.url} in:\n{text}"
        return links[0]


#: A browser that sends this cookie gets the answers to its form posts late (the value in
#: milliseconds): the page stays while a second click sends the form again.
SLOW_COOKIE = "test_slow_answers"


class SlowAnswers:
    """WSGI middleware: answers POSTs late when the request asks for it (SLOW_COOKIE).

    The app has done its work (and committed) when the delay starts: the browser sees a
    slow server, as on a busy afternoon before a deadline.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        result = self.app(environ, start_response)
        match = re.search(rf"{SLOW_COOKIE}=(\d+)", environ.get("HTTP_COOKIE", ""))
        if match and environ.get("REQUEST_METHOD") == "POST":
            time.sleep(int(match.group(1)) / 1000)
        return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with the demo data, served on 127.0.0.1 in a daemon thread."""
    root = tmp_path_factory.mktemp("live")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        instance_path=root / "instance",
        database_url=f"sqlite:///{root / 'live.sqlite'}",
        secret_key="browser-" + secrets.token_hex(16),
        mail_backend="file",
        mail_dir=root / "mail",
        mail_delivery="sync",
        base_url=url,
        testing=True,
    )
    app = create_app(settings)
    engine = database(app).engine
    migrate(engine)
    with app.app_context(), database(app).session_scope() as session:
        load_demo(session)
    limiter.reset()

    app.wsgi_app = SlowAnswers(app.wsgi_app)  # type: ignore[method-assign]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, mail_dir=settings.mail_dir, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (never a browser downloaded by Playwright)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(
            f"Debian's Chromium is missing ({CHROMIUM}). Install it with "
            "'apt-get install chromium' (or run 'make chromium' as root); "
            "do not use 'playwright install'.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) that asks for German pages."""
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport={"width": 1280, "height": 800},
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


_axe = Axe()
#: Digests of page states that axe-core already passed (the same DOM gives the same result).
_checked: set[str] = set()


def _page_state(page: Page) -> str:
    html = page.content()
    html = re.sub(r'("csrf_token"[^>]*?value=")[^"]*', r"\1", html)
    html = re.sub(r'(value=")[^"]*("[^>]*name="csrf_token")', r"\1\2", html)
    return hashlib.sha256(html.encode()).hexdigest()


def axe_check(page: Page) -> None:
    """Run axe-core on the current page; fail on any serious or critical violation.

    A page state (its DOM, CSRF tokens aside) that already passed is not checked again.
    """
    page.wait_for_load_state("load")
    state = _page_state(page)
    if state in _checked:
        return
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if not blocking:
        _checked.add(state)
        return
    lines = [f"axe-core: {len(blocking)} serious/critical violation(s) on {page.url}"]
    for violation in blocking:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    pytest.fail("\n".join(lines), pytrace=False)


def submit(page: Page, button: Locator, status: int = 302) -> None:
    """Click a form's submit button and check the HTTP status of the POST it sends.

    A server error thus fails with its status and page text, not as a later time-out.
    """
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.is_navigation_request()
    ) as info:
        button.click()
    response = info.value
    if response.status != status:
        try:
            text = " ".join(re.sub(r"<[^>]+>", " ", response.text()).split())
        except Exception:  # a redirect has no body
            text = ""
        pytest.fail(
            f"POST {response.url} answered {response.status}, expected {status}: {text[:400]}",
            pytrace=False,
        )


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot into test-artifacts/ (for a human to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_SHOWN_TEXTS = """(elements) => elements.map((element) => {
  const copy = element.cloneNode(true);
  copy.querySelectorAll(".change-label").forEach((label) => label.remove());
  return copy.textContent.replace(/\\s+/g, " ").trim();
})"""


def shown_texts(locator: Locator) -> list[str]:
    """The texts of the elements as they are seen: without the hidden words that tell
    screen readers where an insertion or deletion starts and ends (.change-label)."""
    locator.first.wait_for()
    texts: list[str] = locator.evaluate_all(_SHOWN_TEXTS)
    return texts


def confirm_in_dialog(page: Page, yes: str, status: int = 302) -> None:
    """Answer the open confirmation dialog (static/js/confirm.js) with its "Ja, …" button
    and check the status of the POST it sends."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    submit(page, dialog.get_by_role("button", name=yes), status)
