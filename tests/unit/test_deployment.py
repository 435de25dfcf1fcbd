"""How the app may be served: several workers need a shared rate-limit store.

Under ``gunicorn --workers 4`` with rate limits counted in memory, each worker counts
on its own: four times the attempts, and which worker answers is chance. The app
refuses to start that way and says what to do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from consult import create_app, deployment
from consult.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def app_with(tmp_path: Path, storage: str):  # type: ignore[no-untyped-def]
    return create_app(
        Settings(
            instance_path=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            secret_key="x" * 32,
            ratelimit_storage_uri=storage,
        )
    )


def test_memory_limits_are_refused_under_several_workers(tmp_path: Path) -> None:
    app = app_with(tmp_path, "memory://")
    with pytest.raises(deployment.DeploymentError, match="CONSULT_RATELIMIT_STORAGE_URI"):
        deployment.check(app, workers=4)
    deployment.check(app, workers=1)  # one process: memory is shared by all its threads
    deployment.check(app)  # not under gunicorn (flask run, tests)


def test_a_shared_store_is_accepted_under_several_workers(tmp_path: Path) -> None:
    deployment.check(app_with(tmp_path, "redis://localhost:6379/0"), workers=4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_gunicorn_with_two_workers_and_memory_limits_does_not_start(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {
        **os.environ,
        "CONSULT_INSTANCE_PATH": str(tmp_path),
        "CONSULT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "CONSULT_RATELIMIT_STORAGE_URI": "memory://",
    }
    result = subprocess.run(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{_free_port()}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "served by 2 worker processes" in result.stderr
    assert "CONSULT_RATELIMIT_STORAGE_URI" in result.stderr


def test_gunicorn_workers_are_read_as_gunicorn_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import gunicorn  # noqa: F401  (imported, as in a worker)

    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/gunicorn", "-w", "3", "wsgi:app"])
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    assert deployment.gunicorn_workers() == 3
    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/gunicorn", "wsgi:app"])
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 5")
    assert deployment.gunicorn_workers() == 5
    monkeypatch.setattr(sys, "argv", ["flask", "run"])
    assert deployment.gunicorn_workers() is None
