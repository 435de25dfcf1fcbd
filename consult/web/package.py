"""The committee package's page (Sitzungsunterlagen, editors only): build it as a job, watch
its progress (a bar updated by static/js/package-progress.js, or without JavaScript a page
that refreshes itself every two seconds while the job runs), download the ZIP."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session
from consult.errors import NotFound
from consult.models import Consultation, ExportJob
from consult.services import export_jobs, export_worker, package
from consult.web.exports import send

bp = Blueprint("package", __name__)


def size_text(size: int) -> str:
    """A file's size as people read it: "2,3 MB", "740 KB"."""
    if size >= 1024 * 1024:
        return str(_("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1))))
    return str(_("%(n)s KB", n=format_decimal(max(1, round(size / 1024)))))


def _job(round_id: int, job_id: int) -> ExportJob:
    job = export_jobs.job_status(get_session(), job_id, actor=current_user)
    if job.round_id != round_id:
        raise NotFound(_("Diesen Auftrag gibt es nicht (mehr)."))
    return job


@bp.route("/rounds/<int:round_id>/package")
def page(round_id: int) -> ResponseReturnValue:
    """What the package holds, the button that builds it, the round's latest job."""
    db = get_session()
    round_ = package.package_round(db, round_id, actor=current_user)
    latest = export_jobs.latest_job(db, round_id, actor=current_user)
    return render_template(
        "package/page.html",
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        latest=latest,
        files=export_jobs.package_files(latest) if latest is not None else [],
        size_text=size_text,
    )


@bp.post("/rounds/<int:round_id>/package")
def build(round_id: int) -> ResponseReturnValue:
    """Start the build (or join the one running) and go to its progress."""
    db = get_session()
    job = export_jobs.request_package(db, round_id, actor=current_user)
    export_worker.poke_after_commit(db)
    return redirect(url_for("package.job", round_id=round_id, job_id=job.id), 303)


@bp.route("/rounds/<int:round_id>/package/jobs/<int:job_id>")
def job(round_id: int, job_id: int) -> ResponseReturnValue:
    """The job's progress; when done the download and the list of files."""
    db = get_session()
    found = _job(round_id, job_id)
    if export_jobs.is_waiting(found):
        export_worker.poke()
    round_ = package.package_round(db, round_id, actor=current_user)
    return render_template(
        "package/job.html",
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        job=found,
        files=export_jobs.package_files(found),
        running=found.status in (export_jobs.QUEUED, export_jobs.RUNNING),
        size_text=size_text,
    )


@bp.route("/rounds/<int:round_id>/package/jobs/<int:job_id>/file")
def file(round_id: int, job_id: int) -> ResponseReturnValue:
    """The finished ZIP (404 before it is done)."""
    _job(round_id, job_id)
    return send(export_jobs.job_file(get_session(), job_id, actor=current_user))
