"""Building the committee package as a job (issue 13, item 6): one job per round at a
time, progress that other sessions see while it runs, the file when done, a German
message when it fails, and a job whose worker died taken over once its lease expired."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from consult.db import database, utcnow
from consult.errors import Conflict, NotFound, NotPermitted
from consult.models import ExportJob
from consult.services import export_jobs, package
from tests.services.test_feedback import World, app, module_app, world  # noqa: F401


def _fresh(app: Flask, job_id: int) -> ExportJob:  # noqa: F811
    """The job as another session (another worker, a status request) sees it."""
    with database(app).session_scope(write=False) as session:
        job = session.get(ExportJob, job_id)
        assert job is not None
        session.expunge(job)
        return job


def test_requesting_twice_gives_one_job_until_it_is_finished(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    first = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    again = export_jobs.request_package(world.db, round_.id, actor=world.admin)
    assert again.id == first.id and first.status == "queued" and first.progress == 0
    assert first.requested_by_id == world.editor.id
    assert export_jobs.run_job(first.id) is True
    assert export_jobs.run_job(first.id) is False  # done: nothing to claim
    world.db.expire_all()
    later = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    assert later.id != first.id and later.status == "queued"


def test_run_job_shows_its_progress_and_stores_the_zip(
    world: World,  # noqa: F811
    app: Flask,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    round_ = world.open_round()
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    seen: list[tuple[str, int, str]] = []
    build = package.build_package

    def watched(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def report(percent: int, step: str) -> None:
            progress(percent, step)
            row = _fresh(app, job.id)  # committed: others see it at once
            seen.append((row.status, row.progress, row.step))

        return build(*args, progress=report, **kwargs)

    monkeypatch.setattr(package, "build_package", watched)
    assert export_jobs.run_job(job.id) is True
    assert seen and all(status == "running" for status, _p, _s in seen)
    assert [p for _s, p, _t in seen] == sorted(p for _s, p, _t in seen)
    assert any("Abwägungstabelle" in step for _s, _p, step in seen)
    done = _fresh(app, job.id)
    assert done.status == "done" and done.progress == 100 and done.finished_at is not None
    assert done.lease_until is None and done.attempts == 1 and done.error is None
    assert done.content is not None and done.size == len(done.content)
    assert done.mimetype == "application/zip" and done.file_name and done.sha512
    assert "oparl.json" in zipfile.ZipFile(io.BytesIO(done.content)).namelist()
    files = dict(export_jobs.package_files(done))
    assert files["oparl.json"] > 0
    world.db.expire_all()
    found = export_jobs.job_file(world.db, job.id, actor=world.editor)
    assert found.content == done.content


def test_a_failure_is_recorded_with_a_german_message(
    world: World,  # noqa: F811
    app: Flask,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    round_ = world.open_round()
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)

    def broken(*args: Any, **kwargs: Any) -> Any:
        kwargs["progress"](10, "Verfahrensbericht …")
        raise RuntimeError("kaputt")

    monkeypatch.setattr(package, "build_package", broken)
    assert export_jobs.run_job(job.id) is True
    failed = _fresh(app, job.id)
    assert failed.status == "failed" and failed.content is None and failed.lease_until is None
    assert failed.error is not None and "konnte nicht erstellt werden" in failed.error
    assert "kaputt" not in failed.error  # no programmer's text for the editors
    world.db.expire_all()
    with pytest.raises(NotFound):
        export_jobs.job_file(world.db, job.id, actor=world.editor)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise Conflict("Die Runde ist gesperrt.")

    monkeypatch.setattr(package, "build_package", refused)
    world.db.expire_all()
    retry = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    assert retry.id != job.id  # a failed job is not reused
    export_jobs.run_job(retry.id)
    assert _fresh(app, retry.id).error == "Die Runde ist gesperrt."


def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    db = database(app)
    dead = export_jobs.claim(db, job.id)  # a worker claims it, then dies
    assert dead == 1
    assert export_jobs.claim(db, job.id) is None  # its lease still holds
    assert export_jobs.run_job(job.id) is False
    later = utcnow() + export_jobs.LEASE + timedelta(seconds=1)
    taken = export_jobs.claim(db, job.id, now=later)
    assert taken == 2
    with pytest.raises(export_jobs.LostLease):  # the first worker wakes up: its writes fail
        export_jobs._write(db, job.id, dead, progress=50)
    # The new claim's lease is in the (pretend) future: let it expire again and run it.
    world.db.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    assert export_jobs.is_waiting(_fresh(app, job.id))
    assert export_jobs.run_due() == 1
    done = _fresh(app, job.id)
    assert done.status == "done" and done.attempts == 3


def test_a_job_whose_workers_keep_dying_fails(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    world.db.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id)
        .values(
            status="running",
            attempts=export_jobs.MAX_ATTEMPTS,
            lease_until=utcnow() - timedelta(minutes=1),
        )
    )
    assert export_jobs.run_due() == 0
    failed = _fresh(app, job.id)
    assert failed.status == "failed" and failed.error and "abgebrochen" in failed.error


def test_a_new_request_replaces_a_job_whose_workers_kept_dying(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    world.db.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id)
        .values(status="running", attempts=1, lease_until=utcnow() - timedelta(minutes=1))
    )
    world.db.expire_all()
    # Its worker died once: the job is taken over, not started again.
    assert export_jobs.request_package(world.db, round_.id, actor=world.editor).id == job.id
    world.db.execute(
        update(ExportJob).where(ExportJob.id == job.id).values(attempts=export_jobs.MAX_ATTEMPTS)
    )
    world.db.expire_all()
    fresh = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    assert fresh.id != job.id and fresh.status == "queued"
    world.db.flush()
    assert _fresh(app, job.id).status == "failed"


def test_only_editors_request_and_see_jobs(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    for user in (world.alice, world.observer, world.mayor):
        with pytest.raises(NotPermitted):
            export_jobs.request_package(world.db, round_.id, actor=user)
    assert world.db.scalars(select(ExportJob)).all() == []
    job = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    with pytest.raises(NotPermitted):
        export_jobs.job_status(world.db, job.id, actor=world.alice)
    with pytest.raises(NotFound):
        export_jobs.job_status(world.db, job.id + 1000, actor=world.editor)
    assert export_jobs.latest_job(world.db, round_.id, actor=world.editor) is not None


def test_a_newer_package_replaces_the_older_ones(world: World, app: Flask) -> None:  # noqa: F811
    round_ = world.open_round()
    first = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    export_jobs.run_job(first.id)
    world.db.expire_all()
    second = export_jobs.request_package(world.db, round_.id, actor=world.editor)
    export_jobs.run_job(second.id)
    world.db.expire_all()
    ids = world.db.scalars(select(ExportJob.id).where(ExportJob.round_id == round_.id)).all()
    assert list(ids) == [second.id]
