"""``GET /api/v1/search`` (API.md, "Search, audit, personal data"): the contract's shape,
filters, visibility and bad input."""

from __future__ import annotations

from urllib.parse import quote

from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok

api = test_feedback_api.api  # the fixture: the feedback world with a client

CONTRACT = {"type", "id", "consultation_id", "revision_id", "section_id", "title", "snippet"}


def test_results_have_the_contracts_fields_and_marked_snippets(api: Api) -> None:
    world = api.world
    world.open_round()
    comment = ok(api.comment(world.alice, "2", None, body="Mehr <Schulsozialarbeit>!"), 201)
    found = ok(api.get(world.editor, f"/search?q=Schule&consultation_id={world.consultation.id}"))
    results = found["results"]
    assert results and all(set(r) >= CONTRACT for r in results)
    assert {r["type"] for r in results} == {"section", "comment"}
    sections = [r for r in results if r["type"] == "section"]
    assert sections[0]["title"] == "2.1 Schule"  # a title hit first
    assert all(r["revision_id"] == world.revision.id for r in sections)
    (mine,) = [r for r in results if r["type"] == "comment"]
    assert mine["id"] == comment["id"]
    assert mine["snippet"] == "Mehr &lt;<mark>Schulsozialarbeit</mark>&gt;!"
    assert found["counts"]["comment"] == 1 and found["total"] == len(results)


def test_filters_and_paging(api: Api) -> None:
    world = api.world
    world.open_round()
    ok(api.comment(world.alice, "2", None, body="Schulweg sicherer machen."), 201)
    only = ok(api.get(world.editor, "/search?q=Schule&type=comment"))
    assert [r["type"] for r in only["results"]] == ["comment"]
    org = world.bob.organisation_id
    assert ok(api.get(world.editor, f"/search?q=Schule&organisation_id={org}"))["results"] == []
    first = ok(api.get(world.editor, "/search?q=Schule&limit=1"))
    second = ok(api.get(world.editor, "/search?q=Schule&limit=1&offset=1"))
    assert first["total"] == second["total"] > 1
    assert first["results"][0]["id"] != second["results"][0]["id"]


def test_what_others_may_not_see_is_not_found(api: Api) -> None:
    world = api.world
    world.open_round(visibility="editors")
    ok(api.comment(world.alice, "2", None, body="Vertraulicher Schulhinweis"), 201)
    assert ok(api.get(world.anna, "/search?q=Schulhinweis"))["results"] == []
    assert len(ok(api.get(world.alice, "/search?q=Schulhinweis"))["results"]) == 1


def test_short_long_and_bad_queries(api: Api) -> None:
    world = api.world
    empty = ok(api.get(world.editor, "/search?q=a"))
    assert empty["results"] == [] and empty["message"]
    assert ok(api.get(world.editor, "/search"))["results"] == []
    assert_error(api.get(world.editor, "/search?q=" + quote("ä" * 201)), 422, "query_too_long")
    assert_error(api.get(world.editor, "/search?q=Schule&type=remark"), 422, "invalid_type")
    assert_error(api.get(world.editor, "/search?q=Schule&consultation_id=x"), 422)
    assert_error(api.get(world.editor, "/search?q=Schule&limit=1000"), 422)
    assert_error(api.get(world.editor, "/search?q=Schule&consultation_id=999999"), 404)
    assert api.client.get("/api/v1/search?q=Schule").status_code == 401


def test_number_parameters_are_checked_against_their_declared_schema(api: Api) -> None:
    """One check (consult.api.registry.query_int) for every number in a query: the
    message names the parameter and its range, the field is set, nothing is searched."""
    editor = api.world.editor
    cases = {
        "limit=abc": ("limit", "„limit“ muss eine ganze Zahl sein."),
        "limit=": ("limit", "„limit“ muss eine ganze Zahl sein."),
        "limit=0": ("limit", "„limit“ muss zwischen 1 und 100 liegen."),
        "limit=101": ("limit", "„limit“ muss zwischen 1 und 100 liegen."),
        "offset=-1": ("offset", "„offset“ muss mindestens 0 sein."),
        "round_id=0": ("round_id", "„round_id“ muss mindestens 1 sein."),
        "organisation_id=1.5": ("organisation_id", "„organisation_id“ muss eine ganze Zahl sein."),
    }
    for query, (field, message) in cases.items():
        error = assert_error(api.get(editor, f"/search?q=Schule&{query}"), 422, "invalid_parameter")
        assert error["message"] == message, query
        assert error["fields"] == {field: message}, query
    assert ok(api.get(editor, "/search?q=Schule&limit=100&offset=0"))["results"] is not None
