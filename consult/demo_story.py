"""The demo consultation's story so far, told through the services as the editors and
participants would have lived it:

1. Fassung 1 goes to the working groups (round "1. Stufe", closed, its deadline extended);
   at the same time the municipalities give formal statements on it (round "1. Stufe:
   Stellungnahmen der Kommunen", closed: some answered, one within the deadline extended
   for it, the others overdue; consult.demo_statements).
2. The county's integration centre weighs every comment and suggestion of that round
   (Abwägung, with response snippets), merges the accepted suggestions and its own edits
   into Fassung 2 (services.merge: every change traced to its suggestion or editor), adds
   the section the police asked for, and publishes the decisions and the response table.
3. Round "2. Stufe" (working groups and municipalities) is open on Fassung 2: feedback
   coming in, some of it assigned, one item decided but not yet published; the
   municipalities' statements in every state (submitted in two versions, a staff draft
   waiting for release, a draft returned, a letter recorded, pending, a later deadline).
4. The editors have begun Fassung 3 and taken up one suggestion by hand.

The people are made up: nobody is e-mailed. Everything is dated relative to now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from consult import demo_texts
from consult.db import utcnow
from consult.demo_feedback import (
    People,
    create_snippets,
    first_round_feedback,
    second_round_feedback,
    section_id,
    weigh_first_round,
)
from consult.demo_statements import at_six_pm, load_statements
from consult.domain.outline import parse_markdown
from consult.models import Consultation, Revision, Round, User, WorkingGroup
from consult.services import (
    decisions,
    draft_sections,
    drafts,
    merge,
    responses,
    revisions,
    rounds,
    working_groups,
)
from consult.services.consultations import set_member

#: The notes of the revisions.
FIRST_NOTE = "Entwurf nach den Sitzungen der Arbeitskreise"
SECOND_NOTE = "Überarbeitung nach der ersten Beteiligungsrunde"
THIRD_NOTE = "Überarbeitung nach der 2. Stufe (begonnen)"


def _dated(revision: Revision, when: datetime) -> None:
    """Date a revision as if it had been written and published then (the services stamp
    it with the moment the demo is loaded)."""
    revision.created_at = when
    if revision.published_at is not None:
        revision.published_at = when


def load_story(session: Session, consultation: Consultation, users: dict[str, User]) -> None:
    """Tell the story (above) unless the consultation has a revision already."""
    if revisions.latest_revision(session, consultation.id) is not None:
        return
    people = People(
        editor=users["redaktion@consult.example"],
        caritas=users["caritas@consult.example"],
        police=users["polizei@consult.example"],
        association=users["kulturverein@consult.example"],
        siegburg=users["buergermeister.siegburg@consult.example"],
        much=users["buergermeisterin.much@consult.example"],
    )
    now = utcnow()
    opened = now - timedelta(days=60)
    first = drafts.create_from_markdown(
        session,
        consultation.id,
        actor=people.editor,
        markdown=demo_texts.read("integrationskonzept_v1.md"),
        note=FIRST_NOTE,
    )
    drafts.publish(session, first.id, actor=people.editor)
    _dated(first, opened - timedelta(days=3))
    groups = _working_groups(session, consultation, first, people)
    first_round = _first_round(session, consultation, first, groups, people, now)
    snippets = create_snippets(session, consultation, people.editor)
    weigh_first_round(session, first_round, people, snippets, now)
    second = _second_revision(session, consultation, first, people)
    _dated(second, now - timedelta(days=14))
    decisions.publish_decisions(
        session, first_round, actor=people.editor, now=now - timedelta(days=14), notify=False
    )
    responses.publish_responses(
        session, first_round, actor=people.editor, now=now - timedelta(days=13)
    )
    current = _second_round(session, consultation, second, groups, people, snippets, now)
    load_statements(session, consultation, first, current, users, snippets, now)
    _third_draft(session, second, people)


def _working_groups(
    session: Session, consultation: Consultation, first: Revision, people: People
) -> list[WorkingGroup]:
    editor = people.editor
    education = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Bildung und Sprache",
        section_ids=[section_id(session, first.id, k) for k in ("3.1", "3.1.1", "3.1.2")],
        description="Kitas, Schulen, Volkshochschule, Elternvereine",
    )
    work = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Arbeit und Gesundheit",
        section_ids=[section_id(session, first.id, k) for k in ("3.2", "3.3")],
    )
    safety = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Sicherheit und Zusammenhalt",
        section_ids=[section_id(session, first.id, k) for k in ("3.5",)],
    )
    for user, groups in (
        (people.caritas, [education.id, work.id]),
        (people.association, [education.id]),
        (people.police, [safety.id]),
    ):
        set_member(
            session,
            consultation.id,
            user.id,
            actor=editor,
            role="participant",
            working_group_ids=groups,
        )
    return [education, work, safety]


def _first_round(
    session: Session,
    consultation: Consultation,
    first: Revision,
    groups: list[WorkingGroup],
    people: People,
    now: datetime,
) -> int:
    """Round 1 (closed): the working groups on Fassung 1, with their feedback."""
    editor = people.editor
    opened = now - timedelta(days=60)
    round_ = rounds.create_round(
        session,
        consultation.id,
        actor=editor,
        revision_id=first.id,
        title="1. Stufe: Arbeitskreise",
        opens_at=opened,
        closes_at=now - timedelta(days=30),
        working_group_ids=[g.id for g in groups],
        visibility="round",
        description="Bitte prüfen Sie den Entwurf vor allem in Ihren Handlungsfeldern.",
        now=opened,
        notify=False,
    )
    during = opened + timedelta(days=10)
    rounds.extend_round(
        session,
        round_.id,
        actor=editor,
        closes_at=now - timedelta(days=25),
        reason="Die Sommerferien fielen in die Frist; die Wohlfahrtsverbände baten um "
        "fünf Tage mehr.",
        now=during,
    )
    first_round_feedback(session, first, people, during)
    return round_.id


def _second_revision(
    session: Session, consultation: Consultation, first: Revision, people: People
) -> Revision:
    """Fassung 2: the accepted suggestions of round 1 merged into Fassung 1, with the
    editors' own edits in the same step (services.merge traces each change to its
    suggestion or editor); then the section the police asked for; published. Its text is
    integrationskonzept_v2.md."""
    editor = people.editor
    wanted = {s.key: s for s in parse_markdown(demo_texts.read("integrationskonzept_v2.md"))}
    planned = merge.plan(session, first.id, actor=editor)
    edits = {}
    for placement in revisions.outline(session, first).placements:
        section_plan = planned.sections.get(placement.section_id)
        merged = section_plan.new_body if section_plan else placement.version.body
        if placement.key in wanted and wanted[placement.key].body != merged:
            edits[placement.section_id] = wanted[placement.key].body
    second = merge.merge(session, first.id, actor=editor, note=SECOND_NOTE, edits=edits)
    safety = wanted["3.6"]
    draft_sections.add_section(
        session,
        second.id,
        actor=editor,
        key=safety.key,
        title=safety.title,
        body=safety.body,
        after_section_id=section_id(session, second.id, "3.5"),
    )
    drafts.publish(session, second.id, actor=editor)
    return second


def _second_round(
    session: Session,
    consultation: Consultation,
    second: Revision,
    groups: list[WorkingGroup],
    people: People,
    snippets: dict[str, int],
    now: datetime,
) -> Round:
    """Round 2 (open now, its deadline five days ahead): working groups and municipalities
    on Fassung 2. Feedback is coming in; the editors have assigned some of it and decided
    one item (not published yet)."""
    editor = people.editor
    set_member(session, consultation.id, people.siegburg.id, actor=editor, role="municipality")
    round_ = rounds.create_round(
        session,
        consultation.id,
        actor=editor,
        revision_id=second.id,
        title="2. Stufe: Arbeitskreise und Kommunen",
        opens_at=now - timedelta(days=3),
        closes_at=at_six_pm(now + timedelta(days=5)),
        working_group_ids=[g.id for g in groups],
        municipalities=True,
        visibility="group",
        notify=False,
        description="Kommentieren Sie Textstellen oder schlagen Sie Änderungen vor.",
    )
    set_member(session, consultation.id, people.much.id, actor=editor, role="municipality")
    second_round_feedback(session, second, people, snippets)
    return round_


def _third_draft(session: Session, second: Revision, people: People) -> None:
    """The editors have begun Fassung 3 and taken up one suggestion already (by hand)."""
    third = drafts.copy_revision(session, second.id, actor=people.editor, note=THIRD_NOTE)
    diversity = next(p for p in revisions.outline(session, third).placements if p.key == "3.6")
    draft_sections.update_section(
        session,
        third.id,
        diversity.section_id,
        actor=people.editor,
        base_version_id=diversity.version_id,
        body=diversity.version.body.replace(
            "gegen Diskriminierung und Hasskriminalität",
            "gegen Diskriminierung, Rassismus und Hasskriminalität",
        ),
    )
