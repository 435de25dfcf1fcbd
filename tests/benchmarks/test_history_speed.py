"""The consultation page as fast at 6 revisions as at 2 (issue 8, item 7).

Two consultations of the revision benchmark's 200-section draft: one with 2 published
revisions, one with 6, each revision a copy of the one before with 20 sections edited.
The consultation page (``/consultations/{id}``: the revisions with what each changed)
is requested by an editor, each request in an app context (a database session) of its
own; the median of several runs after one warm-up. What a published revision changed
is counted when it is published, so the page reads the counts instead of comparing
every revision with the one before: at 6 revisions it may take at most LIMIT times its
time at 2 (CPU time, as the other benchmarks check; wall time printed beside).

Run with ``make bench`` to see the figures.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable

from sqlalchemy.orm import Session

from consult.models import Consultation, Membership, User
from consult.services import consultations as consultation_service
from consult.services import draft_sections, drafts
from consult.services import revisions as service
from tests.benchmarks.test_revisions_speed import CHANGED, Timing, big_markdown, edit, timed_get
from tests.conftest import CSRFClient

RUNS = 45
#: At 6 revisions the page may take this many times its time at 2.
LIMIT = 1.3


def consultation_with(
    db: Session, admin: User, editor: User, revisions: int, markdown: str
) -> Consultation:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title=f"Integrationskonzept ({revisions} Fassungen)"
    )
    membership = Membership(consultation_id=consultation.id, user_id=editor.id, role="editor")
    db.add(membership)
    db.flush()
    rng = random.Random(revisions)
    revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=markdown)
    drafts.publish(db, revision.id, actor=editor)
    for _ in range(revisions - 1):
        revision = drafts.copy_revision(db, revision.id, actor=editor)
        placements = service.outline(db, revision).placements
        for placement in rng.sample(placements, CHANGED):
            draft_sections.update_section(
                db,
                revision.id,
                placement.section_id,
                actor=editor,
                base_version_id=placement.version_id,
                body=edit(placement.version.body, rng),
            )
        drafts.publish(db, revision.id, actor=editor)
    db.commit()
    return consultation


def test_consultation_page_as_fast_at_6_revisions_as_at_2(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    login: Callable[[User], CSRFClient],
) -> None:
    editor = make_user()
    markdown = big_markdown()
    few = consultation_with(db, admin, editor, 2, markdown)
    many = consultation_with(db, admin, editor, 6, markdown)
    client = login(editor)
    client.get("/")
    urls = {2: f"/consultations/{few.id}", 6: f"/consultations/{many.id}"}
    timings = {count: Timing([], []) for count in urls}
    for url in urls.values():
        timed_get(client, url)  # warm-up
    # Alternating request by request, so that both see the same machine.
    for _ in range(RUNS):
        for count, url in urls.items():
            wall, cpu = timed_get(client, url)
            timings[count].wall.append(wall)
            timings[count].cpu.append(cpu)
    page = client.get(f"/consultations/{many.id}").get_data()
    print(
        f"\n\nConsultation page: {len(page) / 1000:.1f} KB at 6 revisions of 200 sections, "
        f"{CHANGED} changed per revision; median of {RUNS} requests after a warm-up"
    )
    print(timings[2].line("2 revisions", None))
    print(timings[6].line("6 revisions", None))
    few_cpu, many_cpu = (statistics.median(timings[n].cpu) for n in (2, 6))
    print(f"  6 : 2 revisions = {many_cpu / few_cpu:.2f} (limit {LIMIT})")
    assert many_cpu <= LIMIT * few_cpu
