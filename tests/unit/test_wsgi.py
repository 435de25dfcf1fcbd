"""The production entry point builds the app and keeps its start-up heap frozen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wsgi_builds_the_app_and_freezes_what_start_up_made(tmp_path: Path) -> None:
    script = "import gc, wsgi; print(type(wsgi.app).__name__, gc.get_freeze_count() > 10_000)"
    env = {**os.environ, "CONSULT_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    name, frozen = result.stdout.split()
    assert (name, frozen) == ("Flask", "True")
