"""The start page's read model (consult.services.dashboard): each person's rounds with what
is expected of them and by when, in the order of urgency; counts that only editors see
in full; the roles and invitations of many consultations decided at once.

``build`` (also used by tests/web/test_start_page.py) makes a consultation with two
published revisions, a working group and one person per role, and rounds placed in time
relative to now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import (
    Consultation,
    Membership,
    Organisation,
    Revision,
    Role,
    Round,
    RoundReminder,
    User,
)
from consult.services import consultations as consultation_service
from consult.services import dashboard, drafts, feedback, permissions, working_groups
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from consult.services.dashboard import CLOSED, OPEN, SCHEDULED, Counts
from tests import support
from tests.services.test_feedback import app_in_context

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(app_in_context)


def markdown(number: int) -> str:
    """The text of Fassung ``number``."""
    return (
        "# 1 Leitbild\n\nWir begrüßen Vielfalt im Kreis.\n\n"
        f"# 2 Bildung\n\nSprache ist wichtig (Fassung {number}).\n"
    )


@dataclass(frozen=True)
class Spec:
    """A round placed in time: opens and closes that long from now (negative: ago)."""

    title: str
    opens: timedelta
    closes: timedelta
    groups: bool = True
    municipalities: bool = False
    #: The number of the revision asked about; 0: a revision of its own (the next one),
    #: so that feedback on it goes to this round.
    on: int = 0


@dataclass
class People:
    editor: User
    participant: User
    mayor: User
    observer: User
    #: A participant of every consultation, in no working group: invited to nothing.
    bystander: User


@dataclass
class Built:
    db: Session
    consultation: Consultation
    #: Fassung 1, 2, ... (all published).
    revisions: list[Revision]
    rounds: dict[str, Round] = field(default_factory=dict)

    @property
    def first(self) -> Revision:
        return self.revisions[0]

    @property
    def second(self) -> Revision:
        return self.revisions[1]

    def section(self, revision: Revision) -> int:
        return revision_service.outline(self.db, revision).placements[0].section_id

    def comment(self, user: User, title: str, at: timedelta | None = None) -> int:
        """A comment by ``user`` in the round, ``at`` (default: one minute after it
        opened, or now if that is later) from now."""
        round_ = self.rounds[title]
        revision = self.db.get(Revision, round_.revision_id)
        assert revision is not None
        when = utcnow() + at if at is not None else None
        return feedback.create_comment(
            self.db,
            revision.id,
            self.section(revision),
            actor=user,
            body=f"Kommentar von {user.name}",
            anchor=None,
            now=when,
        ).id

    def suggestion(self, user: User, title: str, at: timedelta | None = None) -> int:
        round_ = self.rounds[title]
        revision = self.db.get(Revision, round_.revision_id)
        assert revision is not None
        when = utcnow() + at if at is not None else None
        return feedback.create_suggestion(
            self.db,
            revision.id,
            self.section(revision),
            actor=user,
            quote="Vielfalt",
            replacement="Vielfalt und Teilhabe",
            reason="Teilhabe gehört dazu.",
            now=when,
        ).id


@pytest.fixture
def make_people(
    make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> Callable[[], People]:
    """One person per role (a new set at each call)."""

    def make() -> People:
        return People(
            editor=make_user("Erika Redaktion"),
            participant=make_user("Paula Teilnehmerin"),
            mayor=make_user("Bernd Bürgermeister", organisation=make_org(kind="municipality")),
            observer=make_user("Olga Beobachterin"),
            bystander=make_user("Uwe Unbeteiligt"),
        )

    return make


@pytest.fixture
def people(make_people: Callable[[], People]) -> People:
    return make_people()


@pytest.fixture
def build(db: Session, admin: User, people: People) -> Callable[..., Built]:
    """A consultation with Fassung 1, 2, ... published (2 and more for the rounds on a
    revision of their own), one person per role, and rounds."""

    def make(
        title: str = "Integrationskonzept",
        rounds: Sequence[Spec] = (),
        *,
        who: People | None = None,
        draft: bool = False,
    ) -> Built:
        """``who``: other people than ``people``; ``draft``: a draft after the revisions."""
        cast = who or people
        consultation = consultation_service.create_consultation(db, actor=admin, title=title)
        consultation_service.set_member(
            db, consultation.id, cast.editor.id, actor=admin, role="editor"
        )
        # The admin who created it is no member (an admin without memberships).
        consultation_service.remove_member(db, consultation.id, admin.id, actor=admin)
        revisions = []
        for number in range(1, max(2, 1 + sum(1 for s in rounds if not s.on)) + 1):
            revision = drafts.create_from_markdown(
                db, consultation.id, actor=cast.editor, markdown=markdown(number)
            )
            drafts.publish(db, revision.id, actor=cast.editor)
            revisions.append(revision)
        group = working_groups.create_working_group(
            db, consultation.id, actor=cast.editor, name="AK Bildung"
        )
        for user, role, groups in (
            (cast.participant, "participant", [group.id]),
            (cast.mayor, "municipality", None),
            (cast.observer, "observer", None),
            (cast.bystander, "participant", None),
        ):
            consultation_service.set_member(
                db,
                consultation.id,
                user.id,
                actor=cast.editor,
                role=role,
                working_group_ids=groups,
            )
        built = Built(db=db, consultation=consultation, revisions=revisions)
        own = iter(revisions[1:])
        now = utcnow()
        for spec in rounds:
            on = revisions[spec.on - 1] if spec.on else next(own)
            opens, closes = now + spec.opens, now + spec.closes
            built.rounds[spec.title] = round_service.create_round(
                db,
                consultation.id,
                actor=cast.editor,
                revision_id=on.id,
                title=spec.title,
                opens_at=opens,
                closes_at=closes,
                working_group_ids=[group.id] if spec.groups else [],
                municipalities=spec.municipalities,
                visibility="round",
                notify=False,
                now=min(now, opens),  # a round in the past is made while it was to come
            )
        if draft:
            drafts.copy_revision(db, revisions[-1].id, actor=cast.editor)
        db.flush()
        return built

    return make


DAY = timedelta(days=1)
#: A round of each kind for the participant and the mayor (groups and municipalities).
ROUNDS = [
    Spec("Später offen", -2 * DAY, 10 * DAY, municipalities=True),
    Spec("Bald zu Ende", -5 * DAY, 3 * DAY, municipalities=True),
    Spec("Nur Kommunen", -1 * DAY, 6 * DAY, groups=False, municipalities=True),
    Spec("Kommt noch", 2 * DAY, 12 * DAY),
    Spec("Eben beendet", -20 * DAY, -5 * DAY, on=1),
    Spec("Lange her", -90 * DAY, -60 * DAY, on=1),
]


def titles(items: Sequence[dashboard.RoundItem]) -> list[str]:
    return [i.round.title for i in items]


def test_a_participant_sees_the_rounds_they_are_invited_to_by_urgency(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(rounds=ROUNDS)
    built.comment(people.participant, "Bald zu Ende")
    built.comment(people.participant, "Bald zu Ende")
    built.suggestion(people.participant, "Bald zu Ende")
    withdrawn = built.comment(people.participant, "Bald zu Ende")
    feedback.withdraw(db, withdrawn, actor=people.participant)
    built.comment(people.mayor, "Bald zu Ende")  # someone else's
    built.comment(people.participant, "Eben beendet", at=-10 * DAY)

    page = dashboard.start_page(db, actor=people.participant)

    # The nearest deadline first; the municipalities' round is not theirs.
    assert titles(page.running) == ["Bald zu Ende", "Später offen"]
    assert titles(page.upcoming) == ["Kommt noch"]
    assert titles(page.closed) == ["Eben beendet"]  # not the one closed two months ago
    assert [i.status for i in (*page.running, *page.upcoming, *page.closed)] == [
        OPEN,
        OPEN,
        SCHEDULED,
        CLOSED,
    ]
    assert {i.role for i in (*page.running, *page.upcoming, *page.closed)} == {Role.PARTICIPANT}
    soon = page.running[0]
    assert soon.own == Counts(comments=2, suggestions=1)  # the withdrawn one left out
    assert page.running[1].own == Counts()
    assert page.closed[0].own == Counts(comments=1)
    # No totals for the invited: they may not see everybody's feedback.
    assert all(i.received is None and i.reminder is None for i in page.running)
    # What came of the closed round: Fassung 2, which they may read (invited to it).
    assert page.closed[0].next_revision is not None
    assert page.closed[0].next_revision.id == built.second.id
    assert page.drafts == [] and page.reading == []
    assert page.roles == {Role.PARTICIPANT} and page.takes_part


def test_a_mayor_sees_the_rounds_that_invite_municipalities(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(rounds=ROUNDS)
    built.comment(people.mayor, "Nur Kommunen")

    page = dashboard.start_page(db, actor=people.mayor)

    assert titles(page.running) == ["Bald zu Ende", "Nur Kommunen", "Später offen"]
    assert {i.role for i in page.running} == {Role.MUNICIPALITY}
    assert [i.own.total for i in page.running] == [0, 1, 0]
    # The working groups' rounds are not theirs.
    assert page.upcoming == [] and page.closed == []


def test_a_mayor_in_a_working_group_is_a_participant_in_its_rounds(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(rounds=[Spec("Arbeitskreise", -DAY, 4 * DAY)])
    group = working_groups.list_working_groups(db, built.consultation.id, actor=people.editor)[0]
    consultation_service.set_member(
        db,
        built.consultation.id,
        people.mayor.id,
        actor=people.editor,
        role="municipality",
        working_group_ids=[group.id],
    )
    page = dashboard.start_page(db, actor=people.mayor)
    assert [(i.round.title, i.role) for i in page.running] == [("Arbeitskreise", Role.PARTICIPANT)]


def test_an_editor_sees_what_came_in_what_is_open_and_the_reminders(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(
        rounds=[
            Spec("Lange offen", -20 * DAY, 10 * DAY),
            Spec("Morgen zu Ende", -3 * DAY, DAY, municipalities=True),
            Spec("Erinnert", -3 * DAY, 1.5 * DAY),
            Spec("Verlängert", -3 * DAY, 1.5 * DAY),
            Spec("Kommt noch", 2 * DAY, 12 * DAY),
            Spec("Eben beendet", -20 * DAY, -2 * DAY, on=1),
        ]
    )
    built.comment(people.participant, "Lange offen", at=-10 * DAY)  # not new
    resolved = built.comment(people.participant, "Lange offen", at=-9 * DAY)
    feedback.set_resolved(db, resolved, actor=people.editor, resolved=True)
    built.comment(people.participant, "Lange offen")
    built.suggestion(people.participant, "Lange offen")
    withdrawn = built.comment(people.participant, "Lange offen")
    feedback.withdraw(db, withdrawn, actor=people.participant)
    built.comment(people.mayor, "Morgen zu Ende")
    built.comment(people.participant, "Eben beendet", at=-5 * DAY)
    reminded, extended = built.rounds["Erinnert"], built.rounds["Verlängert"]
    now = utcnow()
    for user in (people.participant, people.bystander):
        db.add(RoundReminder(round_id=reminded.id, user_id=user.id, closes_at=reminded.closes_at))
    # a reminder of the deadline before an extension does not count
    db.add(
        RoundReminder(
            round_id=extended.id, user_id=people.participant.id, closes_at=extended.closes_at
        )
    )
    round_service.extend_round(
        db,
        extended.id,
        actor=people.editor,
        closes_at=extended.closes_at + 5 * DAY,
        reason="Die Kommunen baten um mehr Zeit.",
    )
    draft = drafts.copy_revision(db, built.revisions[-1].id, actor=people.editor)

    page = dashboard.start_page(db, actor=people.editor, now=now)

    assert titles(page.running) == ["Morgen zu Ende", "Erinnert", "Verlängert", "Lange offen"]
    assert {i.role for i in page.running} == {Role.EDITOR}
    long_open = page.running[-1]
    assert long_open.received == Counts(comments=3, suggestions=1)
    assert long_open.new == 2
    assert long_open.still_open == 3  # the resolved one is done
    assert long_open.own == Counts()
    reminders = {i.round.title: i.reminder for i in page.running}
    assert reminders["Lange offen"] == dashboard.Reminder(
        state="planned", at=long_open.closes_at - timedelta(days=3)
    )
    due = reminders["Morgen zu Ende"]
    assert due is not None and due.state == "due"
    sent = reminders["Erinnert"]
    assert sent is not None and (sent.state, sent.people) == ("sent", 2)
    after_extension = reminders["Verlängert"]
    assert after_extension is not None and after_extension.state == "planned"
    assert titles(page.upcoming) == ["Kommt noch"]
    assert titles(page.closed) == ["Eben beendet"]
    assert page.closed[0].received == Counts(comments=1)
    assert [d.id for d in page.drafts] == [draft.id]


def test_an_observer_reads_the_published_revisions_and_sees_no_rounds(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(rounds=ROUNDS)
    drafts.copy_revision(db, built.revisions[-1].id, actor=people.editor)
    page = dashboard.start_page(db, actor=people.observer)
    assert page.running == page.upcoming == page.closed == []
    assert page.drafts == []
    assert [(r.consultation.id, [v.number for v in r.revisions]) for r in page.reading] == [
        (built.consultation.id, [5, 4, 3, 2, 1])  # the draft of Fassung 6 left out
    ]
    assert page.reading[0].latest.id == built.revisions[-1].id
    previous = page.reading[0].previous
    assert previous is not None and previous.id == built.revisions[-2].id
    assert not page.takes_part


def test_a_bystander_and_an_admin_without_memberships_get_no_tasks(
    db: Session, build: Callable[..., Built], people: People, admin: User
) -> None:
    build(rounds=ROUNDS)
    page = dashboard.start_page(db, actor=people.bystander)
    assert page.running == page.upcoming == page.closed == page.reading == []
    assert page.takes_part  # a participant: the page says that nothing runs for them
    page = dashboard.start_page(db, actor=admin)
    assert page.is_admin and page.roles == set()
    assert page.running == page.upcoming == page.closed == page.drafts == []
    assert [role for _c, role in page.consultations] == [None]
    assert dashboard.start_page(db, actor=None).consultations == []


def test_a_closed_round_links_no_revision_the_person_may_not_read(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    # Invited to the round on Fassung 1 only: Fassung 2 is not theirs to read.
    build(rounds=[Spec("Eben beendet", -20 * DAY, -2 * DAY, on=1)])
    page = dashboard.start_page(db, actor=people.participant)
    assert titles(page.closed) == ["Eben beendet"]
    assert page.closed[0].next_revision is None


def test_rounds_closed_early_count_from_their_early_close(
    db: Session, build: Callable[..., Built], people: People
) -> None:
    built = build(rounds=[Spec("Früh geschlossen", -40 * DAY, 5 * DAY)])
    round_service.close_round(
        db, built.rounds["Früh geschlossen"].id, actor=people.editor, now=utcnow() - 35 * DAY
    )
    assert dashboard.start_page(db, actor=people.participant).closed == []
    built = build(title="Zweites", rounds=[Spec("Gestern geschlossen", -4 * DAY, 5 * DAY)])
    round_service.close_round(
        db, built.rounds["Gestern geschlossen"].id, actor=people.editor, now=utcnow() - DAY
    )
    page = dashboard.start_page(db, actor=people.participant)
    assert titles(page.closed) == ["Gestern geschlossen"]
    assert page.closed[0].closes_at < utcnow()


def test_many_consultations_are_decided_at_once_as_one_at_a_time(
    db: Session, build: Callable[..., Built], people: People, admin: User
) -> None:
    built = [build(title=f"Verfahren {n}", rounds=ROUNDS[:4]) for n in range(3)]
    ids = [b.consultation.id for b in built]
    users = [people.editor, people.participant, people.mayor, people.observer, people.bystander]
    one_at_a_time: dict[tuple[int, int], object] = {}
    for user in users:
        for cid in ids:
            one_at_a_time[(user.id, cid)] = (
                permissions.role_in(db, user, cid),
                permissions.invited_round_ids(db, user, cid),
            )
    db.commit()  # a new transaction: nothing decided
    for user in users:
        permissions.decide_many(db, user, ids)
        for cid in ids:
            assert (
                permissions.role_in(db, user, cid),
                permissions.invited_round_ids(db, user, cid),
            ) == one_at_a_time[(user.id, cid)], (user.name, cid)
    # A membership written afterwards is not answered from what was decided.
    db.add(Membership(consultation_id=ids[0], user_id=admin.id, role="observer"))
    db.flush()
    assert permissions.role_in(db, admin, ids[0]) is Role.OBSERVER


def test_the_window_constants_are_what_the_page_says() -> None:
    # templates/main/index.html says "in den letzten 7 Tagen" from NEW_FEEDBACK.days and
    # names the 3 days of the first reminder (issue 14).
    assert timedelta(days=7) == dashboard.NEW_FEEDBACK
    assert timedelta(days=3) == dashboard.REMINDER_BEFORE
    assert isinstance(dashboard.RECENTLY_CLOSED, timedelta)
