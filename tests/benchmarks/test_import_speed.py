"""DOCX import time against the number of paragraphs (issue 9, item 3).

Documents of 1,000 to 16,000 paragraphs as a concept has them: every tenth a heading,
a third of the rest list items, the others a sentence of prose. In the second series
the document also brings one paragraph style of its own per ten paragraphs (100 to
1,600), and its headings and list items use them: python-docx's ``paragraph.style``
scans every style for every paragraph, so the import before issue 9 grew with
paragraphs × styles (20,000 paragraphs took 16 s, with 2,000 styles of their own 33 s).

Measured: ``docx_to_markdown`` on the file's bytes (unpacking, the checks of the caps,
parsing, reading the body), then ``parse_markdown`` of its result, the median CPU time
of RUNS runs (wall time printed beside; see test_revisions_speed on why CPU time).
Growth must be linear: 16 times the paragraphs may take at most LIMIT times as long
(quadratic growth would be about 256 times).

Run with ``make bench`` to see the figures.
"""

from __future__ import annotations

import statistics
import time

import pytest

from consult.domain.outline import parse_markdown
from consult.services.imports import docx_to_markdown
from tests.services.test_import_limits import repeated, saved, with_styles

SIZES = (1000, 2000, 4000, 8000, 16000)
RUNS = 5
#: time(16,000 paragraphs) / time(1,000) at most (linear: 16; quadratic: about 256).
LIMIT = 24
SENTENCE = "Der Kreis fördert die Sprachkurse für Eltern in allen Kommunen."


def concept(paragraphs: int, own_styles: bool) -> bytes:
    document = repeated(paragraphs, SENTENCE)
    if own_styles:
        headings = with_styles(
            document, [f"Überschrift {1 + n % 3}" for n in range(paragraphs // 20)]
        )
        lists = with_styles(document, [f"Aufzählung {n}" for n in range(paragraphs // 20)])
    else:
        headings = [document.styles[f"Heading {n}"].style_id for n in (1, 2, 3)]
        lists = [document.styles["List Bullet"].style_id, document.styles["List Number"].style_id]
    for n, paragraph in enumerate(document.paragraphs):
        if n % 10 == 0:
            paragraph._p.style = headings[n // 10 % len(headings)]
            paragraph._p.r_lst[0].t_lst[0].text = f"{n // 10 + 1} Handlungsfeld {n // 10 + 1}"
        elif n % 3 == 0:
            paragraph._p.style = lists[n % len(lists)]
    return saved(document)


def import_time(data: bytes) -> tuple[float, float, int]:
    """(median CPU s, median wall s, sections) of converting and parsing ``data``."""
    cpu: list[float] = []
    wall: list[float] = []
    sections = 0
    for _ in range(RUNS):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        sections = len(parse_markdown(docx_to_markdown(data)))
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return statistics.median(cpu), statistics.median(wall), sections


@pytest.mark.parametrize("own_styles", [False, True], ids=["template styles", "own styles"])
def test_docx_import_time_grows_linearly(own_styles: bool) -> None:
    documents = {size: concept(size, own_styles) for size in SIZES}
    import_time(documents[SIZES[0]])  # warm-up: imports, regular expressions
    times = {size: import_time(data) for size, data in documents.items()}
    label = "a paragraph style of their own per 10" if own_styles else "the template's styles"
    print(f"\n\nDOCX import ({label}); median of {RUNS} runs")
    print("  paragraphs  styles   file KB  sections    CPU ms   wall ms   µs CPU per paragraph")
    for size, (cpu, wall, sections) in times.items():
        styles = size // 10 if own_styles else 0
        print(
            f"  {size:10,d}  {styles:6,d}  {len(documents[size]) / 1000:8.1f}  {sections:8,d}"
            f"  {cpu * 1000:8.1f}  {wall * 1000:8.1f}  {cpu / size * 1e6:8.1f}"
        )
    growth = times[SIZES[-1]][0] / times[SIZES[0]][0]
    print(f"  {SIZES[-1]:,d} : {SIZES[0]:,d} paragraphs = {growth:.1f} (limit {LIMIT})")
    assert growth < LIMIT
