"""``POST /consultations/{id}/revisions`` with ``{"markdown": ...}``: answered within two
seconds, or refused with the limit and the count, writing nothing (issue 9)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.globals import app_ctx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.domain.outline import MAX_PARAGRAPHS, MAX_SECTIONS
from consult.models import Consultation, Membership, Placement, Revision, Section, User
from tests.conftest import CSRFClient

ANSWER_WITHIN = 2.0
COUNTED = (Revision, Section, Placement)


@pytest.fixture(autouse=True)
def _app_context_per_request(app: Flask) -> Iterator[None]:
    """One app context (hence one flask.g and one DB session) per request, as in production."""
    outer = app_ctx._get_current_object()
    outer.pop()
    yield
    outer.push()


def row_counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }


@pytest.fixture
def post_markdown(
    db: Session,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
    token_for: Callable[[User], dict[str, str]],
    client: CSRFClient,
) -> Callable[[str], tuple[Any, float, float]]:
    editor = make_user("Erika Redaktion")
    consultation = Consultation(title="Integrationskonzept", created_by_id=editor.id)
    db.add(consultation)
    db.flush()
    add_member(consultation.id, editor, "editor")
    db.commit()
    headers = token_for(editor)
    url = f"/api/v1/consultations/{consultation.id}/revisions"

    def post(markdown: str) -> tuple[Any, float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, headers=headers, json={"markdown": markdown})
        return response, time.perf_counter() - wall, time.process_time() - cpu

    return post


def refusal(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.get_data(as_text=True)[:800]
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "invalid_markdown"
    return error


def test_more_sections_than_the_cap_are_refused_and_nothing_is_written(
    db: Session, post_markdown: Callable[[str], tuple[Any, float, float]]
) -> None:
    markdown = "".join(f"# {n} Abschnitt\n\nText.\n\n" for n in range(1, MAX_SECTIONS + 2))
    before = row_counts(db)
    response, wall, _ = post_markdown(markdown)
    assert wall < ANSWER_WITHIN
    assert refusal(response)["message"] == (
        "Zu viele Abschnitte: der Text hat 2001, höchstens 2000 sind möglich."
    )
    assert row_counts(db) == before


def test_more_paragraphs_than_the_cap_are_refused_and_nothing_is_written(
    db: Session, post_markdown: Callable[[str], tuple[Any, float, float]]
) -> None:
    markdown = "# 1 Einleitung\n\n" + "a\n\n- b\n" * (MAX_PARAGRAPHS // 2) + "\nc\n"
    before = row_counts(db)
    response, wall, _ = post_markdown(markdown)
    assert wall < ANSWER_WITHIN
    assert refusal(response)["message"] == (
        "Zu viele Absätze: der Text hat 20001 Absätze und Listenpunkte, höchstens 20000 sind "
        "möglich."
    )
    assert row_counts(db) == before


def test_markdown_at_both_caps_is_imported_within_two_seconds(
    db: Session, post_markdown: Callable[[str], tuple[Any, float, float]]
) -> None:
    """2,000 sections, 20,000 paragraphs: about 0.7 s alone. Checked against the CPU time
    (wall time in the message): on a shared machine the wall time also counts waiting."""
    per_section = MAX_PARAGRAPHS // MAX_SECTIONS
    markdown = "".join(
        f"{'#' * (1 + n % 3)} Abschnitt {n}\n\n" + "Ein Absatz.\n\n" * per_section
        for n in range(MAX_SECTIONS)
    )
    response, wall, cpu = post_markdown(markdown)
    assert cpu < ANSWER_WITHIN, (wall, cpu)
    assert response.status_code == 201, response.get_data(as_text=True)[:800]
    assert len(response.get_json()["sections"]) == MAX_SECTIONS


def test_a_paragraph_of_many_lines_is_answered_within_two_seconds(
    post_markdown: Callable[[str], tuple[Any, float, float]],
) -> None:
    """Lines without blank lines between them are one paragraph: 300,000 lines in each
    of two sections, as much as a JSON body of 2 MB holds."""
    markdown = "# 1 Eins\n" + "x\n" * 300_000 + "# 2 Zwei\n" + "y\n" * 300_000
    response, wall, _ = post_markdown(markdown)
    assert wall < ANSWER_WITHIN
    assert response.status_code == 201, response.get_data(as_text=True)[:800]
