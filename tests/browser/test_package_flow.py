"""Issue 13, items 5, 6 and 8 in a real browser: the editor opens the demo round's page,
follows the link to the committee package, clicks "Sitzungsunterlagen erstellen", watches
the bar move without the page reloading, and downloads the ZIP when it is done. Every
page passes axe-core.

The live server delivers mail in the request (no background threads), so the test wakes
the export worker itself once the job is queued, as cron would, and slows each step down
a little so that the progress can be watched.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from consult.db import database
from consult.models import Round, User
from consult.services import export_worker, package
from tests.browser.conftest import LiveServer, axe_check, screenshot, submit

pytestmark = pytest.mark.browser

EDITOR = ("redaktion@consult.example", "Demo-Redaktion-2026")
DEMO_ROUND = "1. Stufe: Arbeitskreise"
#: Seconds each step of the build waits (so that the bar is seen moving).
STEP_PAUSE = 0.4


def _demo_round(live_server: LiveServer) -> int:
    app = live_server.app
    assert app is not None
    with app.app_context(), database(app).session_scope() as db:
        editor = db.scalar(select(User).where(User.email == EDITOR[0]))
        assert editor is not None
        editor.password_hash = generate_password_hash(EDITOR[1])  # another test may change it
        editor.is_active = True
        round_id = db.scalar(select(Round.id).where(Round.title == DEMO_ROUND))
        assert round_id is not None
        return round_id


def test_the_editor_builds_watches_and_downloads_the_package(
    page: Page, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id = _demo_round(live_server)
    build = package.build_package

    def slow(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def report(percent: int, step: str) -> None:
            progress(percent, step)
            time.sleep(STEP_PAUSE)

        return build(*args, progress=report, **kwargs)

    monkeypatch.setattr(package, "build_package", slow)

    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(EDITOR[0])
    page.get_by_label("Passwort", exact=True).fill(EDITOR[1])
    submit(page, page.get_by_role("button", name="Anmelden"))
    page.goto(f"/rounds/{round_id}")
    page.get_by_role("link", name="Sitzungsunterlagen für den Ausschuss (ZIP)").click()
    expect(page.get_by_role("heading", name="Sitzungsunterlagen", exact=True)).to_be_visible()
    axe_check(page)

    submit(page, page.get_by_role("button", name="Sitzungsunterlagen erstellen"), status=303)
    bar = page.get_by_role("progressbar", name="Fortschritt")
    expect(bar).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_contain_text("%")
    axe_check(page)
    page.evaluate("window.__samePage = true")  # gone if the page were reloaded

    app = live_server.app
    assert app is not None
    export_worker.worker(app).poke()  # what cron or the server's own thread does
    # The bar moves while the page stays (the script polls the job's status).
    page.wait_for_function(
        "() => document.getElementById('job-progress')?.value >= 20 && window.__samePage",
        timeout=20_000,
    )
    expect(status).to_contain_text(re.compile(r"\d+ % – \w"))
    screenshot(page, "package-progress")

    download_link = page.get_by_role(
        "link", name=re.compile(r"^Herunterladen \(ZIP, [\d,]+ [KM]B\)$")
    )
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator("ul.package-files")).to_contain_text("oparl.json")
    axe_check(page)
    screenshot(page, "package-done")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    path = download.path()
    assert path is not None
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    names = archive.namelist()
    assert "oparl.json" in names and any(n.endswith(".pdf") for n in names)
    paper = json.loads(archive.read("oparl.json"))
    assert paper["type"] == "https://schema.oparl.org/1.1/Paper"
    listed = page.locator("ul.package-files code").all_inner_texts()
    assert listed == names
