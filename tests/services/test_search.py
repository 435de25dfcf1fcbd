"""Full-text search (issue 14, consult.services.search): German stemming, ranking, the
index kept current by the writes themselves, and one test per visibility rule.

Runs on SQLite (FTS5 over Snowball stems) and, with CONSULT_DATABASE_URL, PostgreSQL
(``to_tsvector('german', ...)``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.errors import Invalid, NotFound
from consult.models import Membership, Organisation, SearchDocument, User
from consult.services import consultations as consultation_service
from consult.services import drafts, search, search_index, statement_board
from consult.services import feedback as feedback_service
from consult.services.search import Filters, Hit
from tests.services.statement_world import Municipalities, add_municipalities
from tests.services.test_feedback import World, build_world

MARKDOWN = """\
# 1 Präambel

Der Kreis Siegtal legt sein Integrationskonzept vor.

# 2 Bildung

Die Förderung der Kinder beginnt früh. Die Schulen öffnen sich für Vereine.

# 3 Schule

Jedes Kind bekommt innerhalb von drei Monaten einen Platz.

# 4 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen. Das Jobcenter berät.
"""


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    return build_world(db, admin, make_user, make_org, add_member, markdown=MARKDOWN)


def find(world: World, user: User, text: str, **filters: object) -> list[Hit]:
    found = search.search(world.db, text, actor=user, filters=Filters(**filters), limit=100)  # type: ignore[arg-type]
    return found.hits


def kinds_and_ids(hits: list[Hit]) -> list[tuple[str, int]]:
    return [(h.type, h.id) for h in hits]


# --- German stemming, ranking, snippets ------------------------------------------------


def test_schule_finds_schulen_and_the_title_hit_ranks_first(world: World) -> None:
    hits = find(world, world.editor, "Schule")
    sections = [h for h in hits if h.type == "section"]
    assert [h.section_id for h in sections] == [world.section_id("3"), world.section_id("2")]
    title_hit, body_hit = sections
    assert title_hit.title == "3 Schule" and title_hit.title_html == "3 <mark>Schule</mark>"
    assert "<mark>Schulen</mark>" in body_hit.snippet
    assert body_hit.revision_id == world.revision.id


def test_fördern_finds_förderung(world: World) -> None:
    hits = find(world, world.editor, "fördern")
    assert [h.section_id for h in hits] == [world.section_id("2")]
    assert "Die <mark>Förderung</mark> der Kinder" in hits[0].snippet


def test_every_word_must_occur_and_stop_words_do_not_count(world: World) -> None:
    assert [h.section_id for h in find(world, world.editor, "Jobcenter und Anerkennung")] == [
        world.section_id("4")
    ]
    assert find(world, world.editor, "Jobcenter Schule") == []


def test_snippets_are_escaped(world: World) -> None:
    world.open_round()
    world.comment(world.alice, "2", body="<script>alert(1)</script> Schulbus & Schulweg")
    (hit,) = [h for h in find(world, world.editor, "Schulbus") if h.type == "comment"]
    assert (
        hit.snippet == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Schulbus</mark> &amp; Schulweg"
    )


def test_empty_short_and_too_long_queries(world: World) -> None:
    for text in ("", "  ", "a", "-"):
        result = search.search(world.db, text, actor=world.editor)
        assert result.query.is_empty and result.hits == [] and result.total == 0
    with pytest.raises(Invalid) as caught:
        search.search(world.db, "x" * 201, actor=world.editor)
    assert caught.value.code == "query_too_long"


def test_filters_by_type_round_and_organisation(world: World) -> None:
    first = world.open_round()
    world.comment(world.alice, "2", body="Mehr Schulsozialarbeit, bitte.")
    world.comment(world.bob, "4", body="Schulabschlüsse anerkennen.")
    result = search.search(world.db, "Schule", actor=world.editor, limit=100)
    assert result.counts == {"section": 2, "comment": 2}
    alice_org = world.alice.organisation_id
    only = search.search(
        world.db, "Schule", actor=world.editor, filters=Filters(organisation_id=alice_org)
    )
    assert [h.author for h in only.hits] == ["Alice Arendt"]
    in_round = search.search(
        world.db, "Schule", actor=world.editor, filters=Filters(round_id=first.id)
    )
    assert {h.type for h in in_round.hits} == {"comment"} and in_round.total == 2
    typed = search.search(world.db, "Schule", actor=world.editor, filters=Filters(type="section"))
    assert typed.total == 2 and typed.counts["comment"] == 2
    with pytest.raises(Invalid):
        search.search(world.db, "Schule", actor=world.editor, filters=Filters(type="remark"))


# --- the index stays current -----------------------------------------------------------


def test_an_edited_comment_is_found_by_its_new_text_only(world: World) -> None:
    world.open_round()
    item = world.comment(world.alice, "2", body="Der Schulbus fährt zu selten.")
    assert kinds_and_ids(find(world, world.alice, "Schulbus")) == [("comment", item.id)]
    feedback_service.edit(world.db, item.id, actor=world.alice, body="Die Buslinie fährt selten.")
    assert find(world, world.alice, "Schulbus") == []
    assert kinds_and_ids(find(world, world.alice, "Buslinie")) == [("comment", item.id)]


def test_a_suggestion_is_found_by_its_reason_and_its_text(world: World) -> None:
    world.open_round()
    item = world.suggest(world.alice, "3", "drei Monaten", "sechs Wochen", "Kürzere Wartezeit")
    assert kinds_and_ids(find(world, world.editor, "Wartezeiten")) == [("suggestion", item.id)]
    assert ("suggestion", item.id) in kinds_and_ids(find(world, world.editor, "Wochen"))


def test_a_new_revision_replaces_the_sections_found(world: World) -> None:
    world.new_revision({"4": "Das Jobcenter berät digital."}, removed=("3",))
    hits = find(world, world.editor, "Schule")
    assert [h.section_id for h in hits] == [world.section_id("2")]
    assert hits[0].revision_id != world.revision.id
    assert find(world, world.editor, "Anerkennung") == []
    assert [h.type for h in find(world, world.editor, "digital")] == ["section"]


def test_reindex_builds_the_same_index(world: World) -> None:
    world.open_round()
    world.comment(world.alice, "2", body="Schulbus")
    before = {h.id: h.snippet for h in find(world, world.editor, "Schulbus Schule")}
    count = world.db.scalar(select(func.count()).select_from(SearchDocument))
    assert search_index.reindex(world.db) == count
    assert {h.id: h.snippet for h in find(world, world.editor, "Schulbus Schule")} == before


# --- visibility: one test per rule -----------------------------------------------------


def test_round_visibility_shows_feedback_to_other_working_groups_of_the_round(
    world: World,
) -> None:
    world.open_round(visibility="round", groups=("a", "b"))
    item = world.comment(world.alice, "2", body="Rundenweite Schulnotiz")  # alice: group a
    assert kinds_and_ids(find(world, world.bob, "Schulnotiz")) == [("comment", item.id)]  # b
    assert find(world, world.outsider, "Schulnotiz") == []  # not invited
    assert find(world, world.observer, "Schulnotiz") == []


def test_group_visibility_hides_feedback_from_other_working_groups(world: World) -> None:
    world.open_round(visibility="group", groups=("a", "b"))
    item = world.comment(world.alice, "2", body="Gruppeninterne Schulnotiz")  # alice: group a
    assert kinds_and_ids(find(world, world.anna, "Schulnotiz")) == [("comment", item.id)]  # a
    assert find(world, world.bob, "Schulnotiz") == []  # group b


def test_editors_visibility_hides_feedback_from_every_participant(world: World) -> None:
    world.open_round(visibility="editors", groups=("a", "b"))
    item = world.comment(world.alice, "2", body="Vertrauliche Schulnotiz")
    assert find(world, world.anna, "Schulnotiz") == []
    assert kinds_and_ids(find(world, world.alice, "Schulnotiz")) == [("comment", item.id)]
    assert kinds_and_ids(find(world, world.editor, "Schulnotiz")) == [("comment", item.id)]


def test_withdrawn_feedback_only_for_its_author_and_the_editors(world: World) -> None:
    world.open_round()
    item = world.comment(world.alice, "2", body="Zurückgezogene Schulnotiz")
    feedback_service.withdraw(world.db, item.id, actor=world.alice)
    assert find(world, world.bob, "Schulnotiz") == []
    (own,) = find(world, world.alice, "Schulnotiz")
    assert own.withdrawn and (own.type, own.id) == ("comment", item.id)
    assert kinds_and_ids(find(world, world.editor, "Schulnotiz")) == [("comment", item.id)]


def test_unpublished_statements_of_another_municipality_are_not_found(world: World) -> None:
    towns: Municipalities = add_municipalities(world)
    round_ = towns.open_round()
    version = towns.submit(towns.mayor, towns.siegburg, body="Siegburg begrüßt die Schulpolitik.")
    statement_id = version.statement_id
    own = [("statement", statement_id)]
    assert kinds_and_ids(find(world, towns.mayor, "Schulpolitik")) == own
    assert kinds_and_ids(find(world, towns.clerk, "Schulpolitik")) == own
    assert kinds_and_ids(find(world, world.editor, "Schulpolitik")) == own
    assert find(world, towns.lohmar_mayor, "Schulpolitik") == []
    assert find(world, world.observer, "Schulpolitik") == []
    statement_board.publish(world.db, round_.id, actor=world.editor)
    assert kinds_and_ids(find(world, towns.lohmar_mayor, "Schulpolitik")) == own
    assert kinds_and_ids(find(world, world.observer, "Schulpolitik")) == own


def test_only_the_latest_version_of_a_statement_is_found(world: World) -> None:
    towns = add_municipalities(world)
    towns.open_round()
    towns.submit(towns.mayor, towns.siegburg, body="Erste Fassung zur Schulpolitik.")
    towns.submit(towns.mayor, towns.siegburg, body="Zweite Fassung zur Verkehrspolitik.")
    assert find(world, world.editor, "Schulpolitik") == []
    (hit,) = find(world, world.editor, "Verkehrspolitik")
    assert hit.version == 2 and hit.title == "Stellungnahme Siegburg"


def test_drafts_are_searched_for_editors_only(world: World) -> None:
    world.new_revision({"4": "Neu: Das Jobcenter berät mehrsprachig."}, removed=(), publish=False)
    assert [h.type for h in find(world, world.editor, "mehrsprachig")] == ["section"]
    world.open_round()  # everyone invited reads the published revision 1
    for user in (world.alice, world.observer):
        assert find(world, user, "mehrsprachig") == []
        assert [h.section_id for h in find(world, user, "Jobcenter")] == [world.section_id("4")]


def test_participants_find_nothing_of_revisions_they_are_not_invited_to(world: World) -> None:
    assert find(world, world.alice, "Schule") == []  # no round yet
    assert [h.type for h in find(world, world.observer, "Schule")] == ["section", "section"]


def test_consultations_the_user_is_not_a_member_of(
    world: World, db: Session, make_user: Callable[..., User]
) -> None:
    other = consultation_service.create_consultation(db, actor=world.admin, title="Anderes")
    stranger = make_user("Sven Fremd")
    world.add_member(other.id, stranger, "editor")
    revision = drafts.create_from_markdown(db, other.id, actor=stranger, markdown=MARKDOWN)
    drafts.publish(db, revision.id, actor=stranger)
    assert {h.consultation_id for h in find(world, stranger, "Schule")} == {other.id}
    with pytest.raises(NotFound):
        search.search(
            db, "Schule", actor=stranger, filters=Filters(consultation_id=world.consultation.id)
        )
    both = {h.consultation_id for h in find(world, world.admin, "Schule")}
    assert both == {world.consultation.id, other.id}
    consultation_service.set_member(
        db, world.consultation.id, stranger.id, actor=world.editor, role="observer"
    )
    assert {h.consultation_id for h in find(world, stranger, "Schule")} == both


def test_discarding_a_draft_leaves_no_hits(world: World) -> None:
    draft = world.new_revision({"4": "Entwurf mit Radwegen."}, removed=(), publish=False)
    assert len(find(world, world.editor, "Radwege")) == 1
    drafts.discard_draft(world.db, draft.id, actor=world.editor)
    assert find(world, world.editor, "Radwege") == []
