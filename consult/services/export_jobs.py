"""Building a round's committee package as a job recorded in the database
(:class:`ExportJob`), so that it survives a worker restart and works with several workers.

- :func:`request_package` (an editor's click) records a queued job, or returns the round's
  queued or running one: two clicks, two workers, never two builds. The check and the
  insert run under a lock on the round's name (PostgreSQL: an advisory transaction lock;
  SQLite: the write transaction's lock), so concurrent requests see each other's job.
- :func:`run_job` claims a job with one conditional UPDATE (queued, or running with an
  expired lease) and a new attempt number, which is its claim: every later write names it,
  so a worker that lost its lease cannot overwrite the one that took over. It builds the
  package in a reading transaction and writes the progress, each step in a short write
  transaction of its own (others see it at once; SQLite's write lock is never held while
  PDFs are rendered), then the file, or "failed" with a German message.
- :class:`consult.services.export_worker.ExportWorker` runs :func:`run_due` in a thread of
  each process; ``flask --app consult exports run`` runs it from cron or tests.
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from consult.db import Database, utcnow
from consult.errors import NotFound, ServiceError
from consult.models import ExportJob, ExportJobStatus, Round, User
from consult.services import audit, package
from consult.services.export_files import ZIP, ExportFile
from consult.services.locks import lock_name

log = logging.getLogger(__name__)

#: How long a worker holds a claimed job without a sign of life (each step renews it).
LEASE = timedelta(minutes=2)
#: Claims of one job at most (a job whose workers died this often fails).
MAX_ATTEMPTS = 3
KIND = "package"

QUEUED = ExportJobStatus.QUEUED.value
RUNNING = ExportJobStatus.RUNNING.value
DONE = ExportJobStatus.DONE.value
FAILED = ExportJobStatus.FAILED.value


class LostLease(Exception):
    """Another worker took the job over (this one was presumed dead)."""


def request_package(session: Session, round_id: int, *, actor: object) -> ExportJob:
    """Ask for the round's committee package to be built: a new queued job, or the
    round's job that is queued or running already. Raises NotFound, NotPermitted (editors
    only, see services.package.package_round)."""
    round_ = package.package_round(session, round_id, actor=actor)
    lock_name(session, f"export package {round_.id}")
    now = utcnow()
    active = session.scalars(
        select(ExportJob)
        .where(
            ExportJob.round_id == round_.id,
            ExportJob.kind == KIND,
            ExportJob.status.in_((QUEUED, RUNNING)),
        )
        .order_by(ExportJob.id.desc())
        .limit(1)
    ).first()
    if active is not None:
        # A running job whose worker died is taken over by the next worker, unless its
        # workers died too often: then it fails and a new one starts.
        if active.attempts < MAX_ATTEMPTS or not is_waiting(active, now):
            return active
        active.status, active.finished_at, active.lease_until = FAILED, now, None
        active.error = _("Das Paket wurde mehrmals abgebrochen. Bitte erneut anfordern.")
    job = ExportJob(
        kind=KIND,
        round_id=round_.id,
        requested_by_id=getattr(actor, "id", None),
        status=QUEUED,
        progress=0,
        step=_("Wartet auf den Start …"),
        created_at=now,
        attempts=0,
    )
    session.add(job)
    session.flush()
    return job


def job_status(session: Session, job_id: int, *, actor: object) -> ExportJob:
    """A package job of a round the actor may build the package of. Raises NotFound
    (unknown job or round), NotPermitted (not an editor)."""
    job = session.get(ExportJob, job_id)
    if job is None or job.kind != KIND:
        raise NotFound(_("Diesen Auftrag gibt es nicht (mehr)."))
    package.package_round(session, job.round_id, actor=actor)
    return job


def latest_job(session: Session, round_id: int, *, actor: object) -> ExportJob | None:
    """The round's newest package job, if any. Raises NotFound, NotPermitted."""
    round_ = package.package_round(session, round_id, actor=actor)
    return session.scalars(
        select(ExportJob)
        .where(ExportJob.round_id == round_.id, ExportJob.kind == KIND)
        .order_by(ExportJob.id.desc())
        .limit(1)
    ).first()


def package_files(job: ExportJob) -> list[tuple[str, int]]:
    """The paths and sizes of what a finished job's ZIP holds (empty before). Raises
    nothing (a stored ZIP that does not open lists nothing)."""
    if job.status != DONE or not job.content:
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(job.content)) as archive:
            return [(i.filename, i.file_size) for i in archive.infolist()]
    except zipfile.BadZipFile:
        log.error("export job %s: the stored ZIP does not open", job.id)
        return []


def job_file(session: Session, job_id: int, *, actor: object) -> ExportFile:
    """The ZIP of a finished job. Raises NotFound (unknown job, or not finished: nothing
    to download), NotPermitted (not an editor)."""
    job = job_status(session, job_id, actor=actor)
    if job.status != DONE or job.content is None:
        raise NotFound(_("Das Paket ist noch nicht fertig."), code="not_ready")
    round_ = session.get(Round, job.round_id)
    audit.record(
        session,
        actor=actor,
        action="export.package",
        object_type="round",
        object_id=job.round_id,
        consultation_id=round_.consultation_id if round_ is not None else None,
        details={"job": job.id},
    )
    return ExportFile(job.content, job.mimetype or ZIP, job.file_name or "sitzungsunterlagen.zip")


def is_waiting(job: ExportJob, now: datetime | None = None) -> bool:
    """Whether a worker should take the job up (queued, or its worker stopped)."""
    now = now or utcnow()
    return job.status == QUEUED or (
        job.status == RUNNING and (job.lease_until is None or job.lease_until <= now)
    )


# --- running jobs (own transactions: called outside any request's session) -------------


def _claimable(now: datetime) -> Any:
    return (
        ExportJob.kind == KIND,
        ExportJob.attempts < MAX_ATTEMPTS,
        or_(
            ExportJob.status == QUEUED,
            (ExportJob.status == RUNNING)
            & or_(ExportJob.lease_until.is_(None), ExportJob.lease_until <= now),
        ),
    )


def claim(database: Database, job_id: int, now: datetime | None = None) -> int | None:
    """Claim the job if it is waiting; returns the claim (its attempt number), or None
    when it is done, failed, or running under another worker's lease."""
    now = now or utcnow()
    with database.session_scope(write=True) as session:
        attempts = session.scalar(select(ExportJob.attempts).where(ExportJob.id == job_id))
        if attempts is None:
            return None
        claimed = session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.attempts == attempts, *_claimable(now))
            .values(
                status=RUNNING,
                attempts=attempts + 1,
                lease_until=now + LEASE,
                started_at=now,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return attempts + 1 if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _write(database: Database, job_id: int, token: int, **values: Any) -> None:
    """Update the job while this worker's claim stands. Raises LostLease otherwise."""
    with database.session_scope(write=True) as session:
        done = session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.attempts == token, ExportJob.status == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LostLease(job_id)


def run_job(job_id: int, *, database: Database | None = None) -> bool:
    """Claim the job and build its package; returns whether this call built it (False:
    another worker has it, or it is finished). Needs an app context (templates,
    translations). Raises nothing: a failed build is recorded in the job."""
    from consult.db import database as app_database

    database = database or app_database()
    token = claim(database, job_id)
    if token is None:
        return False

    def progress(percent: int, step: str) -> None:
        values = {"progress": max(0, min(percent, 99)), "step": step[:200]}
        _write(database, job_id, token, lease_until=utcnow() + LEASE, **values)

    error: str | None = None
    made = None
    with database.session_scope(write=False) as session:
        job = session.get(ExportJob, job_id)
        assert job is not None
        actor = session.get(User, job.requested_by_id) if job.requested_by_id else None
        try:
            if actor is None or not actor.is_active:
                error = _("Wer das Paket angefordert hat, hat keinen Zugang mehr.")
            else:
                made = package.build_package(session, job.round_id, actor=actor, progress=progress)
        except LostLease:
            log.warning("export job %s: taken over by another worker", job_id)
            return False
        except ServiceError as exc:
            error = exc.message
        except Exception:
            log.exception("export job %s failed", job_id)
            error = _(
                "Das Paket konnte nicht erstellt werden (ein Fehler im Programm). Bitte "
                "versuchen Sie es noch einmal oder wenden Sie sich an die Administration."
            )
        round_id = job.round_id
    now = utcnow()
    try:
        if made is None:
            _write(
                database,
                job_id,
                token,
                status=FAILED,
                error=error,
                finished_at=now,
                lease_until=None,
                step=_("Fehlgeschlagen"),
            )
            return True
        _write(
            database, job_id, token,
            status=DONE, progress=100, step=_("Fertig"), finished_at=now, lease_until=None,
            file_name=made.filename, mimetype=made.mimetype, size=made.size,
            sha512=made.sha512, content=made.content,
        )  # fmt: skip
    except LostLease:
        log.warning("export job %s: taken over by another worker", job_id)
        return False
    with database.session_scope(write=True) as session:
        # The newest package replaces the older ones of the round (their pages: 404).
        session.execute(
            delete(ExportJob).where(
                ExportJob.round_id == round_id,
                ExportJob.kind == KIND,
                ExportJob.id < job_id,
                ExportJob.status.in_((DONE, FAILED)),
            )
        )
    return True


def give_up_stale(database: Database, now: datetime | None = None) -> int:
    """Mark failed the jobs whose workers died :data:`MAX_ATTEMPTS` times; returns how
    many. Raises nothing."""
    now = now or utcnow()
    with database.session_scope(write=True) as session:
        result = session.execute(
            update(ExportJob)
            .where(
                ExportJob.status == RUNNING,
                ExportJob.attempts >= MAX_ATTEMPTS,
                ExportJob.lease_until <= now,
            )
            .values(
                status=FAILED,
                finished_at=now,
                lease_until=None,
                error=_("Das Paket wurde mehrmals abgebrochen. Bitte erneut anfordern."),
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def run_due(database: Database | None = None) -> int:
    """Build every waiting job (queued, or whose worker's lease expired), one after the
    other; returns how many this call built. Safe with any number of callers at once.
    Raises nothing."""
    from consult.db import database as app_database

    database = database or app_database()
    built = 0
    give_up_stale(database)
    tried: set[int] = set()
    while True:
        with database.session_scope(write=False) as session:
            waiting = session.scalars(
                select(ExportJob.id)
                .where(*_claimable(utcnow()), *([ExportJob.id.not_in(tried)] if tried else []))
                .order_by(ExportJob.id)
                .limit(1)
            ).first()
        if waiting is None:
            return built
        tried.add(waiting)
        if run_job(waiting, database=database):
            built += 1
