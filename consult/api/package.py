"""The committee package of a round (API.md, Exports: ``GET /rounds/{id}/package``), and
beyond API.md the jobs that build it in the background with their progress (README,
"Sitzungsunterlagen"). Editors only."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.exports import download
from consult.api.registry import operation
from consult.db import get_session
from consult.models import ExportJob
from consult.schemas import package as schemas
from consult.services import export_jobs, export_worker, package
from consult.services.export_files import ZIP

TAG = "exports"


def job_json(job: ExportJob) -> dict[str, Any]:
    done = job.status == export_jobs.DONE
    return {
        "id": job.id,
        "round_id": job.round_id,
        "status": job.status,
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "file_name": job.file_name if done else None,
        "size": job.size if done else None,
        "sha512": job.sha512 if done else None,
        "files": [{"path": p, "size": s} for p, s in export_jobs.package_files(job)],
        "url": url_for("api.get_package_job", job_id=job.id),
        "file_url": url_for("api.get_package_job_file", job_id=job.id) if done else None,
    }


@bp.get("/rounds/<int:round_id>/package")
@operation(
    "The committee package of the round (ZIP): report, latest revision, synopsis, response "
    "table and statements annex as PDF, the revision as DOCX, the table as XLSX, the "
    "statements' attachments and oparl.json (an OParl 1.1 Paper)",
    tag=TAG,
    errors=(401, 403, 404),
    files=(ZIP,),
    description="Editors only. Built in this request from the records as they are now "
    "(a few seconds), so it is always current; to build it in the background with "
    "progress, use POST /rounds/{id}/package/jobs.",
)
def get_package(round_id: int) -> ResponseReturnValue:
    return download(package.build_package(get_session(), round_id, actor=api_user()))


@bp.post("/rounds/<int:round_id>/package/jobs")
@operation(
    "Build the committee package in the background (beyond API.md): 202 with the job; "
    "the round's queued or running job when there is one",
    tag=TAG,
    status=202,
    response=schemas.PackageJobOut,
    errors=(401, 403, 404),
    description="Editors only. Any number of requests at once start one build. Poll "
    "GET /package-jobs/{id} until `status` is `done` (then GET /package-jobs/{id}/file) "
    "or `failed` (`error` says why).",
)
def request_package_job(round_id: int) -> ResponseReturnValue:
    session = get_session()
    job = export_jobs.request_package(session, round_id, actor=api_user())
    export_worker.poke_after_commit(session)
    body = job_json(job)
    return body, 202, {"Location": body["url"]}


@bp.get("/package-jobs/<int:job_id>")
@operation(
    "A committee package job: status (queued, running, done, failed), progress 0..100, "
    "the step being done, and when done the files in the ZIP (beyond API.md)",
    tag=TAG,
    response=schemas.PackageJobOut,
    errors=(401, 403, 404),
)
def get_package_job(job_id: int) -> ResponseReturnValue:
    job = export_jobs.job_status(get_session(), job_id, actor=api_user())
    if export_jobs.is_waiting(job):
        export_worker.poke()  # its worker stopped (a restart): this process takes it up
    return job_json(job)


@bp.get("/package-jobs/<int:job_id>/file")
@operation(
    "The ZIP of a finished committee package job (beyond API.md); 404 before it is done",
    tag=TAG,
    errors=(401, 403, 404),
    files=(ZIP,),
)
def get_package_job_file(job_id: int) -> ResponseReturnValue:
    return download(export_jobs.job_file(get_session(), job_id, actor=api_user()))
