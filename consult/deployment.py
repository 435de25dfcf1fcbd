"""Checks of how the app is served, run once by ``wsgi.py`` before it serves anything.

Under several worker processes (``gunicorn --workers 4``) every process has its own
memory. Rate limits counted in memory (``CONSULT_RATELIMIT_STORAGE_URI=memory://``)
then count per worker: four workers allow four times the attempts, and which worker
answers is chance. So the app refuses to start that way and says what to do.
"""

from __future__ import annotations

import sys

from flask import Flask

from consult.config import Settings


class DeploymentError(RuntimeError):
    """The app cannot be served safely this way (the message says how to fix it)."""


def gunicorn_workers() -> int | None:
    """The number of worker processes of the gunicorn serving this process, if any.

    Read as gunicorn reads it (command line, ``GUNICORN_CMD_ARGS``, ``WEB_CONCURRENCY``
    and the ``-c`` configuration file), since gunicorn hands its settings to no app.
    """
    if "gunicorn" not in sys.modules or "gunicorn" not in sys.argv[0]:
        return None
    from gunicorn.app.wsgiapp import WSGIApplication

    try:
        application = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
    except (SystemExit, Exception):  # not a command line gunicorn understands
        return None
    workers: int = application.cfg.workers
    return workers


def check(app: Flask, *, workers: int | None = None) -> None:
    """Raise DeploymentError if the app would not hold its promises when served this way.

    ``workers``: the number of processes serving the app (default: as gunicorn says).
    """
    settings: Settings = app.extensions["consult_settings"]
    if workers is None:
        workers = gunicorn_workers()
    if workers is not None and workers > 1 and settings.ratelimit_storage_uri.startswith("memory"):
        raise DeploymentError(
            f"consult is served by {workers} worker processes, but the login rate limits "
            "are counted in each process's memory (CONSULT_RATELIMIT_STORAGE_URI=memory://), "
            "so they would not hold. Set CONSULT_RATELIMIT_STORAGE_URI to a shared store, "
            "e.g. redis://localhost:6379/0 (Debian: apt install redis-server), or serve "
            "with --workers 1."
        )
