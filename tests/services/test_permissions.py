"""The permission predicates as a role x action matrix, and deny-by-default endpoints."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import NotAuthenticated, NotPermitted
from consult.models import (
    Consultation,
    Membership,
    Organisation,
    Revision,
    Role,
    Round,
    RoundGroup,
    User,
    WorkingGroup,
    WorkingGroupMember,
)
from consult.services import permissions
from tests.conftest import CSRFClient

#: Who acts. Members hold their role in ``World.consultation``; ``other_editor`` is an
#: editor of a different consultation only; ``inactive`` is a deactivated editor.
ROLES = [
    "admin",
    "editor",
    "participant",
    "municipality",
    "observer",
    "non_member",
    "other_editor",
    "inactive",
    "inactive_admin",
    "anonymous",
    "anonymous_flask",
]
MEMBERS = {"editor", "participant", "municipality", "observer"}


@dataclass
class World:
    db: Session
    consultation: Consultation
    other: Consultation
    actors: dict[str, Any]
    #: Revisions of ``consultation`` by status; the round runs on the published one.
    revisions: dict[str, Revision]
    round: Round
    #: The working group invited to the round; ``participant`` and ``author`` are in it.
    group: WorkingGroup
    #: Another participant of the group, whose feedback the actors may or may not see.
    author: User
    #: The municipality that ``municipality`` acts for.
    town_id: int


def sees_remark(world: World, actor: Any, *, published: bool) -> bool:
    """A section remark of the municipality's statement, written by someone else."""
    viewer = permissions.feedback_viewer(world.db, actor, world.consultation)
    return permissions.can_see_remark(
        viewer,
        author_id=world.author.id,
        organisation_id=world.town_id,
        round_id=world.round.id,
        published_round_ids={world.round.id} if published else set(),
    )


def sees_feedback(world: World, actor: Any, visibility: str) -> bool:
    viewer = permissions.feedback_viewer(world.db, actor, world.consultation)
    return permissions.can_see_feedback(
        viewer,
        author_id=world.author.id,
        round_id=world.round.id,
        visibility=visibility,
        round_group_ids={world.group.id},
    )


#: action -> how to ask the predicate. The predicate's name is the part before "[".
ACTIONS: dict[str, Callable[[World, Any], bool]] = {
    "is_admin": lambda w, a: permissions.is_admin(a),
    "can_manage_accounts": lambda w, a: permissions.can_manage_accounts(a),
    "can_list_organisations": lambda w, a: permissions.can_list_organisations(a),
    "can_manage_own_tokens": lambda w, a: permissions.can_manage_own_tokens(a),
    "can_create_consultation": lambda w, a: permissions.can_create_consultation(a),
    "can_create_any_consultation": lambda w, a: permissions.can_create_any_consultation(w.db, a),
    "can_view_consultation": lambda w, a: permissions.can_view_consultation(
        w.db, a, w.consultation
    ),
    "can_edit_consultation": lambda w, a: permissions.can_edit_consultation(
        w.db, a, w.consultation
    ),
    "can_manage_members": lambda w, a: permissions.can_manage_members(w.db, a, w.consultation),
    "can_read_revision[draft]": lambda w, a: permissions.can_read_revision(
        w.db, a, w.revisions["draft"]
    ),
    "can_read_revision[published]": lambda w, a: permissions.can_read_revision(
        w.db, a, w.revisions["published"]
    ),
    "can_read_revision[superseded]": lambda w, a: permissions.can_read_revision(
        w.db, a, w.revisions["superseded"]
    ),
    "can_edit_revision[draft]": lambda w, a: permissions.can_edit_revision(
        w.db, a, w.revisions["draft"]
    ),
    "can_manage_rounds": lambda w, a: permissions.can_manage_rounds(w.db, a, w.consultation),
    "can_read_round": lambda w, a: permissions.can_read_round(w.db, a, w.round),
    "can_build_package": lambda w, a: permissions.can_build_package(w.db, a, w.round),
    "can_read_published_responses": lambda w, a: permissions.can_read_published_responses(
        w.db, a, w.round
    ),
    "can_give_feedback": lambda w, a: permissions.can_give_feedback(w.db, a, w.round),
    "can_decide_feedback": lambda w, a: permissions.can_decide_feedback(w.db, a, w.consultation),
    "can_moderate_feedback": lambda w, a: permissions.can_moderate_feedback(
        w.db, a, w.consultation
    ),
    "can_see_feedback[editors]": lambda w, a: sees_feedback(w, a, "editors"),
    "can_see_feedback[group]": lambda w, a: sees_feedback(w, a, "group"),
    "can_see_feedback[round]": lambda w, a: sees_feedback(w, a, "round"),
    "can_edit_feedback[own]": lambda w, a: permissions.can_edit_feedback(
        a, SimpleNamespace(author_id=getattr(a, "id", None))
    ),
    "can_edit_feedback[another's]": lambda w, a: permissions.can_edit_feedback(
        a, SimpleNamespace(author_id=w.author.id)
    ),
    "can_edit_feedback[own remark]": lambda w, a: permissions.can_edit_feedback(
        a, SimpleNamespace(author_id=getattr(a, "id", None), kind="remark")
    ),
    # Statements (issue 12): "municipality" acts for a municipality (a signatory).
    "is_signatory": lambda w, a: permissions.is_signatory(w.db, a, w.consultation.id),
    "can_draft_statement[own]": lambda w, a: permissions.can_draft_statement(
        w.db, a, w.round, w.town_id
    ),
    "can_draft_statement[another]": lambda w, a: permissions.can_draft_statement(
        w.db, a, w.round, w.town_id + 1000
    ),
    "can_submit_statement[own]": lambda w, a: permissions.can_submit_statement(
        w.db, a, w.round, w.town_id
    ),
    "can_record_statement": lambda w, a: permissions.can_record_statement(w.db, a, w.round),
    "can_read_statement[unpublished]": lambda w, a: permissions.can_read_statement(
        w.db, a, w.round, w.town_id, published=False
    ),
    "can_read_statement[published]": lambda w, a: permissions.can_read_statement(
        w.db, a, w.round, w.town_id, published=True
    ),
    "can_read_statement_draft": lambda w, a: permissions.can_read_statement_draft(
        w.db, a, w.round, w.town_id
    ),
    "can_see_remark[unpublished]": lambda w, a: sees_remark(w, a, published=False),
    "can_see_remark[published]": lambda w, a: sees_remark(w, a, published=True),
}

EVERYONE_ACTIVE = {"admin", *MEMBERS, "non_member", "other_editor"}
EDITORS = {"admin", "editor"}
#: Invited to the round: the participant through the working group, the
#: municipality because the round includes the municipalities.
INVITED = {"participant", "municipality"}

#: action -> the roles that are allowed; every other role is denied.
ALLOWED: dict[str, set[str]] = {
    "is_admin": {"admin"},
    "can_manage_accounts": {"admin"},
    "can_list_organisations": EVERYONE_ACTIVE,
    "can_manage_own_tokens": EVERYONE_ACTIVE,
    "can_create_consultation": {"admin"},
    "can_create_any_consultation": {"admin", "editor", "other_editor"},
    "can_view_consultation": {"admin", *MEMBERS},
    "can_edit_consultation": EDITORS,
    "can_manage_members": EDITORS,
    "can_read_revision[draft]": EDITORS,
    "can_read_revision[published]": EDITORS | {"observer"} | INVITED,
    "can_read_revision[superseded]": EDITORS | {"observer"},  # no round of theirs on it
    "can_edit_revision[draft]": EDITORS,
    "can_manage_rounds": EDITORS,
    "can_read_round": EDITORS | INVITED,
    "can_build_package": EDITORS,  # the council's papers, with unpublished feedback
    "can_read_published_responses": EDITORS | INVITED | {"observer"},
    "can_give_feedback": INVITED,  # editors decide on feedback, they do not give it
    "can_decide_feedback": EDITORS,
    "can_moderate_feedback": EDITORS,
    "can_see_feedback[editors]": EDITORS,
    "can_see_feedback[group]": EDITORS | {"participant"},  # shares the author's group
    "can_see_feedback[round]": EDITORS | INVITED,
    "can_edit_feedback[own]": EVERYONE_ACTIVE,
    "can_edit_feedback[another's]": set(),  # not the editors, not the admins either
    "can_edit_feedback[own remark]": set(),  # a new version of the statement replaces it
    "is_signatory": {"municipality"},
    "can_draft_statement[own]": {"municipality"},
    "can_draft_statement[another]": set(),
    "can_submit_statement[own]": {"municipality"},
    "can_record_statement": EDITORS,
    "can_read_statement[unpublished]": EDITORS | {"municipality"},
    "can_read_statement[published]": EDITORS | MEMBERS,
    "can_read_statement_draft": {"municipality"},  # not even the editors
    "can_see_remark[unpublished]": EDITORS | {"municipality"},
    "can_see_remark[published]": EDITORS | MEMBERS,
}

#: Helpers that are not yes/no questions about an actor; tested on their own below.
NOT_PREDICATES = {"is_public_endpoint", "require", "require_user", "role_in"}


def predicate_name(action: str) -> str:
    return action.split("[", 1)[0]


@pytest.fixture
def world(
    db: Session,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    creator = make_user("Ersteller")
    consultation = Consultation(title="Integrationskonzept", created_by=creator)
    other = Consultation(title="Schulentwicklungsplan", created_by=creator)
    db.add_all([consultation, other])
    db.flush()

    actors: dict[str, Any] = {
        "admin": make_user("Ada Admin", admin=True),
        "non_member": make_user("Nora Niemand"),
        "inactive_admin": make_user("Alt Admin", admin=True, active=False),
        "anonymous": None,
        "anonymous_flask": AnonymousUserMixin(),
    }
    town = make_org("Siegburg", "municipality")
    for role in sorted(MEMBERS):
        actors[role] = make_user(
            role.title(), organisation=town if role == "municipality" else None
        )
        add_member(consultation.id, actors[role], role)
    actors["other_editor"] = make_user("Olaf Anderswo")
    add_member(other.id, actors["other_editor"], "editor")
    actors["inactive"] = make_user("Ida Inaktiv")
    add_member(consultation.id, actors["inactive"], "editor")
    actors["inactive"].is_active = False
    author = make_user("Anna Autorin")
    add_member(consultation.id, author, "participant")

    revisions = {
        status: Revision(consultation=consultation, number=number, status=status)
        for number, status in enumerate(["superseded", "published", "draft"], start=1)
    }
    group = WorkingGroup(consultation_id=consultation.id, name="AK Bildung")
    db.add_all([*revisions.values(), group])
    db.flush()
    db.add_all(
        [
            WorkingGroupMember(working_group_id=group.id, user_id=actors["participant"].id),
            WorkingGroupMember(working_group_id=group.id, user_id=author.id),
        ]
    )
    now = utcnow()
    round_ = Round(
        consultation_id=consultation.id,
        revision=revisions["published"],
        title="Erste Runde",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=13),
        visibility="group",
        includes_municipalities=True,
    )
    db.add(round_)
    db.flush()
    db.add(RoundGroup(round_id=round_.id, working_group_id=group.id))
    db.flush()
    return World(db, consultation, other, actors, revisions, round_, group, author, town.id)


def test_matrix_covers_every_predicate() -> None:
    """A new predicate in permissions.py must get a row in the matrix."""
    predicates = {
        name
        for name, function in inspect.getmembers(permissions, inspect.isfunction)
        if function.__module__ == permissions.__name__
        and name.startswith(("can_", "is_"))
        and name not in NOT_PREDICATES
    }
    covered = {predicate_name(action) for action in ACTIONS}
    assert predicates - covered == set(), "add the new predicates to ACTIONS and ALLOWED"
    assert set(ACTIONS) == set(ALLOWED)
    assert set().union(*ALLOWED.values()) <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_role_action_matrix(world: World, role: str) -> None:
    """One row of the matrix per test: every action, asked for this role."""
    actor = world.actors[role]
    actual = {action: fn(world, actor) for action, fn in ACTIONS.items()}
    expected = {action: role in ALLOWED[action] for action in ACTIONS}
    assert actual == expected
    assert all(type(value) is bool for value in actual.values())

    # role_in: the member's role in this consultation (by object or id), else None.
    role_here = Role(role) if role in MEMBERS else None
    assert permissions.role_in(world.db, actor, world.consultation) is role_here
    assert permissions.role_in(world.db, actor, world.consultation.id) is role_here
    role_there = Role.EDITOR if role == "other_editor" else None
    assert permissions.role_in(world.db, actor, world.other) is role_there

    # require_user: active users pass, everyone else must log in (401).
    if role in EVERYONE_ACTIVE:
        assert permissions.require_user(actor) is actor
    else:
        with pytest.raises(NotAuthenticated) as info:
            permissions.require_user(actor)
        assert info.value.status == 401


def test_rights_are_per_consultation(world: World) -> None:
    editor = world.actors["editor"]
    assert permissions.can_edit_consultation(world.db, editor, world.consultation)
    assert not permissions.can_view_consultation(world.db, editor, world.other)
    assert not permissions.can_edit_consultation(world.db, editor, world.other)


def test_feedback_visibility_details(world: World) -> None:
    author = permissions.feedback_viewer(world.db, world.author, world.consultation)
    participant = permissions.feedback_viewer(
        world.db, world.actors["participant"], world.consultation
    )
    common = {"author_id": world.author.id, "round_id": world.round.id}
    # Authors always see their own feedback.
    assert permissions.can_see_feedback(
        author, visibility="editors", round_group_ids=set(), **common
    )
    # "group" needs a shared working group that takes part in the round ...
    assert not permissions.can_see_feedback(
        participant, visibility="group", round_group_ids=set(), **common
    )
    # ... and an invitation to that round.
    assert not permissions.can_see_feedback(
        participant,
        visibility="round",
        round_group_ids={world.group.id},
        author_id=world.author.id,
        round_id=world.round.id + 1000,
    )


def test_deactivation_takes_rights_away_at_once(world: World) -> None:
    editor = world.actors["editor"]
    assert permissions.can_edit_consultation(world.db, editor, world.consultation)
    editor.is_active = False
    assert not permissions.can_view_consultation(world.db, editor, world.consultation)
    assert not permissions.can_list_organisations(editor)


def test_require() -> None:
    permissions.require(True)  # allowed: no exception
    with pytest.raises(NotPermitted) as info:
        permissions.require(False)
    assert info.value.status == 403
    assert info.value.message == "Dafür fehlt Ihnen die Berechtigung."
    with pytest.raises(NotPermitted, match="Nur für die Redaktion"):
        permissions.require(False, "Nur für die Redaktion.")


# --- deny by default -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", sorted(permissions.PUBLIC_ENDPOINTS))
def test_allow_listed_endpoints_are_public(endpoint: str) -> None:
    assert permissions.is_public_endpoint(endpoint) is True


@pytest.mark.parametrize("endpoint", ["api.list_users", "api.openapi", "api.anything_new"])
def test_api_endpoints_check_their_own_tokens(endpoint: str) -> None:
    assert permissions.is_public_endpoint(endpoint) is True


@pytest.mark.parametrize(
    "endpoint",
    [
        None,
        "",
        "main.index",
        "auth.logout",
        "profile.show",
        "admin.users",
        "consultations.new_endpoint",
        "unknown.endpoint",
        "auth.login_extra",  # exact names only, no prefixes
        "xauth.login",
        "apix.list_users",
        "api",
        "STATIC",
    ],
)
def test_everything_else_needs_a_login(endpoint: str | None) -> None:
    assert permissions.is_public_endpoint(endpoint) is False


def test_allow_list_names_only_real_endpoints(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert permissions.PUBLIC_ENDPOINTS.issubset(endpoints)
    assert not any(e.startswith(("admin.", "profile.")) for e in permissions.PUBLIC_ENDPOINTS)


def _url(app: Flask, rule: Any) -> str:
    """A URL of the rule: 1 for each argument, or the first choice of an ``any(...)``."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        choices = getattr(rule._converters[name], "items", None)
        values[name] = sorted(choices)[0] if choices else 1
    url: str = app.url_map.bind("localhost").build(rule.endpoint, values)
    return url


def test_every_other_endpoint_refuses_anonymous_requests(app: Flask, client: CSRFClient) -> None:
    """Walk the URL map: no page or API call answers an anonymous visitor by accident."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in permissions.PUBLIC_ENDPOINTS or rule.endpoint == "api.openapi":
            continue
        url = _url(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            where = f"{method} {url} ({rule.endpoint})"
            if rule.endpoint.startswith("api."):
                assert response.status_code == 401, where
                assert response.get_json()["error"]["code"] == "unauthorized", where
            elif method == "GET":
                assert response.status_code == 302, where
                assert response.location.startswith("/login?next="), where
            else:
                assert response.status_code == 401, where
            checked += 1
    assert checked >= 10  # the walk did reach the app's endpoints
