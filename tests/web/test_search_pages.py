"""The search page and the header's search field (issue 14)."""

from __future__ import annotations

from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


def test_the_header_has_a_search_field_for_signed_in_users(world: World, login, client) -> None:  # noqa: F811
    assert 'role="search"' not in client.get("/login").get_data(as_text=True)
    login(world.alice)
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'for="header-search-q"' in page


def test_results_are_highlighted_and_link_to_their_place(world: World, login, client) -> None:  # noqa: F811
    world.open_round()
    item = world.comment(world.alice, "2", body="Schulwege <sicherer> machen")
    world.db.commit()
    login(world.alice)
    response = client.get("/search?q=Schule")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    rid, sid = world.revision.id, world.section_id("2.1")
    assert f'href="/revisions/{rid}#s-{sid}"' in page
    assert f'href="/revisions/{rid}#fb-{item.id}"' in page
    assert "<mark>Schulwege</mark> &lt;sicherer&gt; machen" in page
    assert "2.1 <mark>Schule</mark>" in page
    filtered = client.get("/search?q=Schule&type=comment").get_data(as_text=True)
    assert f"#fb-{item.id}" in filtered and f"#s-{sid}" not in filtered


def test_empty_short_and_too_long_queries_explain_themselves(world: World, login, client) -> None:  # noqa: F811
    login(world.alice)
    assert "Geben Sie ein, wonach Sie suchen" in client.get("/search").get_data(as_text=True)
    assert "mindestens zwei" in client.get("/search?q=x").get_data(as_text=True)
    response = client.get("/search?q=" + "x" * 201)
    assert response.status_code == 422 and "zu lang" in response.get_data(as_text=True)
    assert "Nichts gefunden" in client.get("/search?q=Raumfahrt").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_the_login(client) -> None:
    response = client.get("/search?q=Schule")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
