"""A write sent twice is done once (consult.idempotency).

A double click on "Speichern", or a resend after a slow answer, sends the same form
twice; a script retries an API request whose answer it never got. Each used to store
a second, identical comment. The repeat now gets the first request's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import Feedback, Membership, Organisation, Reply, Submission, User
from tests import support
from tests.conftest import CSRFClient
from tests.services.test_feedback import World, build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    world = build_world(db, admin, make_user, make_org, add_member)
    world.open_round()
    db.commit()
    return world


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def browser(app: Flask, db: Session, user: User) -> CSRFClient:
    client: CSRFClient = app.test_client()  # type: ignore[assignment]
    return support.sign_in(client, db, user)


def once_value(page: str) -> str:
    match = re.search(r'<input type="hidden" name="_once" value="([^"]+)">', page)
    assert match, "the form carries no one-time field"
    return match.group(1)


def form_url(world: World, key: str) -> str:
    return f"/revisions/{world.revision.id}/sections/{world.section_id(key)}/feedback"


def test_the_same_form_sent_twice_stores_one_comment(app: Flask, world: World) -> None:
    client = browser(app, world.db, world.alice)
    url = form_url(world, "3")
    page = client.get(url).get_data(as_text=True)
    data = {"kind": "comment", "body": "Bitte ergänzen.", "_once": once_value(page)}
    before = count(world.db, Feedback)

    first = client.post(url, data=data)
    second = client.post(url, data=data)

    assert first.status_code in (302, 303)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert count(world.db, Feedback) == before + 1
    # The repeat shows the same confirmation as the first.
    shown = support.page(client.get(second.headers["Location"]))
    assert "gespeichert" in shown.lower()


def test_a_form_rendered_again_or_changed_is_a_new_write(app: Flask, world: World) -> None:
    client = browser(app, world.db, world.alice)
    url = form_url(world, "3")
    before = count(world.db, Feedback)
    once = once_value(client.get(url).get_data(as_text=True))
    client.post(url, data={"kind": "comment", "body": "Erstens.", "_once": once})
    # The same page, changed and sent again (back button): a second comment.
    client.post(url, data={"kind": "comment", "body": "Zweitens.", "_once": once})
    # The form rendered anew, the same text: a deliberate third comment.
    again = once_value(client.get(url).get_data(as_text=True))
    assert again != once
    client.post(url, data={"kind": "comment", "body": "Erstens.", "_once": again})
    assert count(world.db, Feedback) == before + 3


def test_another_person_sending_the_same_form_is_not_a_repeat(app: Flask, world: World) -> None:
    url = form_url(world, "3")
    before = count(world.db, Feedback)
    for user in (world.alice, world.anna):
        client = browser(app, world.db, user)
        once = once_value(client.get(url).get_data(as_text=True))
        data = {"kind": "comment", "body": "Gleicher Text.", "_once": once}
        client.post(url, data=data)
        # Even with another person's one-time value: each person's own write.
        client.post(url, data={**data, "_once": "fest"})
    assert count(world.db, Feedback) == before + 4


def test_a_refused_form_is_not_remembered(app: Flask, world: World) -> None:
    client = browser(app, world.db, world.alice)
    url = form_url(world, "3")
    once = once_value(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"kind": "comment", "body": "", "_once": once}).status_code == 422
    assert count(world.db, Submission) == 0
    response = client.post(url, data={"kind": "comment", "body": "Jetzt mit Text.", "_once": once})
    assert response.status_code in (302, 303)
    assert count(world.db, Submission) == 1


def test_forms_without_the_field_are_carried_out_each_time(app: Flask, world: World) -> None:
    client = browser(app, world.db, world.alice)
    url = form_url(world, "3")
    before = count(world.db, Feedback)
    for _ in range(2):
        client.post(url, data={"kind": "comment", "body": "Ohne Feld."})
    assert count(world.db, Feedback) == before + 2


def test_every_write_form_of_the_reading_view_carries_the_field(app: Flask, world: World) -> None:
    client = browser(app, world.db, world.alice)
    page = client.get(f"/revisions/{world.revision.id}").get_data(as_text=True)
    forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", page, re.S)
    assert forms
    for form in forms:
        if 'action="/logout"' in form or 'action="/language"' in form:
            continue
        assert 'name="_once"' in form, form[:300]


# --- the API: Idempotency-Key ---------------------------------------------------------


def api_comment(
    client: CSRFClient, world: World, headers: dict[str, str], body: str, key: str | None
) -> Any:
    url = f"/api/v1/revisions/{world.revision.id}/sections/{world.section_id('3')}/comments"
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(url, json={"body": body, "anchor": None}, headers={**headers, **extra})


def test_an_api_request_retried_with_its_key_is_done_once(
    client: CSRFClient, world: World, token_for: Callable[[User], dict[str, str]]
) -> None:
    headers = token_for(world.alice)
    before = count(world.db, Feedback)
    first = api_comment(client, world, headers, "Einmal.", "7f1e-retry-1")
    second = api_comment(client, world, headers, "Einmal.", "7f1e-retry-1")
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count(world.db, Feedback) == before + 1
    # Without a key, or with another, it is a new write.
    assert api_comment(client, world, headers, "Einmal.", None).status_code == 201
    assert api_comment(client, world, headers, "Einmal.", "7f1e-retry-2").status_code == 201
    assert count(world.db, Feedback) == before + 3


def test_a_key_reused_for_another_body_is_refused(
    client: CSRFClient, world: World, token_for: Callable[[User], dict[str, str]]
) -> None:
    headers = token_for(world.alice)
    assert api_comment(client, world, headers, "Erster Text.", "k-1").status_code == 201
    before = count(world.db, Feedback)
    response = api_comment(client, world, headers, "Anderer Text.", "k-1")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(world.db, Feedback) == before


def test_keys_are_per_person(
    client: CSRFClient, world: World, token_for: Callable[[User], dict[str, str]]
) -> None:
    before = count(world.db, Feedback)
    for user in (world.alice, world.anna):
        assert api_comment(client, world, token_for(user), "Text.", "geteilt").status_code == 201
    assert count(world.db, Feedback) == before + 2


def test_a_refused_api_request_can_be_retried_with_its_key(
    client: CSRFClient, world: World, token_for: Callable[[User], dict[str, str]]
) -> None:
    headers = token_for(world.alice)
    assert api_comment(client, world, headers, "", "k-empty").status_code == 422
    assert count(world.db, Submission) == 0
    # A different body with the same key after a refusal: nothing was remembered.
    assert api_comment(client, world, headers, "Nun.", "k-empty").status_code == 201


def test_an_overlong_key_is_refused(
    client: CSRFClient, world: World, token_for: Callable[[User], dict[str, str]]
) -> None:
    response = api_comment(client, world, token_for(world.alice), "Text.", "x" * 300)
    assert response.status_code == 422
    assert count(world.db, Reply) == 0


def test_the_threads_forms_get_a_fresh_value_on_every_page(app: Flask, world: World) -> None:
    """The reading view keeps rendered threads between requests; their forms' one-time
    field must still be the page's own, or two pages' forms would look like one."""
    client = browser(app, world.db, world.alice)
    url = form_url(world, "3")
    client.post(url, data={"kind": "comment", "body": "Mit Knöpfen."})
    page_url = f"/revisions/{world.revision.id}"

    def thread_form_values() -> set[str]:
        page = client.get(page_url).get_data(as_text=True)
        forms = re.findall(r'<form [^>]*action="/feedback/\d+/[a-z]+"[^>]*>.*?</form>', page, re.S)
        assert forms, "no thread forms on the page"
        return {once_value(form) for form in forms}

    first, second = thread_form_values(), thread_form_values()
    assert len(first) == 1 and len(second) == 1
    assert first != second
