"""The committee package over the API: ``GET /rounds/{id}/package`` (API.md, Exports) and,
beyond it, ``POST /rounds/{id}/package/jobs``, ``GET /package-jobs/{id}`` and its file."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from consult.models import Membership, Organisation, User
from consult.services import export_jobs
from tests import support
from tests.api.test_feedback_api import Api, assert_error, ok
from tests.conftest import CSRFClient
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import app_in_context, build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(app_in_context)  # services render templates: an app context


class PackageApi(Api):
    towns: Municipalities

    @property
    def round_id(self) -> int:
        assert self.towns.round is not None
        return self.towns.round.id


@pytest.fixture
def api(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    client: CSRFClient,
    token_for: Callable[[User], dict[str, str]],
) -> PackageApi:
    world = build_world(db, admin, make_user, make_org, add_member)
    towns = add_municipalities(world)
    towns.open_round()
    draft = towns.draft(towns.clerk, towns.siegburg)
    towns.attach(towns.clerk, draft, minimal_pdf("Beschluss"), "Beschluss.pdf")
    towns.submit(towns.mayor, towns.siegburg)
    db.commit()
    found = PackageApi(world, client, token_for)
    found.towns = towns
    return found


def _names(content: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(content)).namelist()


def test_the_package_is_a_zip_for_editors(api: PackageApi) -> None:
    response = api.get(api.towns.editor, f"/rounds/{api.round_id}/package")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"
    names = _names(response.get_data())
    assert "oparl.json" in names and "anlagen/siegburg/beschluss.pdf" in names


def test_participants_observers_and_municipalities_get_403(api: PackageApi) -> None:
    world = api.towns.world
    url = f"/rounds/{api.round_id}/package"
    for user in (world.alice, world.observer, api.towns.mayor):
        assert_error(api.get(user, url), 403)
        assert_error(api.post(user, f"{url}/jobs"), 403)
    assert_error(api.get(world.make_user(), url), 404)  # not a member: no such round
    assert_error(api.get(api.towns.editor, "/rounds/2000000000/package"), 404)


def test_a_job_is_requested_polled_and_downloaded(api: PackageApi) -> None:
    editor = api.towns.editor
    started = ok(api.post(editor, f"/rounds/{api.round_id}/package/jobs"), 202)
    assert started["status"] == "queued" and started["progress"] == 0 and started["step"]
    assert started["file_url"] is None and started["files"] == []
    again = ok(api.post(world_admin(api), f"/rounds/{api.round_id}/package/jobs"), 202)
    assert again["id"] == started["id"]  # one build per round at a time
    job_url = f"/package-jobs/{started['id']}"
    assert_error(api.get(editor, f"{job_url}/file"), 404, "not_ready")
    assert export_jobs.run_job(started["id"]) is True  # what the worker thread does
    done = ok(api.get(editor, job_url))
    assert done["status"] == "done" and done["progress"] == 100 and done["error"] is None
    assert done["file_url"] == f"/api/v1{job_url}/file"
    response = api.get(editor, f"{job_url}/file")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    content = response.get_data()
    assert len(content) == done["size"]
    assert [f["path"] for f in done["files"]] == _names(content)
    paper = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("oparl.json"))
    assert paper["type"] == "https://schema.oparl.org/1.1/Paper"
    assert_error(api.get(api.towns.world.alice, job_url), 403)
    assert_error(api.get(editor, "/package-jobs/2000000000"), 404)


def world_admin(api: PackageApi) -> User:
    return api.towns.world.admin


def test_the_job_endpoints_are_in_the_openapi_document(api: PackageApi) -> None:
    document = api.client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert "application/zip" in json.dumps(paths["/rounds/{round_id}/package"]["get"])
    assert "202" in paths["/rounds/{round_id}/package/jobs"]["post"]["responses"]
    assert "get" in paths["/package-jobs/{job_id}"]
    assert "get" in paths["/package-jobs/{job_id}/file"]
