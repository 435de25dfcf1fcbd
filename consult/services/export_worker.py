"""Builds requested committee packages in one background thread per process, as the mail
worker delivers mail (consult.services.mail.MailWorker): woken when a job is requested or
its page is polled, it runs :func:`consult.services.export_jobs.run_due` (every queued
job, and every job whose worker's lease expired: a job survives a restart). Several
processes may each run one; the claim in the database lets one build each job.

Where mail is delivered in the request (``CONSULT_MAIL_DELIVERY=sync``: the tests), no
thread is started: the tests, cron or ``flask --app consult exports run`` build the jobs.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.db import database as db_for
from consult.services import export_jobs

log = logging.getLogger(__name__)

EXTENSION = "consult_export_worker"


class ExportWorker:
    """One background thread per process that builds waiting package jobs."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def poke(self) -> None:
        """Build what is waiting soon (starts the thread in this process if needed)."""
        with self._lock:
            # A forked worker (gunicorn --preload) inherits the object, not the thread.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name="consult-exports", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        wake = self._wake
        while True:
            wake.wait()
            wake.clear()
            self.run_now()

    def run_now(self) -> int:
        with self.app.app_context():
            try:
                return export_jobs.run_due(db_for(self.app))
            except Exception:
                log.exception("building the waiting export jobs failed")
                return 0


def worker(app: Flask) -> ExportWorker:
    """The app's worker (made on first use). Raises nothing."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(EXTENSION, ExportWorker(app))
    assert isinstance(found, ExportWorker)
    return found


def in_background(app: Flask) -> bool:
    """Whether this app builds jobs in a thread (where it delivers mail in one)."""
    return bool(app.extensions["consult_settings"].mail_delivery == "thread")


def poke_after_commit(session: Session) -> None:
    """Wake this process's worker once the session's transaction has committed (the
    worker's own transactions then see the job). Does nothing where jobs are not built
    in the background. Raises nothing."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not in_background(app):
        return

    def _poke(_session: Session) -> None:
        worker(app).poke()

    event.listen(session, "after_commit", _poke, once=True)


def poke(app: Flask | None = None) -> None:
    """Wake this process's worker now (a status poll saw a job waiting). Raises nothing."""
    found: Flask = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if in_background(found):
        worker(found).poke()
