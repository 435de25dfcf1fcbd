"""Texts that fit the reader's role (issue 10, item 2), on the demo: the round page tells the
editors who sees the feedback, the invited who sees *theirs* (a mayor in no working group
is not told about "the own working group"); the reading view's notices speak to those who
can act on them (the observer, invited to no round, reads that others comment); the list
of the invited has no stray space before its commas; the API tokens wait behind "Für Entwickler"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.demo import load_demo
from consult.models import Round, User
from tests.conftest import CSRFClient

PASSWORDS = {
    "editor": ("redaktion@consult.example", "Demo-Redaktion-2026"),
    "caritas": ("caritas@consult.example", "Demo-Caritas-2026"),  # two working groups
    "association": ("kulturverein@consult.example", "Demo-Verein-2026"),  # one
    "mayor": ("buergermeister.siegburg@consult.example", "Demo-Siegburg-2026"),  # none
    "observer": ("fraktion@consult.example", "Demo-Fraktion-2026"),
}
SELECTION_HINT = "Markieren Sie eine Textstelle"
READ_ONLY = (
    "Sie können diese Fassung lesen. Kommentieren und Änderungen vorschlagen können die zu "
    "einer Beteiligungsrunde Eingeladenen."
)
ROUND_OVER = "Die Runde ist beendet. Neue Kommentare und Vorschläge sind nicht mehr möglich."


@pytest.fixture
def demo(db: Session) -> dict[str, int]:
    """The demo loaded; the ids of its rounds: "open" (on Fassung 2), "closed" (Fassung 1)."""
    load_demo(db)
    db.commit()
    found = {r.title: r for r in db.scalars(select(Round))}
    open_round = found["2. Stufe: Arbeitskreise und Kommunen"]
    closed_round = found["1. Stufe: Arbeitskreise"]
    return {
        "open": open_round.id,
        "closed": closed_round.id,
        "open_revision": open_round.revision_id,
        "closed_revision": closed_round.revision_id,
    }


@pytest.fixture
def page_as(app: Flask, demo: dict[str, int]) -> Callable[[str, str], str]:
    """The text of a page as one of the demo's people sees it (whitespace collapsed)."""

    def get(who: str, path: str) -> str:
        client: CSRFClient = app.test_client()  # type: ignore[assignment]
        email, password = PASSWORDS[who]
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        response = client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
        return " ".join(text.split())

    return get


def visibility(page: str) -> str:
    match = re.search(
        r"Sichtbarkeit der Beiträge (.+?) (?:Kommentieren|Bisher|Verlauf|Frist)", page
    )
    assert match, page
    return match.group(1)


def test_the_round_page_speaks_to_each_role(
    page_as: Callable[[str, str], str], demo: dict[str, int]
) -> None:
    open_round, closed_round = f"/rounds/{demo['open']}", f"/rounds/{demo['closed']}"
    # Who sees the feedback: the setting for the editors, their own for the invited.
    editor = page_as("editor", open_round)
    assert visibility(editor) == (
        "die Redaktion und die Mitglieder des Arbeitskreises, aus dem der Beitrag kommt"
    )
    caritas = page_as("caritas", open_round)
    assert visibility(caritas) == (
        "Ihre Beiträge sehen die Redaktion und die Mitglieder Ihrer Arbeitskreise "
        "„AK Arbeit und Gesundheit“ und „AK Bildung und Sprache“."
    )
    assert visibility(page_as("association", open_round)) == (
        "Ihre Beiträge sehen die Redaktion und die Mitglieder Ihres Arbeitskreises "
        "„AK Bildung und Sprache“."
    )
    mayor = page_as("mayor", open_round)
    assert visibility(mayor) == "Ihre Beiträge sieht nur die Redaktion."
    assert "eigenen Arbeitskreises" not in mayor
    # Only who may comment is asked to.
    assert "Fassung 2 lesen und kommentieren" in mayor
    assert "Fassung 2 lesen und kommentieren" in caritas
    assert "Fassung 2 lesen" in editor and "lesen und kommentieren" not in editor
    assert "lesen und kommentieren" not in page_as("caritas", closed_round)
    # The invited are one list, with no space before its commas.
    assert (
        "Eingeladen AK Bildung und Sprache, AK Arbeit und Gesundheit, "
        "AK Sicherheit und Zusammenhalt, alle Kommunen (" in editor
    )
    assert re.search(r"\(\d+ Personen\)", editor)
    assert " ," not in editor
    # Dates: the deadline with its weekday, the time left in words; nothing else.
    deadline = r"(?:Mo|Di|Mi|Do|Fr|Sa|So)\., \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr"
    assert re.search(rf"offen bis {deadline} – noch \d+ (?:Tage?|Stunden?)", caritas), caritas
    assert re.search(rf"Beginn {deadline} Frist {deadline}", caritas), caritas
    assert not re.search(r"\d{2}:\d{2}:\d{2}|Normalzeit|MEZ|\d{2}\.\d{2}\.\d{2}\b", caritas)


def test_the_reading_views_notices_speak_to_who_can_act(
    page_as: Callable[[str, str], str], demo: dict[str, int]
) -> None:
    open_revision = f"/revisions/{demo['open_revision']}"
    for who in ("caritas", "mayor"):
        page = page_as(who, open_revision)
        assert SELECTION_HINT in page and READ_ONLY not in page
    observer = page_as("observer", open_revision)
    assert READ_ONLY in observer and SELECTION_HINT not in observer
    editor = page_as("editor", open_revision)
    assert READ_ONLY not in editor and SELECTION_HINT not in editor
    # The round that is over: said to those who took part; the observer reads.
    closed_revision = f"/revisions/{demo['closed_revision']}"
    assert ROUND_OVER in page_as("caritas", closed_revision)
    observer = page_as("observer", closed_revision)
    assert ROUND_OVER not in observer and READ_ONLY in observer


def test_api_tokens_wait_behind_a_disclosure_for_developers(
    login: Callable[[User], CSRFClient], make_user: Callable[..., User]
) -> None:
    client = login(make_user("Bea Bürgermeisterin"))
    html = client.get("/profile/").get_data(as_text=True)
    details = re.search(r"<details[^>]*id=\"tokens\"[^>]*>\s*<summary>([^<]+)</summary>", html)
    assert details, html
    assert details.group(1) == "Für Entwickler"
    assert " open" not in details.group(0)  # closed for someone without tokens
    assert html.index("<details") < html.index('id="tokens-h"')  # the heading inside it
    # Once there is a token, the section is open.
    response = client.post("/profile/tokens", data={"token-name": "Ratsinformationssystem"})
    assert response.status_code == 201
    html = client.get("/profile/").get_data(as_text=True)
    assert re.search(r"<details[^>]*id=\"tokens\"[^>]* open>", html)
