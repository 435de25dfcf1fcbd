"""The committee package of the demo's rounds (issue 13, items 5 and 8): built in at most
ten seconds each, as the job does it (procedure report, latest revision as PDF and DOCX,
synopsis, response table as PDF and XLSX, statements annex, attachments, oparl.json).

Printed: the time, the ZIP's size, its number of files and the pages of each PDF. Run
with ``make bench`` (or ``pytest -s tests/benchmarks/test_package_speed.py``).
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import demo
from consult.models import Round, User
from consult.services import package

#: Most the package of a demo round may take (seconds).
LIMIT = 10.0
#: The round the demo's package is made for (closed, with the fullest records), and the
#: round that also has the municipalities' statements.
ROUNDS = ("1. Stufe: Arbeitskreise", "1. Stufe: Stellungnahmen der Kommunen")


@pytest.fixture
def loaded(db: Session, monkeypatch: pytest.MonkeyPatch) -> Session:
    def fast(password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(demo, "generate_password_hash", fast)
    demo.load_demo(db)
    db.flush()
    return db


@pytest.mark.parametrize("title", ROUNDS)
def test_the_demo_package_is_built_in_ten_seconds(loaded: Session, title: str) -> None:
    round_ = loaded.scalar(select(Round).where(Round.title == title))
    editor = loaded.scalar(select(User).where(User.email == "redaktion@consult.example"))
    assert round_ is not None and editor is not None
    started = time.perf_counter()
    package.build_package(loaded, round_.id, actor=editor)  # also loads WeasyPrint's fonts
    first = time.perf_counter() - started
    started = time.perf_counter()
    made = package.build_package(loaded, round_.id, actor=editor)
    seconds = time.perf_counter() - started
    archive = zipfile.ZipFile(io.BytesIO(made.content))
    names = archive.namelist()
    print(
        f"\npackage of {title!r}: {seconds:.2f} s (the first in the process {first:.2f} s), "
        f"{made.size / 1024:.0f} KB, {len(names)} files"
    )
    for name in names:
        content = archive.read(name)
        pages = ""
        if name.endswith(".pdf"):
            pages = f", {len(PdfReader(io.BytesIO(content)).pages)} pages"
        print(f"  {name}: {len(content) / 1024:.0f} KB{pages}")
    paper = json.loads(archive.read("oparl.json"))
    assert paper["mainFile"]["accessUrl"] == "01-verfahrensbericht.pdf"
    assert len(paper["auxiliaryFile"]) == len(names) - 3  # not: main, oparl.json, README
    slowest = max(first, seconds)
    assert slowest <= LIMIT, f"the package took {slowest:.1f} s (at most {LIMIT:.0f})"
