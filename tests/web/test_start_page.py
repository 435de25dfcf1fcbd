"""The start page says what to do (issue 10, item 6): per role, what is expected and by
when, the counts, the links behind them, German and English, and as many SQL statements
at five consultations or six rounds as at one.

The consultations come from tests/services/test_dashboard.py's ``build``.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from consult import dates
from consult.dates import until
from consult.models import User
from consult.services import feedback
from consult.services.reminders import REMINDER_BEFORE
from tests import support
from tests.conftest import CSRFClient
from tests.services import test_dashboard as scenario
from tests.services.test_dashboard import DAY, Built, People, Spec
from tests.web.test_english import compile_english, forget_loaded_catalogs

ROUNDS = [
    Spec("Später offen", -2 * DAY, 10 * DAY + timedelta(hours=2), municipalities=True),
    Spec("Bald zu Ende", -5 * DAY, 3 * DAY + timedelta(hours=2), municipalities=True),
    Spec("Kommt noch", 2 * DAY + timedelta(hours=2), 12 * DAY),
    Spec("Eben beendet", -20 * DAY, -5 * DAY, on=1),
]


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Flask]:
    """The app, reading the English catalogue freshly compiled from the .po (as
    tests/web/test_english.py does)."""
    app = support.module_app(tmp_path_factory, database_url)
    config = app.extensions["babel"]
    config.translation_directories = [str(compile_english(tmp_path_factory.mktemp("i18n")))]
    forget_loaded_catalogs(app)
    yield app
    forget_loaded_catalogs(app)


app = pytest.fixture(support.app)
# The consultations and people of the services' tests.
make_people = scenario.make_people
people = scenario.people
build = scenario.build


@pytest.fixture
def world(db: Session, build: Callable[..., Built], people: People) -> Built:
    built = build(rounds=ROUNDS, draft=True)
    built.comment(people.participant, "Bald zu Ende")
    built.comment(people.participant, "Bald zu Ende")
    built.suggestion(people.participant, "Bald zu Ende")
    built.comment(people.participant, "Eben beendet", at=-10 * DAY)
    built.comment(people.mayor, "Bald zu Ende")
    resolved = built.comment(people.mayor, "Später offen")
    feedback.set_resolved(db, resolved, actor=people.editor, resolved=True)
    return built


def start_page(app: Flask, db: Session, user: User, lang: str = "de") -> str:
    client = support.sign_in(app.test_client(), db, user)  # type: ignore[arg-type]
    if lang == "en":
        client.set_cookie("lang", "en")
    response = client.get("/")
    assert response.status_code == 200
    return support.page(response)


def text(html: str) -> str:
    """The page's main content as text, one line per element."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    lines = re.sub(r"<[^>]+>", "\n", main)
    return "\n".join(" ".join(line.split()) for line in lines.splitlines() if line.strip())


def card(html: str, title: str) -> str:
    """The text of the card whose heading is ``title``."""
    for item in re.findall(r'<li class="card[^"]*">(.*?)</li>', html, re.S):
        if re.search(rf"<h3[^>]*>{re.escape(title)}</h3>", item):
            return " ".join(re.sub(r"<[^>]+>", " ", item).split())
    raise AssertionError(f"no card {title!r}")


def link(html: str, label: str) -> str:
    """The href of the (first) link with that text."""
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S):
        if " ".join(re.sub(r"<[^>]+>", " ", inner).split()) == label:
            return html_lib.unescape(href)
    raise AssertionError(f"no link {label!r}")


def deadline(built: Built, title: str) -> str:
    return dates.moment(built.rounds[title].closes_at, "de", weekday=True)


def test_participant(app: Flask, db: Session, world: Built, people: People) -> None:
    html = start_page(app, db, people.participant)
    page = text(html)
    # What is due first comes first: the round that ends soonest, then the later one.
    assert page.index("Was jetzt ansteht") < page.index("Bald zu Ende") < page.index("Später offen")
    assert page.index("Später offen") < page.index("Demnächst") < page.index("Kommt noch")
    assert page.index("Kommt noch") < page.index("Kürzlich beendet") < page.index("Eben beendet")
    assert page.index("Eben beendet") < page.index("Ihre Verfahren")

    soon = card(html, "Bald zu Ende")
    assert f"Kommentieren bis {deadline(world, 'Bald zu Ende')} – noch 3 Tage" in soon
    assert "Ihre Beiträge in dieser Runde: 2 Kommentare, 1 Änderungsvorschlag" in soon
    assert "Integrationskonzept · Fassung 3" in soon
    later = card(html, "Später offen")
    assert "noch 10 Tage" in later
    assert "Sie haben in dieser Runde noch nichts beigetragen." in later
    assert "Kommune" not in later  # they are invited through their working group

    # The counter links to the reading view of their own feedback, the button to reading.
    third = world.rounds["Bald zu Ende"].revision_id
    round_id = world.rounds["Bald zu Ende"].id
    mine = link(html, "2 Kommentare, 1 Änderungsvorschlag")
    assert mine == f"/revisions/{third}?mine=1&round={round_id}"
    assert link(html, "Fassung 3 lesen und kommentieren") == f"/revisions/{third}"

    coming = card(html, "Kommt noch")
    opens = dates.moment(world.rounds["Kommt noch"].opens_at, "de", weekday=True)
    assert f"Beginnt am {opens} (in 2 Tagen)" in coming
    assert f"Kommentieren können Sie dann bis {deadline(world, 'Kommt noch')}." in coming

    closed = card(html, "Eben beendet")
    assert "Ihre Beiträge in dieser Runde: 1 Kommentar, 0 Änderungsvorschläge" in closed
    assert "Was daraus geworden ist: Fassung 2 im Vergleich mit Fassung 1" in closed
    assert link(html, "Fassung 2 im Vergleich mit Fassung 1") == (
        f"/revisions/{world.second.id}/diff?against={world.first.id}"
    )
    # No totals, no editors' tools: not theirs to see.
    for editorial in ("Eingegangen", "Noch offen", "Erinnerung", "Entwürfe in Arbeit"):
        assert editorial not in page
    assert "Beiträge" in page and "Nur Kommunen" not in page


def test_mayor(app: Flask, db: Session, world: Built, people: People) -> None:
    html = start_page(app, db, people.mayor)
    soon = card(html, "Bald zu Ende")
    assert (
        f"Ihre Kommune ist eingeladen, bis {deadline(world, 'Bald zu Ende')} Stellung zu "
        "nehmen – noch 3 Tage." in soon
    )
    # The formal statement has a page of its own; comments go into the text.
    assert "Zur Stellungnahme Ihrer Kommune" in soon
    assert "als Kommentar in den Text" in soon
    assert "Ihre Beiträge in dieser Runde: 1 Kommentar, 0 Änderungsvorschläge" in soon
    # The resolved comment still counts as theirs.
    assert "Ihre Beiträge in dieser Runde: 1 Kommentar" in card(html, "Später offen")
    page = text(html)
    # The working groups' rounds (to come, closed) are not theirs.
    assert "Kommt noch" not in page and "Eben beendet" not in page
    assert "Kommentieren bis" not in page


def test_editor(app: Flask, db: Session, world: Built, people: People) -> None:
    html = start_page(app, db, people.editor)
    page = text(html)
    assert page.index("Bald zu Ende") < page.index("Später offen") < page.index("Kommt noch")
    soon = card(html, "Bald zu Ende")
    assert f"Frist bis {deadline(world, 'Bald zu Ende')} – noch 3 Tage" in soon
    # All feedback (the editors see it all), with the links to the lists they count.
    assert "Eingegangen 4 Beiträge (3 Kommentare, 1 Änderungsvorschlag)" in soon
    assert "Neu in den letzten 7 Tagen 4" in soon
    assert "Noch offen 4 Beiträge" in soon
    reminder_at = dates.moment(
        world.rounds["Bald zu Ende"].closes_at - REMINDER_BEFORE, "de", weekday=True
    )
    assert f"Die Eingeladenen werden am {reminder_at} per E-Mail an die Frist erinnert." in soon
    later = card(html, "Später offen")
    assert "Eingegangen 1 Beitrag (1 Kommentar, 0 Änderungsvorschläge)" in later
    assert "Noch offen keine" in later  # the resolved comment is done
    round_id = world.rounds["Bald zu Ende"].id
    revision_id = world.rounds["Bald zu Ende"].revision_id
    assert link(html, "4 Beiträge") == f"/rounds/{round_id}"
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert f"/revisions/{revision_id}?status=open&round={round_id}" in hrefs
    assert f"Frist: {deadline(world, 'Kommt noch')}." in card(html, "Kommt noch")
    assert "Eingegangen 1 Beitrag" in card(html, "Eben beendet")
    # The draft in progress, to go on with.
    draft = card(html, "Entwurf für Fassung 5")
    assert "Integrationskonzept · angelegt am" in draft
    assert link(html, "Entwurf bearbeiten").endswith("/edit")
    assert "Ihre Beiträge in dieser Runde" not in page


def shown(html: str) -> tuple[int, int]:
    """(shown, total) from the reading view's filter legend: "(3 von 7 Beiträgen sichtbar)"."""
    found = re.search(r"<legend>.*?\((\d+) (?:von|of) (\d+)", html, re.S)
    assert found, "no filter legend"
    return int(found.group(1)), int(found.group(2))


def test_the_counters_lead_to_the_lists_they_count(
    app: Flask, db: Session, world: Built, people: People
) -> None:
    """The reading view of a round's revision shows feedback carried over from earlier
    rounds too: the counters' links keep to the round (?round=), and list as many as
    they say."""
    html = start_page(app, db, people.participant)
    client = support.sign_in(app.test_client(), db, people.participant)  # type: ignore[arg-type]
    assert shown(support.page(client.get(link(html, "2 Kommentare, 1 Änderungsvorschlag"))))[0] == 3
    closed = link(html, "Ihre Beiträge und die Antworten darauf nachlesen")
    reading = support.page(client.get(closed))
    assert shown(reading)[0] == 1
    # The round filter shows as a checked box naming the round; unticked, it is gone.
    assert 'name="round"' in reading and "nur aus der Runde „Eben beendet“" in reading
    everything_mine = support.page(client.get(f"/revisions/{world.second.id}?mine=1"))
    assert shown(everything_mine)[0] == 4  # both rounds (Fassung 1's carried over)

    html = start_page(app, db, people.editor)
    client = support.sign_in(app.test_client(), db, people.editor)  # type: ignore[arg-type]
    soon = world.rounds["Bald zu Ende"]
    still_open = f"/revisions/{soon.revision_id}?status=open&round={soon.id}"
    assert shown(support.page(client.get(still_open)))[0] == 4


def test_editor_is_told_when_the_reminder_did_not_go_out(
    app: Flask, db: Session, build: Callable[..., Built], people: People
) -> None:
    build(rounds=[Spec("Morgen zu Ende", -3 * DAY, DAY)])
    html = start_page(app, db, people.editor)
    assert "Die Erinnerung an die Frist ist noch nicht verschickt" in card(html, "Morgen zu Ende")


def test_observer(app: Flask, db: Session, world: Built, people: People) -> None:
    html = start_page(app, db, people.observer)
    page = text(html)
    assert "Zum Lesen" in page
    latest = world.revisions[-1]
    assert link(html, f"Fassung {latest.number} lesen") == f"/revisions/{latest.id}"
    previous = world.revisions[-2]
    assert link(html, f"Änderungen gegenüber Fassung {previous.number}") == (
        f"/revisions/{latest.id}/diff?against={previous.id}"
    )
    # Rounds are for the invited and the editors (permissions.can_read_round).
    assert not any(title in page for title in world.rounds)
    assert "Was jetzt ansteht" not in page


def test_admin_without_memberships(app: Flask, db: Session, world: Built, admin: User) -> None:
    html = start_page(app, db, admin)
    page = text(html)
    assert "Administration" in page and "Alle Verfahren" in page
    assert link(html, "Organisationen verwalten") == "/admin/organisations"
    assert link(html, "Personen verwalten und einladen") == "/admin/users"
    assert link(html, "Ein neues Beteiligungsverfahren anlegen") == "/consultations/new"
    assert "Was jetzt ansteht" not in page and "Bald zu Ende" not in page
    assert "Sie sehen dieses Verfahren als Administration." in page


def test_someone_invited_to_nothing(app: Flask, db: Session, world: Built, people: People) -> None:
    page = text(start_page(app, db, people.bystander))
    assert "Zurzeit läuft keine Beteiligungsrunde, zu der Sie eingeladen sind" in page
    assert "Ihre Rolle: Teilnehmende" in page


@pytest.mark.parametrize("who", ["participant", "mayor", "editor", "observer"])
def test_every_link_on_the_page_works(
    app: Flask, db: Session, world: Built, people: People, who: str
) -> None:
    user = getattr(people, who)
    html = start_page(app, db, user)
    client = support.sign_in(app.test_client(), db, user)  # type: ignore[arg-type]
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    hrefs = {html_lib.unescape(h) for h in re.findall(r'href="([^"]*)"', main)}
    assert len(hrefs) >= 3
    for href in sorted(hrefs):
        assert client.get(href).status_code == 200, href


def test_english(app: Flask, db: Session, world: Built, people: People) -> None:
    html = start_page(app, db, people.participant, "en")
    page = " ".join(text(html).split())
    for english in (
        "What needs doing now",
        "Comment by ",
        "3 days left",
        "Your contributions in this round: 2 comments, 1 suggested change",
        "Read and comment on revision 3",
        "Coming up",
        "Recently closed",
        "What came of it: Revision 2 compared with revision 1",
        "Your consultations",
    ):
        assert english in page, english
    html = start_page(app, db, people.mayor, "en")
    soon = card(html, "Bald zu Ende")
    assert "Your municipality is invited to give its view by " in soon
    assert '/statement"' in html  # the way to the municipality's statement
    html = start_page(app, db, people.editor, "en")
    soon = card(html, "Bald zu Ende")
    for english in ("Received 4 contributions", "Still open", "Reminder", "New in the last 7"):
        assert english in soon, english
    assert "Drafts in progress" in text(html)
    for german in ("Was jetzt ansteht", "Kommentieren", "Eingegangen", "Beiträge", "Frist"):
        assert german not in text(html), german


def test_a_deadline_today_says_today(app: Flask) -> None:
    now = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    with app.test_request_context(), force_locale("de"):
        assert until(datetime(2026, 12, 24, 17, 0, tzinfo=UTC), now) == "heute bis 18:00 Uhr"
        assert until(datetime(2026, 12, 25, 17, 0, tzinfo=UTC), now) == (
            "bis Fr., 25.12.2026, 18:00 Uhr"
        )
        # past midnight in Berlin is tomorrow, although still the 24th in UTC
        assert until(datetime(2026, 12, 24, 23, 30, tzinfo=UTC), now).startswith("bis Fr.")
    with app.test_request_context(), force_locale("en"):
        assert until(datetime(2026, 12, 24, 17, 0, tzinfo=UTC), now) == "by 18:00 today"


# --- SQL statements --------------------------------------------------------------------


@contextmanager
def counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


#: One round of each kind the page shows (the small case has the first only).
SIX_ROUNDS = [
    Spec("Offen", -2 * DAY, 5 * DAY, municipalities=True),
    Spec("Auch offen", -2 * DAY, 9 * DAY, municipalities=True),
    Spec("Kommt", 2 * DAY, 9 * DAY, municipalities=True),
    Spec("Kommt später", 4 * DAY, 19 * DAY),
    Spec("Beendet", -20 * DAY, -2 * DAY, on=1, municipalities=True),
    Spec("Auch beendet", -20 * DAY, -3 * DAY, on=1),
]
SIZES = {
    "one": (1, SIX_ROUNDS[:1]),
    "five consultations": (5, SIX_ROUNDS[:1]),
    "six rounds": (1, SIX_ROUNDS),
}


def test_statements_do_not_grow_with_consultations_and_rounds(
    app: Flask,
    db: Session,
    connection: Connection,
    build: Callable[..., Built],
    make_people: Callable[[], People],
) -> None:
    found: dict[str, dict[str, int]] = {}
    for size, (consultations, rounds) in SIZES.items():
        cast = make_people()  # people of their own per size
        for n in range(consultations):
            built = build(f"Verfahren {n + 1}", rounds, who=cast, draft=True)
            built.comment(cast.participant, "Offen")
            built.comment(cast.mayor, "Offen")
        for who in ("participant", "mayor", "editor", "observer", "bystander"):
            client: CSRFClient = support.sign_in(app.test_client(), db, getattr(cast, who))  # type: ignore[arg-type]
            client.get("/")  # the first request of a session may load more; not counted
            with counting(connection) as recorded:
                assert client.get("/").status_code == 200
            found.setdefault(who, {})[size] = len(recorded)
    print("\nSQL statements of the start page:", found)
    for who, counts in found.items():
        assert len(set(counts.values())) == 1, (who, counts)
        assert counts["one"] <= 12, (who, counts)
