"""The committee package's pages (issue 13, item 6): the round page links to it for
editors, the button starts one job, the job page shows a progress bar (and refreshes
itself without JavaScript while the job runs), then the download and the files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import lxml.html
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import ExportJob, Membership, Organisation, User
from consult.services import export_jobs
from tests import support
from tests.conftest import CSRFClient
from tests.services.test_feedback import World, app_in_context, build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(app_in_context)


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    found = build_world(db, admin, make_user, make_org, add_member)
    found.open_round()
    db.commit()
    return found


def _browser(app: Flask, world: World, user: User) -> CSRFClient:
    world.db.commit()
    client: CSRFClient = app.test_client()  # type: ignore[assignment]
    return support.sign_in(client, world.db, user)


def test_an_editor_builds_watches_and_downloads_the_package(app: Flask, world: World) -> None:
    round_id = world.rounds[0].id
    editor = _browser(app, world, world.editor)
    show = editor.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert f'href="/rounds/{round_id}/package"' in show
    page = editor.get(f"/rounds/{round_id}/package")
    assert page.status_code == 200
    assert "Sitzungsunterlagen erstellen" in page.get_data(as_text=True)

    started = editor.post(f"/rounds/{round_id}/package")
    assert started.status_code == 303
    job_url = started.headers["Location"]
    again = editor.post(f"/rounds/{round_id}/package")
    assert again.headers["Location"] == job_url  # the same job, not a second build
    assert world.db.scalar(select(func.count()).select_from(ExportJob)) == 1

    running = lxml.html.fromstring(editor.get(job_url).get_data(as_text=True))
    bar = running.get_element_by_id("job-progress")
    assert bar.tag == "progress" and bar.get("max") == "100"
    assert running.xpath("//label[@for='job-progress']")
    assert running.get_element_by_id("job-step").get("aria-live") == "polite"
    assert running.xpath("//noscript/meta[@http-equiv='refresh'][@content='2']")
    assert running.xpath("//script[contains(@src, 'package-progress.js')]")

    job_id = int(job_url.rstrip("/").rsplit("/", 1)[-1])
    assert export_jobs.run_job(job_id)
    done = lxml.html.fromstring(editor.get(job_url).get_data(as_text=True))
    assert not done.xpath("//meta[@http-equiv='refresh']") and not done.xpath("//progress")
    link = done.xpath("//a[starts-with(normalize-space(), 'Herunterladen (ZIP, ')]")
    assert link and link[0].text_content().strip().endswith("KB)")
    listed = [c.text_content() for c in done.xpath("//ul[@class='package-files']//code")]
    response = editor.get(link[0].get("href"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert listed == zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()
    assert "oparl.json" in listed
    # The round's page of the package shows the finished one too.
    assert "Herunterladen (ZIP, " in editor.get(f"/rounds/{round_id}/package").get_data(
        as_text=True
    )


def test_others_get_403_and_no_link(app: Flask, world: World) -> None:
    round_id = world.rounds[0].id
    alice = _browser(app, world, world.alice)
    assert "/package" not in alice.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert alice.get(f"/rounds/{round_id}/package").status_code == 403
    assert alice.post(f"/rounds/{round_id}/package").status_code == 403
    assert world.db.scalar(select(func.count()).select_from(ExportJob)) == 0
    job = export_jobs.request_package(world.db, round_id, actor=world.editor)
    world.db.commit()
    assert alice.get(f"/rounds/{round_id}/package/jobs/{job.id}").status_code == 403
    assert alice.get(f"/rounds/{round_id}/package/jobs/{job.id}/file").status_code == 403
    editor = _browser(app, world, world.editor)
    assert editor.get(f"/rounds/{round_id + 1000}/package/jobs/{job.id}").status_code == 404
    assert editor.get(f"/rounds/{round_id}/package/jobs/{job.id}/file").status_code == 404
