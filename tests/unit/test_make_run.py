"""`make run` on another port, and a clear word when the port is taken (issue 10, item 10).

The Makefile checks HOST:PORT (``make check-port``, also the first step of ``make run``)
before it installs anything or says that consult runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(ROOT), f"PYTHON={sys.executable}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_taken_port_stops_with_a_message_naming_it_and_how_to_choose_another(
    taken_port: int,
) -> None:
    result = make("check-port", f"PORT={taken_port}")
    assert result.returncode != 0
    assert f"Port {taken_port} ist schon belegt" in result.stderr
    assert "make run PORT=" in result.stderr
    assert "läuft auf" not in result.stdout + result.stderr


def test_a_free_port_passes_silently() -> None:
    result = make("check-port", f"PORT={free_port()}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""


def test_only_the_command_line_chooses_host_and_port() -> None:
    """Some shells export HOST (the machine's name) or PORT: make run does not serve
    there unless asked on the command line."""
    result = make("check-port", f"PORT={free_port()}", env={"HOST": "host.invalid"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (["PORT=fünf"], "PORT=fünf ist keine Portnummer"),
        (["PORT=70000"], "PORT=70000 ist keine Portnummer"),
        (["HOST=host.invalid"], "HOST=host.invalid ist keine Adresse dieses Rechners"),
    ],
)
def test_no_port_or_no_address_of_this_machine_is_named(variables: list[str], message: str) -> None:
    result = make("check-port", *variables)
    assert result.returncode != 0
    assert message in result.stderr


def test_run_checks_the_port_first_and_serves_where_asked() -> None:
    """`make -n` lists the commands without running them: the check comes before
    everything else, and again right before the message that consult runs."""
    result = make("-n", "run", "PORT=5001", "HOST=0.0.0.0")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    checks = [n for n, line in enumerate(lines) if '"$PORT_CHECK" "0.0.0.0" "5001"' in line]
    [running] = [n for n, line in enumerate(lines) if "consult läuft auf" in line]
    assert checks[0] == 0 and checks[-1] == running - 1
    assert "http://0.0.0.0:5001" in lines[running]
    assert lines[-1].endswith('run --host "0.0.0.0" --port "5001"')
