"""Consultations, members, revisions, publishing and diffs through the JSON API (API.md).

Every request carries a bearer token. Rejected requests are checked for the error shape
and for writing nothing (row counts of the draft tables before and after).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.globals import app_ctx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Consultation,
    Membership,
    Placement,
    Revision,
    Section,
    SectionDiff,
    SectionVersion,
    User,
)
from tests.conftest import CSRFClient

Headers = dict[str, str]
JSON = dict[str, Any]


@pytest.fixture(autouse=True)
def _app_context_per_request(app: Flask) -> Iterator[None]:
    """One app context (hence one flask.g and one DB session) per request, as in production."""
    outer = app_ctx._get_current_object()
    outer.pop()
    yield
    outer.push()


# --- helpers ---------------------------------------------------------------------------------

COUNTED = (Consultation, Membership, Revision, Section, SectionVersion, Placement)


def row_counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }


def assert_error(response: Any, status: int, code: str | None = None) -> JSON:
    """The API's error shape: {"error": {"code": snake_case, "message": text, ...}}."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:800]
    assert response.mimetype == "application/json", text[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    error: JSON = body["error"]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def ok(response: Any, status: int = 200) -> JSON:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    data: JSON = response.get_json()
    return data


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def markdown_of(sections: list[tuple[str, str, str]]) -> str:
    """Markdown with one heading per (key, title, body); nesting from the key's depth."""
    parts = []
    for key, title, body in sections:
        parts.append("#" * (key.count(".") + 1) + f" {key} {title}\n\n{body}\n")
    return "\n".join(parts)


def rebuild(ops: list[list[str]]) -> tuple[str, str]:
    """(old, new) text from [op, text] ops."""
    assert all(op in ("equal", "insert", "delete") for op, _ in ops), ops
    old = "".join(text for op, text in ops if op != "insert")
    new = "".join(text for op, text in ops if op != "delete")
    return old, new


def assert_no_split_word(ops: list[list[str]]) -> None:
    """On either side, no boundary between two ops falls inside a word."""
    for side in ("insert", "delete"):
        pieces = [text for op, text in ops if op != side and text]
        for left, right in itertools.pairwise(pieces):
            assert not (re.match(r"\w", left[-1]) and re.match(r"\w", right[0])), (
                left,
                right,
                ops,
            )


@dataclass
class World:
    """A consultation with an editor, an observer and a participant; and outsiders."""

    consultation_id: int
    other_consultation_id: int
    editor: User
    editor_h: Headers
    observer_h: Headers
    participant_h: Headers
    outsider_h: Headers
    other_editor_h: Headers


@pytest.fixture
def world(
    db: Session,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
    token_for: Callable[[User], Headers],
) -> World:
    editor = make_user("Erika Redaktion")
    observer = make_user("Otto Beobachter")
    participant = make_user("Pia Teilnehmerin")
    outsider = make_user("Udo Außen")
    other_editor = make_user("Olga Anderswo")
    consultation = Consultation(title="Integrationskonzept", created_by_id=editor.id)
    other = Consultation(title="Anderes Verfahren", created_by_id=other_editor.id)
    db.add_all([consultation, other])
    db.flush()
    add_member(consultation.id, editor, "editor")
    add_member(consultation.id, observer, "observer")
    add_member(consultation.id, participant, "participant")
    add_member(other.id, other_editor, "editor")
    return World(
        consultation_id=consultation.id,
        other_consultation_id=other.id,
        editor=editor,
        editor_h=token_for(editor),
        observer_h=token_for(observer),
        participant_h=token_for(participant),
        outsider_h=token_for(outsider),
        other_editor_h=token_for(other_editor),
    )


def create_revision(client: CSRFClient, w: World, body: JSON, cid: int | None = None) -> JSON:
    cid = cid or w.consultation_id
    return ok(
        client.post(f"/api/v1/consultations/{cid}/revisions", headers=w.editor_h, json=body), 201
    )


def publish(client: CSRFClient, w: World, rid: int) -> JSON:
    return ok(client.post(f"/api/v1/revisions/{rid}/publish", headers=w.editor_h))


def get_revision(client: CSRFClient, headers: Headers, rid: int) -> JSON:
    return ok(client.get(f"/api/v1/revisions/{rid}", headers=headers))


SIMPLE_MD = markdown_of(
    [
        ("1", "Einleitung", "Der Landkreis legt ein Integrationskonzept vor."),
        ("2", "Bildung", "Sprachkurse für alle."),
        ("2.1", "Schule", "Schulen öffnen sich."),
    ]
)


def sections_payload(revision: JSON) -> list[JSON]:
    """The API section list of a revision, as input for a new one (identities kept)."""
    by_id = {s["section_id"]: s for s in revision["sections"]}
    payload = []
    for s in revision["sections"]:
        parent = by_id.get(s["parent_id"])
        payload.append(
            {
                "section_id": s["section_id"],
                "key": s["key"],
                "title": s["title"],
                "body": s["body"],
                "parent_key": parent["key"] if parent else None,
            }
        )
    return payload


# --- consultations and members --------------------------------------------------------------


def test_create_consultation_makes_the_caller_its_editor(
    client: CSRFClient, db: Session, world: World
) -> None:
    created = ok(
        client.post(
            "/api/v1/consultations",
            headers=world.editor_h,
            json={"title": "Konzept „Teilhabe“", "description": "Für alle Gemeinden."},
        ),
        201,
    )
    assert created["title"] == "Konzept „Teilhabe“"
    assert created["description"] == "Für alle Gemeinden."
    assert created["latest_revision_id"] is None
    assert isinstance(created["id"], int)

    shown = ok(client.get(f"/api/v1/consultations/{created['id']}", headers=world.editor_h))
    assert shown["id"] == created["id"]
    assert shown["latest_revision_id"] is None

    members = ok(
        client.get(f"/api/v1/consultations/{created['id']}/members", headers=world.editor_h)
    )["members"]
    assert [(m["user_id"], m["role"]) for m in members] == [(world.editor.id, "editor")]

    revision = create_revision(client, world, {"markdown": SIMPLE_MD}, cid=created["id"])
    shown = ok(client.get(f"/api/v1/consultations/{created['id']}", headers=world.editor_h))
    assert shown["latest_revision_id"] == revision["id"]


def test_create_consultation_refuses_plain_users_and_missing_titles(
    client: CSRFClient, db: Session, world: World
) -> None:
    before = row_counts(db)
    assert_error(
        client.post("/api/v1/consultations", headers=world.outsider_h, json={"title": "X"}), 403
    )
    for body in ({}, {"title": ""}, {"title": "   "}, {"title": 42}):
        assert_error(client.post("/api/v1/consultations", headers=world.editor_h, json=body), 422)
    assert row_counts(db) == before


def test_members_put_get_delete(
    client: CSRFClient,
    db: Session,
    world: World,
    make_user: Callable[..., User],
    make_org: Callable[..., Any],
) -> None:
    base = f"/api/v1/consultations/{world.consultation_id}/members"
    newcomer = make_user("Nora Neu")
    mayor = make_user("Bürgermeisterin", organisation=make_org("Gemeinde Ahlen", "municipality"))
    db.commit()

    member = ok(
        client.put(f"{base}/{newcomer.id}", headers=world.editor_h, json={"role": "observer"})
    )
    assert (member["user_id"], member["role"]) == (newcomer.id, "observer")
    member = ok(
        client.put(f"{base}/{newcomer.id}", headers=world.editor_h, json={"role": "participant"})
    )
    assert member["role"] == "participant"
    member = ok(
        client.put(f"{base}/{mayor.id}", headers=world.editor_h, json={"role": "municipality"})
    )
    assert (member["role"], member["organisation"]) == ("municipality", "Gemeinde Ahlen")

    roles = {
        m["user_id"]: m["role"] for m in ok(client.get(base, headers=world.editor_h))["members"]
    }
    assert roles[newcomer.id] == "participant"
    assert roles[mayor.id] == "municipality"
    assert roles[world.editor.id] == "editor"

    # Members may read the list; outsiders do not learn that the consultation exists.
    assert ok(client.get(base, headers=world.observer_h))["members"]
    assert_error(client.get(base, headers=world.outsider_h), 404)

    response = client.delete(f"{base}/{newcomer.id}", headers=world.editor_h)
    assert response.status_code == 204, response.get_data(as_text=True)
    roles = {m["user_id"] for m in ok(client.get(base, headers=world.editor_h))["members"]}
    assert newcomer.id not in roles
    assert_error(client.delete(f"{base}/{newcomer.id}", headers=world.editor_h), 404)


def test_member_errors_write_nothing(
    client: CSRFClient, db: Session, world: World, make_user: Callable[..., User]
) -> None:
    base = f"/api/v1/consultations/{world.consultation_id}/members"
    person = make_user("Paul Person")  # organisation of kind "welfare"
    db.commit()
    before = row_counts(db)

    for role in ("owner", "", "Editor", "editor "):
        assert_error(
            client.put(f"{base}/{person.id}", headers=world.editor_h, json={"role": role}),
            422,
            "invalid_role",
        )
    assert_error(
        client.put(f"{base}/{person.id}", headers=world.editor_h, json={"role": "municipality"}),
        422,
        "not_a_municipality",
    )
    assert_error(client.put(f"{base}/{person.id}", headers=world.editor_h, json={}), 422)
    unknown = client.put(f"{base}/999999999", headers=world.editor_h, json={"role": "observer"})
    assert_error(unknown, unknown.status_code, "unknown_user")
    assert unknown.status_code in (404, 422)
    # The only editor can neither leave nor be demoted.
    assert_error(
        client.delete(f"{base}/{world.editor.id}", headers=world.editor_h), 409, "last_editor"
    )
    assert_error(
        client.put(f"{base}/{world.editor.id}", headers=world.editor_h, json={"role": "observer"}),
        409,
        "last_editor",
    )
    # Non-editors may not manage members; outsiders get 404.
    assert_error(
        client.put(f"{base}/{person.id}", headers=world.observer_h, json={"role": "observer"}),
        403,
    )
    assert_error(client.delete(f"{base}/{world.editor.id}", headers=world.participant_h), 403)
    assert_error(
        client.put(f"{base}/{person.id}", headers=world.outsider_h, json={"role": "observer"}),
        404,
    )
    assert row_counts(db) == before
    roles = {
        m["user_id"]: m["role"] for m in ok(client.get(base, headers=world.editor_h))["members"]
    }
    assert roles[world.editor.id] == "editor"
    assert person.id not in roles


def test_last_editor_may_leave_once_another_editor_exists(
    client: CSRFClient, db: Session, world: World, make_user: Callable[..., User]
) -> None:
    base = f"/api/v1/consultations/{world.consultation_id}/members"
    second = make_user("Zweite Redakteurin")
    db.commit()
    ok(client.put(f"{base}/{second.id}", headers=world.editor_h, json={"role": "editor"}))
    assert client.delete(f"{base}/{world.editor.id}", headers=world.editor_h).status_code == 204
    assert_error(client.get(base, headers=world.editor_h), 404)


# --- creating revisions ----------------------------------------------------------------------

UNICODE_SECTIONS = [
    (
        "1",
        "Präambel: „Zusammenleben“ in Vielfalt",
        "Grüße aus Düsseldorf! Straße, Maß und Fuß – „typografische Anführungszeichen“, "
        "‚einfache‘ und »französische«.\n\n"
        "Emoji: 👋🏽 Familie 👨\u200d👩\u200d👧\u200d👦, Regenbogen 🏳️\u200d🌈, "
        "Flaggen 🇩🇪 🇹🇷 und ✨ – danach geht der Text weiter.",
    ),
    (
        "1.1",
        "مرحبا – Arabisch",
        "نص عربي: مَرْحَبًا بِكُمْ في مدينتنا.\n"
        "Zeile zwei, gemischt: Schule مدرسة 2026.\n\n"
        "- Café mit zerlegtem Akzent: Cafe\u0301 und nai\u0308v\n"
        "- q\u0307 bleibt ein Zeichen mit kombinierendem Punkt\n\n"
        "1. Nummeriert mit 👍🏿\n"
        "2. Zweiter Punkt",
    ),
    ("2", "Ausblick", "Ein geschütztes\u00a0Leerzeichen, ein Tab\tim Satz.\nUnd ÄÖÜ äöü ß ẞ."),
]


def test_markdown_round_trips_byte_identical_through_api_and_page(
    client: CSRFClient, world: World, login: Callable[[User], CSRFClient]
) -> None:
    markdown = markdown_of(UNICODE_SECTIONS)
    created = create_revision(client, world, {"markdown": markdown, "note": "Import „Ü“"})
    assert created["status"] == "draft" and created["number"] == 1
    assert created["note"] == "Import „Ü“"

    revision = get_revision(client, world.editor_h, created["id"])
    assert [(s["key"], s["title"]) for s in revision["sections"]] == [
        (key, nfc(title)) for key, title, _ in UNICODE_SECTIONS
    ]
    for section, (_, _, body) in zip(revision["sections"], UNICODE_SECTIONS, strict=True):
        assert section["body"].encode("utf-8") == nfc(body).encode("utf-8")
    # NFC composed "e" + U+0301, and kept the mark that has no precomposed form.
    arabic = revision["sections"][1]["body"]
    assert "Café" in arabic and "naïv" in arabic and "e\u0301" not in arabic
    assert "q\u0307" in arabic
    assert "👨\u200d👩\u200d👧\u200d👦" in revision["sections"][0]["body"]

    # The page: every block's text is exactly the body slice its data-start names.
    login(world.editor)
    page = client.get(f"/revisions/{created['id']}")
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    bodies = {s["section_id"]: s["body"] for s in revision["sections"]}
    titles = {s["section_id"]: (s["key"], s["title"]) for s in revision["sections"]}
    seen = set()
    for element in tree.xpath("//section[@data-section-id]"):
        sid = int(element.get("data-section-id"))
        seen.add(sid)
        body = bodies[sid]
        heading = element.xpath(".//*[contains(@class, 'section-title')]")[0]
        key, title = titles[sid]
        assert heading.text_content() == f"{key} {title}"
        covered = [False] * len(body)
        blocks = element.xpath(".//*[@data-start]")
        assert blocks
        for block in blocks:
            start = int(block.get("data-start"))
            text = block.text_content()
            assert text, start
            assert text.encode("utf-8") == body[start : start + len(text)].encode("utf-8")
            covered[start : start + len(text)] = [True] * len(text)
        # Nothing visible is lost: what no block covers is white space or a list marker.
        rest = "".join(ch if not c else "\0" for ch, c in zip(body, covered, strict=True))
        for line in rest.split("\n"):
            leftover = line.replace("\0", "")
            assert re.fullmatch(r"\s*(- |\d+\. )?\s*", leftover), (line, leftover)
    assert seen == set(bodies)


def test_revision_shape_is_as_api_md(client: CSRFClient, world: World) -> None:
    created = create_revision(client, world, {"markdown": SIMPLE_MD})
    revision = get_revision(client, world.editor_h, created["id"])
    assert revision == created
    assert {"id", "consultation_id", "number", "status", "note", "created_at", "sections"} <= set(
        revision
    )
    assert revision["consultation_id"] == world.consultation_id
    assert revision["status"] == "draft"
    assert revision["note"] == ""
    assert datetime.fromisoformat(revision["created_at"]).utcoffset() is not None
    sections = revision["sections"]
    for section in sections:
        assert {"section_id", "key", "title", "body", "version_id", "parent_id", "position"} <= set(
            section
        )
        assert isinstance(section["section_id"], int) and isinstance(section["version_id"], int)
    assert [s["position"] for s in sections] == [0, 1, 2]
    assert [(s["key"], s["title"], s["body"]) for s in sections] == [
        ("1", "Einleitung", "Der Landkreis legt ein Integrationskonzept vor."),
        ("2", "Bildung", "Sprachkurse für alle."),
        ("2.1", "Schule", "Schulen öffnen sich."),
    ]
    assert [s["parent_id"] for s in sections] == [None, None, sections[1]["section_id"]]
    assert len({s["section_id"] for s in sections}) == 3


def test_create_from_sections_with_default_and_explicit_parents(
    client: CSRFClient, world: World
) -> None:
    revision = create_revision(
        client,
        world,
        {
            "note": "aus einer Liste",
            "sections": [
                {"key": "1", "title": "Ziele", "body": "Erstens.\n\nZweitens."},
                {"key": "1.1", "title": "Teilziel", "body": ""},
                {"key": "", "title": "Anhang ohne Nummer", "body": "A", "parent_key": "1"},
                {"key": "2", "title": "Wege", "body": "- eins\n- zwei"},
            ],
        },
    )
    sections = revision["sections"]
    assert revision["note"] == "aus einer Liste"
    assert [s["key"] for s in sections] == ["1", "1.1", "", "2"]
    assert [s["parent_id"] for s in sections] == [
        None,
        sections[0]["section_id"],
        sections[0]["section_id"],
        None,
    ]
    assert sections[0]["body"] == "Erstens.\n\nZweitens."
    assert sections[1]["body"] == ""


def test_two_revisions_share_the_versions_of_unchanged_sections(
    client: CSRFClient, db: Session, world: World
) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    publish(client, world, first["id"])

    # (1) from a section list: one body changed, the rest listed unchanged.
    payload = sections_payload(first)
    payload[1]["body"] = "Sprachkurse für alle, auch abends."
    second = create_revision(
        client, world, {"base_revision_id": first["id"], "sections": payload, "note": "Abends"}
    )
    assert second["number"] == 2
    old = {s["section_id"]: s["version_id"] for s in first["sections"]}
    new = {s["section_id"]: s["version_id"] for s in second["sections"]}
    assert set(old) == set(new)
    changed = first["sections"][1]["section_id"]
    assert new[changed] != old[changed]
    assert {sid: v for sid, v in new.items() if sid != changed} == {
        sid: v for sid, v in old.items() if sid != changed
    }
    publish(client, world, second["id"])

    # (2) a copy from base_revision_id alone: every version shared.
    before = row_counts(db)
    third = create_revision(client, world, {"base_revision_id": second["id"]})
    after = row_counts(db)
    assert third["status"] == "draft" and third["number"] == 3
    assert [
        (s["section_id"], s["version_id"], s["key"], s["parent_id"]) for s in third["sections"]
    ] == [(s["section_id"], s["version_id"], s["key"], s["parent_id"]) for s in second["sections"]]
    assert after["section_versions"] == before["section_versions"]
    assert after["sections"] == before["sections"]
    assert after["revisions"] == before["revisions"] + 1
    assert after["placements"] == before["placements"] + 3

    # The published revisions are untouched by what came after them.
    assert get_revision(client, world.editor_h, first["id"])["sections"] == first["sections"]


def test_reimported_markdown_keeps_identities_and_versions_of_unchanged_sections(
    client: CSRFClient, world: World
) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    publish(client, world, first["id"])
    changed_md = SIMPLE_MD.replace("Sprachkurse für alle.", "Sprachkurse für alle Menschen.")
    second = create_revision(client, world, {"markdown": changed_md})
    pairs = [
        (a["section_id"] == b["section_id"], a["version_id"] == b["version_id"])
        for a, b in zip(first["sections"], second["sections"], strict=True)
    ]
    assert pairs == [(True, True), (True, False), (True, True)]


# --- diff ------------------------------------------------------------------------------------

DIFF_V1 = [
    ("1", "Einleitung", "Der Landkreis legt ein Integrationskonzept vor."),
    ("2", "Bildung", "Sprachkurse für alle Kinder.\n\nDie Schule öffnet sich."),
    ("3", "Arbeit", "Die Ausbildung in Betrieben wird gefördert. Die Schule hilft."),
    ("4", "Gesundheit", "Dolmetscherdienste in Praxen."),
    ("5", "Wohnen", "Bezahlbarer Wohnraum."),
    ("6", "Sprache", "Kurse 🇩🇪 für Erwachsene."),
]


def diff_revisions(client: CSRFClient, w: World) -> tuple[JSON, JSON]:
    first = create_revision(client, w, {"markdown": markdown_of(DIFF_V1)})
    publish(client, w, first["id"])
    by_key = {s["key"]: s for s in sections_payload(first)}
    by_key["3"]["body"] = (
        "Die Ausbildung in kleinen Betrieben wird stark gefördert. Die Schulen helfen."
    )
    by_key["5"]["title"] = "Wohnen und Nachbarschaft"
    new_sections = [
        by_key["1"],  # unchanged
        by_key["3"],  # changed body
        by_key["5"],  # changed title only
        by_key["6"],  # unchanged
        by_key["2"],  # moved to the end, text unchanged
        {"key": "7", "title": "Engagement", "body": "Ehrenamt 🤝 stärken."},  # added
        # 4 Gesundheit is not listed: removed
    ]
    second = create_revision(client, w, {"base_revision_id": first["id"], "sections": new_sections})
    return first, second


def test_diff_reports_statuses_and_ops_that_rebuild_both_texts(
    client: CSRFClient, world: World
) -> None:
    first, second = diff_revisions(client, world)
    response = client.get(
        f"/api/v1/revisions/{second['id']}/diff?against={first['id']}", headers=world.editor_h
    )
    diff = ok(response)
    statuses = {s["key"]: s["status"] for s in diff["sections"]}
    assert statuses == {
        "1": "unchanged",
        "3": "changed",
        "5": "changed",
        "6": "unchanged",
        "2": "moved",
        "7": "added",
        "4": "removed",
    }
    old = {s["section_id"]: s for s in first["sections"]}
    new = {s["section_id"]: s for s in second["sections"]}
    for entry in diff["sections"]:
        assert {"section_id", "key", "title", "status", "ops"} <= set(entry)
        sid = entry["section_id"]
        before, after = old.get(sid), new.get(sid)
        old_body = before["body"] if before else ""
        new_body = after["body"] if after else ""
        assert rebuild(entry["ops"]) == (old_body, new_body), entry
        assert_no_split_word(entry["ops"])
        assert entry["title"] == (after or before)["title"]  # type: ignore[index]
        if "title_ops" in entry:
            old_title = before["title"] if before else ""
            new_title = after["title"] if after else ""
            assert rebuild(entry["title_ops"]) == (old_title, new_title)
            assert_no_split_word(entry["title_ops"])
        if entry["status"] in ("unchanged", "moved"):
            assert all(op == "equal" for op, _ in entry["ops"]), entry
    # The reading order of the new revision, the removed section after its old predecessor.
    assert [s["key"] for s in diff["sections"]] == ["1", "3", "4", "5", "6", "2", "7"]

    changed = next(s for s in diff["sections"] if s["key"] == "3")
    deleted = " ".join(text for op, text in changed["ops"] if op == "delete")
    inserted = " ".join(text for op, text in changed["ops"] if op == "insert")
    assert re.search(r"\bSchule\b", deleted) and re.search(r"\bSchulen\b", inserted), changed
    assert "kleinen" in inserted and "stark" in inserted and "Betrieben" not in inserted
    title_change = next(s for s in diff["sections"] if s["key"] == "5")
    assert title_change["title"] == "Wohnen und Nachbarschaft"
    assert all(op == "equal" for op, _ in title_change["ops"])
    assert rebuild(title_change["title_ops"]) == ("Wohnen", "Wohnen und Nachbarschaft")

    # The reverse direction swaps inserts and deletes; a second call (cached) answers the same.
    reverse = ok(
        client.get(
            f"/api/v1/revisions/{first['id']}/diff?against={second['id']}", headers=world.editor_h
        )
    )
    assert {s["key"]: s["status"] for s in reverse["sections"]}["7"] == "removed"
    assert {s["key"]: s["status"] for s in reverse["sections"]}["4"] == "added"
    again = ok(
        client.get(
            f"/api/v1/revisions/{second['id']}/diff?against={first['id']}", headers=world.editor_h
        )
    )
    assert again == diff


def test_diff_is_cached_per_pair_of_versions(client: CSRFClient, db: Session, world: World) -> None:
    first, second = diff_revisions(client, world)
    url = f"/api/v1/revisions/{second['id']}/diff?against={first['id']}"
    ok(client.get(url, headers=world.editor_h))
    db.expire_all()
    cached = db.scalar(select(func.count()).select_from(SectionDiff))
    assert cached == 2  # section 3 (body) and section 5 (title)
    ok(client.get(url, headers=world.editor_h))
    assert db.scalar(select(func.count()).select_from(SectionDiff)) == cached


def test_diff_errors(client: CSRFClient, world: World) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    elsewhere = ok(
        client.post("/api/v1/consultations", headers=world.editor_h, json={"title": "Zweites"}),
        201,
    )
    foreign = create_revision(client, world, {"markdown": SIMPLE_MD}, cid=elsewhere["id"])
    h = world.editor_h
    url = f"/api/v1/revisions/{first['id']}/diff"
    assert_error(client.get(url, headers=h), 422, "missing_against")
    assert_error(client.get(f"{url}?against=abc", headers=h), 422, "invalid_against")
    # Both readable, but from two consultations.
    assert_error(client.get(f"{url}?against={foreign['id']}", headers=h), 422, "invalid_against")
    assert_error(client.get(f"{url}?against=999999999", headers=h), 404)
    assert_error(
        client.get(f"/api/v1/revisions/999999999/diff?against={first['id']}", headers=h), 404
    )
    # A revision compared with itself: nothing changed.
    same = ok(client.get(f"{url}?against={first['id']}", headers=h))
    assert {s["status"] for s in same["sections"]} == {"unchanged"}


# --- editing a draft -------------------------------------------------------------------------


def test_put_sections_restructures_a_draft(client: CSRFClient, world: World) -> None:
    draft = create_revision(client, world, {"markdown": SIMPLE_MD})
    payload = sections_payload(draft)
    intro, bildung, schule = payload
    schule["key"] = "1.1"
    schule["parent_key"] = "1"
    updated = ok(
        client.put(
            f"/api/v1/revisions/{draft['id']}/sections",
            headers=world.editor_h,
            json={"sections": [intro, schule, bildung], "note": "umgebaut"},
        )
    )
    assert updated["id"] == draft["id"]
    assert updated["note"] == "umgebaut"
    sections = updated["sections"]
    assert [(s["key"], s["title"]) for s in sections] == [
        ("1", "Einleitung"),
        ("1.1", "Schule"),
        ("2", "Bildung"),
    ]
    assert [s["section_id"] for s in sections] == [
        intro["section_id"],
        schule["section_id"],
        bildung["section_id"],
    ]
    assert sections[1]["parent_id"] == intro["section_id"]
    # Same text: same version, even though the section moved.
    old_versions = {s["section_id"]: s["version_id"] for s in draft["sections"]}
    assert all(old_versions[s["section_id"]] == s["version_id"] for s in sections)
    assert get_revision(client, world.editor_h, draft["id"]) == updated


def test_patch_section_and_stale_save(client: CSRFClient, db: Session, world: World) -> None:
    draft = create_revision(client, world, {"markdown": SIMPLE_MD})
    section = draft["sections"][1]
    url = f"/api/v1/revisions/{draft['id']}/sections/{section['section_id']}"
    saved = ok(
        client.patch(
            url,
            headers=world.editor_h,
            json={
                "base_version_id": section["version_id"],
                "title": "Bildung und Sprache",
                "body": "Sprachkurse für alle 👩\u200d🏫.",
            },
        )
    )
    assert saved["version_id"] != section["version_id"]
    assert (saved["title"], saved["body"]) == (
        "Bildung und Sprache",
        "Sprachkurse für alle 👩\u200d🏫.",
    )

    # A second editor still holding the old version: 409 with the current text.
    before = row_counts(db)
    error = assert_error(
        client.patch(
            url,
            headers=world.editor_h,
            json={"base_version_id": section["version_id"], "body": "Mein alter Stand."},
        ),
        409,
        "stale_version",
    )
    assert error["current"] == {
        "version_id": saved["version_id"],
        "title": "Bildung und Sprache",
        "body": "Sprachkurse für alle 👩\u200d🏫.",
    }
    assert row_counts(db) == before
    current = get_revision(client, world.editor_h, draft["id"])["sections"][1]
    assert current["version_id"] == saved["version_id"]

    # Saving again from the current version works; a missing base_version_id is 422.
    ok(
        client.patch(
            url,
            headers=world.editor_h,
            json={"base_version_id": saved["version_id"], "body": "Neu."},
        )
    )
    assert_error(client.patch(url, headers=world.editor_h, json={"body": "x"}), 422)
    missing = f"/api/v1/revisions/{draft['id']}/sections/999999999"
    assert_error(
        client.patch(missing, headers=world.editor_h, json={"base_version_id": 1, "body": "x"}),
        404,
    )


def test_editing_a_draft_leaves_the_published_base_alone(client: CSRFClient, world: World) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    publish(client, world, first["id"])
    draft = create_revision(client, world, {"base_revision_id": first["id"]})
    section = draft["sections"][0]
    ok(
        client.patch(
            f"/api/v1/revisions/{draft['id']}/sections/{section['section_id']}",
            headers=world.editor_h,
            json={"base_version_id": section["version_id"], "body": "Geändert."},
        )
    )
    assert get_revision(client, world.editor_h, first["id"])["sections"] == first["sections"]


def test_publish_freezes_and_supersedes(client: CSRFClient, db: Session, world: World) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    published = publish(client, world, first["id"])
    assert published["status"] == "published"
    assert published["sections"] == first["sections"]
    second = create_revision(client, world, {"base_revision_id": first["id"]})
    publish(client, world, second["id"])
    assert get_revision(client, world.editor_h, first["id"])["status"] == "superseded"
    assert get_revision(client, world.editor_h, second["id"])["status"] == "published"

    # Published revisions never change.
    before = row_counts(db)
    section = first["sections"][0]
    assert_error(
        client.patch(
            f"/api/v1/revisions/{first['id']}/sections/{section['section_id']}",
            headers=world.editor_h,
            json={"base_version_id": section["version_id"], "body": "Nachträglich."},
        ),
        409,
        "revision_published",
    )
    assert_error(
        client.put(
            f"/api/v1/revisions/{second['id']}/sections",
            headers=world.editor_h,
            json={"sections": sections_payload(second)[:1]},
        ),
        409,
        "revision_published",
    )
    assert_error(
        client.post(f"/api/v1/revisions/{second['id']}/publish", headers=world.editor_h), 409
    )
    assert row_counts(db) == before
    assert get_revision(client, world.editor_h, first["id"])["sections"] == first["sections"]


# --- bad input writes nothing ----------------------------------------------------------------


def rejected(
    client: CSRFClient,
    db: Session,
    headers: Headers,
    method: str,
    url: str,
    status: int,
    code: str | None = None,
    **kwargs: Any,
) -> JSON:
    before = row_counts(db)
    error = assert_error(client.open(url, method=method, headers=headers, **kwargs), status, code)
    assert row_counts(db) == before, (url, kwargs.get("json"))
    return error


def test_empty_markdown_is_422_and_writes_nothing(
    client: CSRFClient, db: Session, world: World
) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    for markdown in ("", "   \n\n\t", "Nur Text ohne Überschrift."):
        rejected(client, db, world.editor_h, "POST", url, 422, json={"markdown": markdown})
    for body in ({}, {"markdown": 42}, {"markdown": "# 1 A", "sections": []}, {"sections": []}):
        rejected(client, db, world.editor_h, "POST", url, 422, json=body)


def test_oversized_input_is_rejected_and_writes_nothing(
    client: CSRFClient, db: Session, world: World
) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    # Above the 2 MB body limit of the API.
    huge = "# 1 Groß\n\n" + "Wort " * 450_000
    assert len(huge.encode()) > 2 * 1024 * 1024
    rejected(client, db, world.editor_h, "POST", url, 413, json={"markdown": huge})
    # Below the body limit but above the longest importable text.
    long_md = "# 1 Lang\n\n" + "x" * 2_000_001
    assert len(long_md.encode()) < 2 * 1024 * 1024
    rejected(client, db, world.editor_h, "POST", url, 413, json={"markdown": long_md})
    # A single section body above 1 MB (1,000,000 code points).
    body = "b" * 1_000_001
    rejected(
        client,
        db,
        world.editor_h,
        "POST",
        url,
        422,
        "body_too_long",
        json={"sections": [{"key": "1", "title": "Zu lang", "body": body}]},
    )


def test_bad_section_lists_are_422_and_write_nothing(
    client: CSRFClient, db: Session, world: World
) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    publish(client, world, first["id"])
    foreign = ok(
        client.post(
            f"/api/v1/consultations/{world.other_consultation_id}/revisions",
            headers=world.other_editor_h,
            json={"markdown": "# 1 Fremd\n\nText."},
        ),
        201,
    )
    payload = sections_payload(first)
    sid = payload[0]["section_id"]
    foreign_sid = foreign["sections"][0]["section_id"]

    cases: list[tuple[JSON, str]] = [
        ({"base_revision_id": 999_999_999, "sections": payload}, "unknown_base_revision"),
        ({"base_revision_id": foreign["id"], "sections": payload}, "unknown_base_revision"),
        ({"base_revision_id": 999_999_999}, "unknown_base_revision"),
        ({"base_revision_id": foreign["id"]}, "unknown_base_revision"),
        (
            {
                "base_revision_id": first["id"],
                "sections": [
                    {"section_id": sid, "key": "1", "title": "A", "body": ""},
                    {"section_id": sid, "key": "2", "title": "B", "body": ""},
                ],
            },
            "duplicate_section",
        ),
        (
            {
                "base_revision_id": first["id"],
                "sections": [
                    *payload,
                    {"section_id": foreign_sid, "key": "9", "title": "Fremd", "body": ""},
                ],
            },
            "unknown_section",
        ),
        (
            {"sections": [{"section_id": 999_999_999, "key": "1", "title": "A", "body": ""}]},
            "unknown_section",
        ),
        (  # parent_key pointing forward
            {
                "sections": [
                    {"key": "1", "title": "A", "body": "", "parent_key": "2"},
                    {"key": "2", "title": "B", "body": ""},
                ]
            },
            None,
        ),
        (  # two sections each other's parent
            {
                "sections": [
                    {"key": "1", "title": "A", "body": "", "parent_key": "2"},
                    {"key": "2", "title": "B", "body": "", "parent_key": "1"},
                ]
            },
            None,
        ),
        (  # its own parent
            {"sections": [{"key": "1", "title": "A", "body": "", "parent_key": "1"}]},
            "parent_cycle",
        ),
        (
            {"sections": [{"key": "1", "title": "A", "body": "", "parent_key": "7"}]},
            "unknown_parent",
        ),
        ({"sections": [{"key": "3.2", "title": "Ohne 3", "body": ""}]}, "unknown_parent"),
        (  # a child separated from its parent by another top-level section
            {
                "sections": [
                    {"key": "1", "title": "A", "body": ""},
                    {"key": "2", "title": "B", "body": ""},
                    {"key": "1.1", "title": "C", "body": ""},
                ]
            },
            None,
        ),
        (
            {
                "sections": [
                    {"key": "1", "title": "A", "body": ""},
                    {"key": "1", "title": "B", "body": ""},
                ]
            },
            None,
        ),
        ({"sections": [{"key": "1", "title": "", "body": "x"}]}, None),
        ({"sections": [{"key": "1 2", "title": "A", "body": "x"}]}, None),
        ({"sections": [{"key": "1", "title": "A", "body": 5}]}, None),
        ({"sections": ["nicht ein Objekt"]}, None),
        ({"sections": "nicht eine Liste"}, None),
        ({"sections": [{"key": "1", "title": "A", "parent_key": 3}]}, None),
        ({"sections": [{"key": "1", "title": "A"}], "note": "x" * 2001}, "invalid_note"),
        ({"sections": [{"key": "1", "title": "A"}], "base_revision_id": "1"}, None),
    ]
    for body, code in cases:
        error = rejected(client, db, world.editor_h, "POST", url, 422, code, json=body)
        assert code is None or error["code"] == code


def test_bad_section_lists_leave_a_draft_unchanged(
    client: CSRFClient, db: Session, world: World
) -> None:
    draft = create_revision(client, world, {"markdown": SIMPLE_MD})
    foreign = ok(
        client.post(
            f"/api/v1/consultations/{world.other_consultation_id}/revisions",
            headers=world.other_editor_h,
            json={"markdown": "# 1 Fremd\n\nText."},
        ),
        201,
    )
    url = f"/api/v1/revisions/{draft['id']}/sections"
    payload = sections_payload(draft)
    intro, bildung, schule = payload
    bad_lists = [
        ([intro, {**bildung, "section_id": intro["section_id"]}, schule], "duplicate_section"),
        (
            [intro, bildung, {**schule, "section_id": foreign["sections"][0]["section_id"]}],
            "unknown_section",
        ),
        ([{**intro, "parent_key": "2"}, {**bildung, "parent_key": "1"}, schule], None),
        ([{**intro, "parent_key": "1"}, bildung, schule], "parent_cycle"),
        ([intro, bildung, {**schule, "parent_key": "8"}], "unknown_parent"),
        ([], "no_sections"),
    ]
    for sections, code in bad_lists:
        rejected(client, db, world.editor_h, "PUT", url, 422, code, json={"sections": sections})
    assert get_revision(client, world.editor_h, draft["id"]) == draft


def test_unknown_parent_message_names_the_key(
    client: CSRFClient, db: Session, world: World
) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    error = rejected(
        client,
        db,
        world.editor_h,
        "POST",
        url,
        422,
        "unknown_parent",
        json={"sections": [{"key": "1", "title": "A", "parent_key": "9.9"}]},
    )
    assert "9.9" in error["message"]


def test_malformed_json_is_400(client: CSRFClient, db: Session, world: World) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    rejected(
        client,
        db,
        world.editor_h,
        "POST",
        url,
        400,
        data='{"markdown": "# 1 A',
        content_type="application/json",
    )
    rejected(client, db, world.editor_h, "POST", url, 400, json=["# 1 A"])


def test_second_draft_is_409_draft_exists(client: CSRFClient, db: Session, world: World) -> None:
    url = f"/api/v1/consultations/{world.consultation_id}/revisions"
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    for body in (
        {"markdown": SIMPLE_MD},
        {"sections": sections_payload(first)},
        {"base_revision_id": first["id"]},
    ):
        error = rejected(client, db, world.editor_h, "POST", url, 409, "draft_exists", json=body)
        assert error["draft_revision_id"] == first["id"]


def test_non_editors_cannot_write(client: CSRFClient, db: Session, world: World) -> None:
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    section = first["sections"][0]
    writes: list[tuple[str, str, JSON | None]] = [
        (
            "POST",
            f"/api/v1/consultations/{world.consultation_id}/revisions",
            {"markdown": SIMPLE_MD},
        ),
        ("PUT", f"/api/v1/revisions/{first['id']}/sections", {"sections": sections_payload(first)}),
        (
            "PATCH",
            f"/api/v1/revisions/{first['id']}/sections/{section['section_id']}",
            {"base_version_id": section["version_id"], "body": "Übernommen?"},
        ),
        ("POST", f"/api/v1/revisions/{first['id']}/publish", None),
    ]
    # Members who are not editors: 403 where they can see the object, 404 where they cannot
    # (drafts are hidden from observers and participants); outsiders get 404 everywhere.
    for headers in (world.observer_h, world.participant_h):
        method, url, body = writes[0]
        rejected(client, db, headers, method, url, 403, json=body)
        for method, url, body in writes[1:]:
            rejected(client, db, headers, method, url, 404, json=body)
    for method, url, body in writes:
        rejected(client, db, world.outsider_h, method, url, 404, json=body)

    # Observers can read a published revision but still not write to it: 403.
    publish(client, world, first["id"])
    copy = {"base_revision_id": first["id"]}
    for method, url, body in [(writes[0][0], writes[0][1], copy), *writes[1:]]:
        rejected(client, db, world.observer_h, method, url, 403, json=body)
    # Participants see the consultation (403 on writing to it), not yet its revisions (404).
    for method, url, body in writes:
        status = 403 if url.startswith("/api/v1/consultations/") else 404
        rejected(client, db, world.participant_h, method, url, status, json=body)
    assert get_revision(client, world.editor_h, first["id"])["sections"] == first["sections"]


def test_visibility_of_consultations_and_revisions(client: CSRFClient, world: World) -> None:
    cid = world.consultation_id
    first = create_revision(client, world, {"markdown": SIMPLE_MD})
    publish(client, world, first["id"])
    draft = create_revision(client, world, {"base_revision_id": first["id"]})

    # Outsiders: every read is 404, indistinguishable from an unknown id.
    for url in (
        f"/api/v1/consultations/{cid}",
        f"/api/v1/consultations/{cid}/members",
        f"/api/v1/consultations/{cid}/revisions",
        f"/api/v1/revisions/{first['id']}",
        f"/api/v1/revisions/{draft['id']}",
        f"/api/v1/revisions/{draft['id']}/diff?against={first['id']}",
        "/api/v1/consultations/999999999",
        "/api/v1/revisions/999999999",
    ):
        assert_error(client.get(url, headers=world.outsider_h), 404)
    assert all(
        c["id"] != cid
        for c in ok(client.get("/api/v1/consultations", headers=world.outsider_h))["consultations"]
    )
    # Editors of another consultation are outsiders here.
    assert_error(client.get(f"/api/v1/revisions/{first['id']}", headers=world.other_editor_h), 404)

    # Observers read published revisions, never drafts.
    assert get_revision(client, world.observer_h, first["id"])["sections"] == first["sections"]
    assert_error(client.get(f"/api/v1/revisions/{draft['id']}", headers=world.observer_h), 404)
    assert_error(
        client.get(
            f"/api/v1/revisions/{draft['id']}/diff?against={first['id']}", headers=world.observer_h
        ),
        404,
    )
    shown = ok(client.get(f"/api/v1/consultations/{cid}", headers=world.observer_h))
    assert [r["id"] for r in shown["revisions"]] == [first["id"]]
    listed = ok(client.get(f"/api/v1/consultations/{cid}/revisions", headers=world.observer_h))
    assert [r["id"] for r in listed["revisions"]] == [first["id"]]
    # The editor sees both, newest first.
    shown = ok(client.get(f"/api/v1/consultations/{cid}", headers=world.editor_h))
    assert [r["id"] for r in shown["revisions"]] == [draft["id"], first["id"]]
    assert shown["latest_revision_id"] == draft["id"]


# --- additions: limits of the markdown import, parents by identity, unknown members ----------


def test_markdown_section_over_the_body_limit_is_422_and_writes_nothing(
    client: CSRFClient, db: Session, world: World
) -> None:
    before = row_counts(db)
    response = client.post(
        f"/api/v1/consultations/{world.consultation_id}/revisions",
        headers=world.editor_h,
        json={"markdown": "# 1 Lang\n\n" + "b" * 1_000_001},
    )
    assert_error(response, 422, "body_too_long")
    assert row_counts(db) == before


def test_children_of_unnumbered_sections_survive_a_get_put_round_trip(
    client: CSRFClient, world: World
) -> None:
    draft = create_revision(
        client,
        world,
        {"markdown": "# Einleitung\nText.\n\n## Unterpunkt\nMehr.\n\n# 1 Eins\nEnde."},
    )
    assert draft["sections"][1]["parent_id"] == draft["sections"][0]["section_id"]
    payload = [
        {
            "section_id": s["section_id"],
            "key": s["key"],
            "title": s["title"],
            "body": s["body"],
            "parent_section_id": s["parent_id"],
        }
        for s in draft["sections"]
    ]
    again = ok(
        client.put(
            f"/api/v1/revisions/{draft['id']}/sections",
            headers=world.editor_h,
            json={"sections": payload},
        )
    )
    assert [s["parent_id"] for s in again["sections"]] == [
        s["parent_id"] for s in draft["sections"]
    ]
    assert [s["version_id"] for s in again["sections"]] == [
        s["version_id"] for s in draft["sections"]
    ]
    payload[1]["parent_section_id"] = 999_999
    response = client.put(
        f"/api/v1/revisions/{draft['id']}/sections",
        headers=world.editor_h,
        json={"sections": payload},
    )
    assert_error(response, 422, "unknown_parent")


def test_member_put_for_an_unknown_user_is_404(
    client: CSRFClient, db: Session, world: World
) -> None:
    before = row_counts(db)
    response = client.put(
        f"/api/v1/consultations/{world.consultation_id}/members/999999",
        headers=world.editor_h,
        json={"role": "participant"},
    )
    assert_error(response, 404, "unknown_user")
    assert row_counts(db) == before
