"""The floor of the reading view: a WSGI app that serves one page's bytes from memory.

``gunicorn tests.benchmarks.static_page:app`` with ``FLOOR_PAGE`` naming a file: every
request, whatever its path, gets that file's bytes, read once at start-up, as
``text/html``. What a request to it costs (connection, HTTP, moving the bytes) is what
any answer of the same size costs on the same server; the reading view can only add to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PAGE = Path(os.environ["FLOOR_PAGE"]).read_bytes()
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(len(PAGE))),
]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer any request with the page."""
    start_response("200 OK", HEADERS)
    return [PAGE]
