"""The reading view's caches (issue 8): what they keep is never out of date, and never
shown to a reader who may not see it.

Each worker keeps the consultation's feedback rows and the rendered page part
(consult/web/reading_page.py) under the consultation's feedback version. These tests
read a page, so that it is cached, change something through the real pages (a name on
the profile page or in the administration, a reply, resolving, withdrawing), and read
again: the change is there at once. And readers with different rights, one after the
other, each get the page made for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from consult.models import Membership, Organisation, User
from consult.web import reading_page
from tests import support
from tests.services.test_feedback import build_world
from tests.web.test_feedback_pages import Site, marks, redirect_path, threads, tree

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def site(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Site:
    world = build_world(db, admin, make_user, make_org, add_member)
    db.commit()
    return Site(world, app)


def authors(page: str) -> list[str]:
    """The author lines of every thread and reply, as shown."""
    return [
        " ".join(p.text_content().split())
        for p in tree(page).xpath("//*[contains(@class, 'thread-author')]")
    ]


def organisation_options(page: str) -> list[str]:
    return [o.text_content() for o in tree(page).xpath("//select[@name='org']/option")][1:]


def test_a_new_name_from_the_profile_page_is_shown_at_once(site: Site) -> None:
    w = site.world
    w.open_round()
    item = w.comment(w.alice, "2", "in der Kita", body="Von Alice.")
    rid = w.revision.id
    redirect_path(
        site.post(w.editor, f"/feedback/{item.id}/reply", {"body": "Danke.", "revision_id": rid})
    )
    for _ in range(2):  # the second read comes from the cache
        page = site.read(w.editor)
        assert any(line.startswith("Alice Arendt (Caritas Siegtal)") for line in authors(page))
        assert any(line.startswith("Miriam Redaktion (Kreis Siegtal)") for line in authors(page))
    for person, new_name in ((w.alice, "Alice Neumann"), (w.editor, "Miriam Redakteurin")):
        redirect_path(
            site.post(person, "/profile/", {"name": new_name, "locale": "", "notify_replies": "y"})
        )
    for reader in (w.editor, w.alice, w.bob):
        lines = authors(site.read(reader))
        assert any(line.startswith("Alice Neumann (Caritas Siegtal)") for line in lines)
        assert any(line.startswith("Miriam Redakteurin (Kreis Siegtal)") for line in lines)
        assert not any("Alice Arendt" in line or "Miriam Redaktion" in line for line in lines)


def test_a_new_name_from_the_administration_is_shown_at_once(site: Site) -> None:
    w = site.world
    w.open_round()
    w.comment(w.bob, "3", "Jobcenter", body="Von Bob.")
    assert any(line.startswith("Bob Berger (") for line in authors(site.read(w.editor)))
    assert any(line.startswith("Bob Berger (") for line in authors(site.read(w.editor)))
    response = site.post(
        w.admin,
        f"/admin/users/{w.bob.id}",
        {
            "name": "Robert Berger",
            "email": w.bob.email,
            "organisation_id": str(w.bob.organisation_id),
            "is_active": "y",
        },
    )
    redirect_path(response)
    lines = authors(site.read(w.editor))
    assert any(line.startswith("Robert Berger (Jobcenter Siegtal)") for line in lines)
    assert not any("Bob Berger" in line for line in lines)


def test_a_renamed_organisation_is_shown_at_once(site: Site) -> None:
    w = site.world
    w.open_round()
    w.comment(w.alice, "2", "in der Kita", body="Von Alice.")
    w.comment(w.bob, "3", "Jobcenter", body="Von Bob.")
    for _ in range(2):
        page = site.read(w.editor)
        assert "Caritas Siegtal" in organisation_options(page)
    organisation_id = w.alice.organisation_id
    response = site.post(
        w.admin,
        f"/admin/organisations/{organisation_id}",
        {"name": "Caritasverband Siegtal", "kind": "welfare", "is_active": "y"},
    )
    redirect_path(response)
    page = site.read(w.editor)
    assert any(line.startswith("Alice Arendt (Caritasverband Siegtal)") for line in authors(page))
    assert organisation_options(page) == ["Caritasverband Siegtal", "Jobcenter Siegtal"]
    assert "Caritas Siegtal" not in page


def test_replies_resolving_and_withdrawing_show_at_once(site: Site) -> None:
    w = site.world
    w.open_round()
    item = w.comment(w.alice, "2", "in der Kita", body="Von Alice.")
    rid = w.revision.id

    def thread_of(page: str) -> lxml.html.HtmlElement:
        [element] = tree(page).xpath(f"//article[@id='fb-{item.id}']")
        return element

    site.read(w.bob)
    assert "status-open" in thread_of(site.read(w.bob)).get("class")
    redirect_path(
        site.post(
            w.bob, f"/feedback/{item.id}/reply", {"body": "Sehe ich auch so.", "revision_id": rid}
        )
    )
    assert "Sehe ich auch so." in thread_of(site.read(w.bob)).text_content()
    redirect_path(site.post(w.editor, f"/feedback/{item.id}/resolve", {"revision_id": rid}))
    assert "status-resolved" in thread_of(site.read(w.bob)).get("class")
    redirect_path(site.post(w.alice, f"/feedback/{item.id}/reopen", {"revision_id": rid}))
    assert "status-open" in thread_of(site.read(w.bob)).get("class")
    redirect_path(
        site.post(w.alice, f"/feedback/{item.id}/withdraw", {"revision_id": rid, "confirmed": "1"})
    )
    assert item.id not in threads(site.read(w.bob))
    assert "withdrawn" in thread_of(site.read(w.alice)).get("class")


def test_readers_with_different_visibility_get_their_own_pages_from_a_warm_cache(
    site: Site,
) -> None:
    """Round visibility "group": anna (group a) sees alice's feedback (a), bob (b) sees
    carla's (b); a withdrawn item only its author and the editors. Read in turns, each
    page twice (the second from the cache), each gets exactly their own."""
    w = site.world
    w.open_round(visibility="group", groups=("a", "b"))
    by_alice = w.comment(w.alice, "2", "in der Kita", body="Geheim für Gruppe a.")
    by_anna = w.comment(w.anna, "1", None, body="Annas eigener Beitrag.")
    by_bob = w.suggest(w.bob, "3", "mehreren", "vielen", reason="Geheim für Gruppe b.")
    by_carla = w.comment(w.carla, "3", "Jobcenter", body="Carlas Beitrag.")
    withdrawn = w.comment(w.alice, "4", None, body="Zurückgezogen von Alice.")
    rid = w.revision.id
    redirect_path(
        site.post(
            w.alice, f"/feedback/{withdrawn.id}/withdraw", {"revision_id": rid, "confirmed": "1"}
        )
    )
    everything = {by_alice.id, by_anna.id, by_bob.id, by_carla.id, withdrawn.id}
    expected = {
        w.editor: everything,
        w.alice: {by_alice.id, by_anna.id, withdrawn.id},
        w.anna: {by_alice.id, by_anna.id},
        w.bob: {by_bob.id, by_carla.id},
        w.carla: {by_bob.id, by_carla.id},
        w.observer: set(),
    }
    texts = {
        by_alice.id: "Geheim für Gruppe a.",
        by_bob.id: "Geheim für Gruppe b.",
        withdrawn.id: "Zurückgezogen von Alice.",
    }
    for _ in range(2):
        for reader, visible in expected.items():
            for _ in range(2):
                page = site.read(reader)
                assert threads(page) == visible, reader.name
                assert marks(page) <= visible, reader.name
                for item_id, text in texts.items():
                    assert (text in page) == (item_id in visible), (reader.name, text)
    # The filters are per reader too: alice's "mine" is not anna's.
    assert threads(site.read(w.alice, query="?mine=1")) == {by_alice.id, withdrawn.id}
    assert threads(site.read(w.anna, query="?mine=1")) == {by_anna.id}


def test_own_buttons_and_csrf_tokens_are_the_readers(site: Site) -> None:
    """Two editors share the cached page; each gets their own CSRF token in its forms
    (and it works), and only the author gets the withdraw button of her comment."""
    w = site.world
    w.open_round()
    item = w.comment(w.alice, "2", "in der Kita", body="Von Alice.")
    second_editor = w.make_user("Paul Redaktion")
    w.add_member(w.consultation.id, second_editor, "editor")
    editors = (w.editor, second_editor)
    for editor in editors:
        page = site.read(editor)
        [form] = tree(page).xpath(
            f"//article[@id='fb-{item.id}']//form[contains(@action, '/resolve')]"
        )
        token = form.xpath(".//input[@name='csrf_token']")[0].get("value")
        [meta] = tree(page).xpath("//meta[@name='csrf-token']")
        assert token == meta.get("content")
        assert reading_page.TOC not in page and reading_page.DOCUMENT not in page
        assert not re.search(r"csrf-slot-", page)
    # The token from the (cached) page works for the second editor's own session.
    response = site.browser(second_editor).post(
        f"/feedback/{item.id}/resolve",
        data={"csrf_token": token, "revision_id": w.revision.id},
        csrf=False,
    )
    redirect_path(response)
    redirect_path(site.post(w.alice, f"/feedback/{item.id}/reopen", {"revision_id": w.revision.id}))
    # More of alice's own in other sections, and one of anna's: each reader gets the
    # withdraw buttons of exactly their own threads, on the same cached page.
    alices = {
        item.id,
        w.comment(w.alice, "1", None, body="Zweiter.").id,
        w.suggest(w.alice, "3", "mehreren", "vielen").id,
        w.comment(w.alice, "3", "Jobcenter", body="Dritter.").id,
    }
    annas = {w.comment(w.anna, "2", "Eltern", body="Von Anna.").id}

    def withdrawable(reader: User) -> set[int]:
        page = site.read(reader)
        return {
            int(article.get("data-fb"))
            for article in tree(page).xpath("//article[contains(@class, 'thread')]")
            if article.xpath(".//form[contains(@action, '/withdraw')]")
        }

    for _ in range(2):
        assert withdrawable(w.alice) == alices
        assert withdrawable(w.anna) == annas
        assert withdrawable(w.bob) == set()
        assert withdrawable(w.editor) == set()
