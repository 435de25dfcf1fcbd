"""Many editors ask for one round's committee package at once: exactly one job is built.

Building the package takes seconds, so it is a job in the database that the server's
background thread (one per worker process: four under gunicorn) and ``flask --app consult
exports run`` from cron pick up. Sixteen clicks at the same moment, on every worker, with
two cron runs alongside, must all get the same job (202), and that job must be claimed
once (``attempts`` 1), finish, and be the round's only one. Flask's test client, one
request at a time, could not show a second build.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from functools import partial

import requests
from sqlalchemy import Engine, select

from consult.models import ExportJob
from tests.servers import Client, Outcome, Seed, Server, run_together, wait_for

CLICKS = 16
BUILD_TIMEOUT = 90.0


def test_many_requests_at_once_build_one_package(
    server: Server, seed: Seed, engine_for_counting: Engine
) -> None:
    mark = server.log_mark()
    url = f"/api/v1/rounds/{seed.round_id}/package/jobs"
    clients = [
        Client(server, f"E{n + 1:02d}", token=seed.editors[n % len(seed.editors)].token)
        for n in range(CLICKS)
    ]
    crons: list[subprocess.Popen[bytes]] = []

    def click(n: int) -> Outcome:
        return clients[n].call("POST", url, "package")

    try:
        crons = [server.cli("exports", "run"), server.cli("exports", "run")]
        outcomes = run_together([partial(click, n) for n in range(CLICKS)])
        assert all(o.status == 202 for o in outcomes), [o.describe() for o in outcomes]
        ids = {o.data["id"] for o in outcomes}
        assert len(ids) == 1, f"{len(ids)} jobs for one round: {sorted(ids)}"
        job_id = ids.pop()

        def finished() -> str | None:
            status = clients[0].call("GET", f"/api/v1/package-jobs/{job_id}", "status")
            assert status.status == 200, status.describe()
            state: str = status.data["status"]
            return state if state in ("done", "failed") else None

        met, state = wait_for(finished, timeout=BUILD_TIMEOUT, interval=0.5)
        assert met and state == "done", f"job {job_id}: {state}\n{server.log_tail()}"
        for process in crons:
            _out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.decode(errors="replace")[-800:]
    finally:
        for client in clients:
            client.close()
        for process in crons:
            if process.poll() is None:
                process.kill()
    server.check_alive()

    with engine_for_counting.connect() as conn:
        rows = conn.execute(
            select(ExportJob.id, ExportJob.status, ExportJob.attempts, ExportJob.size).where(
                ExportJob.round_id == seed.round_id
            )
        ).all()
    assert [(r.id, r.status, r.attempts) for r in rows] == [(job_id, "done", 1)], rows
    response = requests.get(
        server.url(f"/api/v1/package-jobs/{job_id}/file"),
        headers=seed.editors[0].auth,
        timeout=60,
    )
    assert response.status_code == 200 and len(response.content) == rows[0].size
    assert "oparl.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    errors = server.errors(since=mark)
    assert "no exceptions" in errors, errors
